"""The members API takes the same write path as the admin (coin.members.membership):
a recorded fee makes a pending member a member, whoever becomes a member is welcomed."""

import pytest
from django.core import mail

from coin.members.models import Member, MembershipFee

pytestmark = pytest.mark.django_db


def post(client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


def test_a_member_created_as_member_is_welcomed(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            admin_client,
            "/api/members/",
            {"type": "natural_person", "status": "member", "first_name": "Lou", "last_name": "B",
             "email": "lou@example.org"},
        )  # fmt: skip
    assert response.status_code == 201, response.content
    assert Member.objects.get(pk=response.json()["id"]).username == "lb"
    assert [m.to for m in mail.outbox] == [["lou@example.org"]]
    with django_capture_on_commit_callbacks(execute=True):
        patched = admin_client.patch(
            f"/api/members/{response.json()['id']}/", {"city": "Lyon"}, content_type="application/json"
        )
    assert patched.status_code == 200 and len(mail.outbox) == 1  # once


def test_a_fee_recorded_through_the_api_makes_a_pending_member_a_member(
    admin_client, django_capture_on_commit_callbacks
):
    pending = Member.objects.create(first_name="Sacha", last_name="Petit", email="s@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            admin_client,
            "/api/membership-fees/",
            {"member": pending.pk, "amount": "20.00", "start_date": "2026-01-01"},
        )
    assert response.status_code == 201, response.content
    assert response.json()["end_date"] == "2026-12-31"
    pending.refresh_from_db()
    assert pending.status == Member.Status.MEMBER
    assert [m.to for m in mail.outbox] == [["s@example.org"]]
    fee = MembershipFee.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        patched = admin_client.patch(
            f"/api/membership-fees/{fee.pk}/", {"amount": "25.00"}, content_type="application/json"
        )
    assert patched.status_code == 200
    fee.refresh_from_db()
    assert str(fee.amount) == "25.00" and len(mail.outbox) == 1


def test_a_legal_entitys_siren_is_checked_and_kept(admin_client, member):
    url = f"/api/members/{member.pk}/"
    refused = admin_client.patch(url, {"siren": "123456788"}, content_type="application/json")
    assert refused.status_code == 400 and "siren" in refused.json()
    accepted = admin_client.patch(url, {"siren": "732829320"}, content_type="application/json")
    assert accepted.status_code == 200, accepted.content
    member.refresh_from_db()
    assert member.siren == "732829320"
    page = admin_client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert 'name="siren"' in page
