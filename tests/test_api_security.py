"""Regressions of issue 8 in the API: a staff user without permissions, the keys of
staff accounts, huge pages, unchecked fees, unthrottled clients."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from coin.billing.payments import record_payment
from coin.members.models import Member

pytestmark = pytest.mark.django_db


def perms(*names: str) -> list[Permission]:
    return [
        Permission.objects.get(content_type__app_label=n.split(".")[0], codename=n.split(".")[1])
        for n in names
    ]


@pytest.fixture
def staff(member_factory):
    return member_factory(username="staffer", is_staff=True, email="staff@example.org")


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


@pytest.fixture
def superuser(member_factory):
    return member_factory(username="root", is_staff=True, is_superuser=True, email="root@example.org")


def test_staff_without_permission_cannot_record_a_payment(api, member):
    response = api.post("/api/payments/", {"member": member.pk, "amount": "10.00"}, format="json")
    assert response.status_code == 403
    assert not member.payments.exists()


def test_changing_a_superusers_email_needs_a_superuser(api, staff, superuser):
    staff.user_permissions.add(*perms("members.view_member", "members.change_member"))
    url = f"/api/members/{superuser.pk}/"
    assert api.patch(url, {"email": "attacker@evil.example"}, format="json").status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "root@example.org"
    assert api.patch(url, {"city": "Lyon"}, format="json").status_code == 200  # the rest is allowed
    root = APIClient()
    root.force_authenticate(superuser)
    assert root.patch(url, {"email": "new-root@example.org"}, format="json").status_code == 200


def test_a_staff_account_s_email_is_guarded_but_a_member_s_is_not(api, staff, member, member_factory):
    staff.user_permissions.add(*perms("members.view_member", "members.change_member"))
    colleague = member_factory(username="colleague", is_staff=True)
    assert (
        api.patch(f"/api/members/{colleague.pk}/", {"email": "x@evil.example"}, format="json").status_code
        == 403
    )
    assert (
        api.patch(f"/api/members/{member.pk}/", {"email": "new@example.org"}, format="json").status_code
        == 200
    )


def test_emails_are_unique_whatever_their_case(api, staff, member):
    staff.user_permissions.add(*perms("members.view_member", "members.add_member", "members.change_member"))
    body = {"first_name": "Eve", "last_name": "Doe", "email": member.email.upper()}
    response = api.post("/api/members/", body, format="json")
    assert response.status_code == 400 and "email" in response.json()
    assert Member.objects.filter(email__iexact=member.email).count() == 1


def test_assigning_a_payment_needs_the_change_permission(api, staff, member):
    payment = record_payment(None, Decimal("5.00"), label="VIR")
    staff.user_permissions.add(*perms("billing.view_payment", "billing.add_payment"))
    url = f"/api/payments/{payment.pk}/assign/"
    assert api.post(url, {"member": member.pk}, format="json").status_code == 403
    staff.user_permissions.add(*perms("billing.change_payment"))
    staff = Member.objects.get(pk=staff.pk)  # fresh permission cache
    api.force_authenticate(staff)
    assert api.post(url, {"member": member.pk}, format="json").status_code == 200


def test_balances_need_the_billing_view_permissions(api, staff, member):
    staff.user_permissions.add(*perms("members.view_member"))
    assert api.get("/api/member-balances/").status_code == 403


@pytest.mark.parametrize(
    "query", ["limit=32589158477190044730", "limit=-3", "limit=abc", "offset=99999999999999999999999"]
)
def test_huge_or_bad_pages_are_not_server_errors(api, staff, member, query):
    staff.user_permissions.add(*perms("members.view_member"))
    response = api.get(f"/api/members/?{query}")
    assert response.status_code == 200
    assert len(response.json()["results"]) <= 1000


def test_a_fee_ending_before_it_starts_is_a_400_naming_the_field(api, staff, member):
    staff.user_permissions.add(
        *perms("members.add_membership_fee".replace("membership_fee", "membershipfee"))
    )
    body = {"member": member.pk, "amount": "20.00", "start_date": "2026-05-01", "end_date": "2026-04-01"}
    response = api.post("/api/membership-fees/", body, format="json")
    assert response.status_code == 400 and "end_date" in response.json()
    assert not member.membership_fees.exists()


def test_clients_beyond_the_rate_get_429(api, staff):
    staff.user_permissions.add(*perms("offers.view_offer"))
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/minute"}
    with override_settings(REST_FRAMEWORK={**_rest_framework(), "DEFAULT_THROTTLE_RATES": rates}):
        from django.core.cache import cache

        cache.clear()
        codes = [api.get("/api/offers/").status_code for _ in range(5)]
        cache.clear()
    assert codes == [200, 200, 200, 429, 429]


def test_anonymous_clients_are_throttled_too():
    # (Refused requests are refused before any throttle: the open schema is what an
    # anonymous client can hit.)
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "2/minute"}
    with override_settings(REST_FRAMEWORK={**_rest_framework(), "DEFAULT_THROTTLE_RATES": rates}):
        from django.core.cache import cache

        cache.clear()
        codes = [APIClient().get("/api/schema/").status_code for _ in range(4)]
        cache.clear()
    assert codes == [200, 200, 429, 429]


def _rest_framework() -> dict:
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


# --- The admin ----------------------------------------------------------------------------


@pytest.fixture
def staff_admin(client, staff):
    staff.user_permissions.add(*perms("members.view_member", "members.change_member"))
    client.force_login(staff)
    return client


def test_admin_staff_cannot_change_a_superusers_email_or_password(staff_admin, superuser):
    page = staff_admin.get(f"/admin/members/member/{superuser.pk}/change/")
    assert page.status_code == 200
    assert 'name="email"' not in page.content.decode()
    assert staff_admin.get(f"/admin/members/member/{superuser.pk}/password/").status_code == 403
    response = staff_admin.post(
        f"/admin/members/member/{superuser.pk}/password/",
        {"password1": "a new long pass 42", "password2": "a new long pass 42"},
    )
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password("correct horse battery")


def test_admin_staff_cannot_grant_staff_or_superuser(staff_admin, member):
    page = staff_admin.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page
    assert 'name="email"' in page  # a plain member's email stays editable
    assert staff_admin.get(f"/admin/members/member/{member.pk}/password/").status_code == 200
