"""The hardware API's rules beyond permissions (tests/test_api_permissions.py):
MAC normalised, errors naming the field, a taken item refused with 400."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from hardware_provisioning import loans
from hardware_provisioning.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(member_factory):
    staff = member_factory(username="staffer", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="hardware_provisioning"))
    client = APIClient()
    client.force_authenticate(staff)
    return client


def test_items_normalise_the_mac_and_name_bad_fields(api, router_type, item):
    response = api.post(
        "/api/hardware-items/",
        {"type": router_type.pk, "designation": "Omnia", "mac_address": "D8-58-D7-00-11-01"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["mac_address"] == "d8:58:d7:00:11:01"
    assert response.json()["state"] == "in_storage"
    response = api.post(
        "/api/hardware-items/",
        {"type": router_type.pk, "designation": "x", "mac_address": "nope"},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["mac_address"]
    response = api.post(
        "/api/hardware-items/",
        {"type": router_type.pk, "designation": "x", "mac_address": item.mac_address.upper()},
        format="json",
    )
    assert response.json() == {"mac_address": ["Another item has this MAC address."]}
    response = api.post(
        "/api/hardware-items/",
        {"type": router_type.pk, "designation": "x", "buy_date": "2026-02-01", "warranty_end": "2026-01-01"},
        format="json",
    )
    assert response.json() == {"warranty_end": ["The warranty cannot end before the buy date."]}


def test_a_taken_item_is_refused_naming_the_item(api, item, member, other_member):
    loans.open_loan(item, other_member)
    response = api.post("/api/hardware-loans/", {"item": item.pk, "member": member.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"item": ["This item is already lent or requested."]}


def test_loans_dates_in_order_and_an_end_closes_them(api, item, member):
    response = api.post(
        "/api/hardware-loans/",
        {"item": item.pk, "member": member.pk, "start": "2026-03-01", "end": "2026-02-01"},
        format="json",
    )
    assert response.status_code == 400 and "end" in response.json()
    loan = api.post(
        "/api/hardware-loans/", {"item": item.pk, "member": member.pk, "start": "2026-03-01"}, format="json"
    ).json()
    assert loan["state"] == "running"
    response = api.patch(f"/api/hardware-loans/{loan['id']}/", {"end": "2026-04-01"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "ended"
    assert Item.objects.available().get() == item


def test_items_are_searched_by_mac(api, make_item):
    make_item(mac_address="aa:bb:cc:dd:ee:ff")
    make_item()
    response = api.get("/api/hardware-items/", {"search": "aa:bb:cc"})
    assert [row["mac_address"] for row in response.json()["results"]] == ["aa:bb:cc:dd:ee:ff"]
