"""The hardware in the admin: availability, filters, search by MAC or serial,
counts, loan history, bulk moves, loan actions, the loan form's dependent
choices, lent hardware on the subscription's page."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from hardware_provisioning import loans
from hardware_provisioning.models import Item, Loan

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/hardware_provisioning/item/"


@pytest.fixture
def stock(make_item, member, other_member, modem_type, other_site):
    """Five items: stored, lent, requested, deployed, and a modem at the other site (not
    the root conftest's ``inventory``, the fiber app's far end)."""
    stored = make_item(designation="Stored router", mac_address="c0:4a:00:00:00:01", serial="SN-STORED")
    lent = make_item(designation="Lent router")
    asked = make_item(designation="Asked router", storage=other_site)
    deployed = make_item(designation="Deployed router", deployed=True, storage=None)
    modem = make_item(designation="Spare modem", type=modem_type, storage=other_site)
    loans.open_loan(lent, member)
    loans.open_loan(asked, other_member, state=Loan.State.REQUESTED)
    return {"stored": stored, "lent": lent, "asked": asked, "deployed": deployed, "modem": modem}


def designations(response) -> list[str]:
    return sorted(item.designation for item in response.context["cl"].result_list)


def test_item_list_shows_availability_and_counts(admin_client, stock):
    response = admin_client.get(CHANGELIST)
    page = response.content.decode()
    assert response.status_code == 200
    for label in ["in storage", "lent", "requested by a member", "deployed"]:
        assert f'<td class="field-availability">{label}</td>' in page
    counts = response.context["hardware_counts"]
    assert counts["sites"] == ["Cave", "Local"]
    assert counts["rows"] == [
        {"type": "DSL modem", "sites": [1, 0], "requested": 0, "lent": 0, "deployed": 0},
        {"type": "Router", "sites": [0, 1], "requested": 1, "lent": 1, "deployed": 1},
    ]
    assert 'id="hardware-counts-table"' in page
    assert f"{CHANGELIST}import/" in page and f"{CHANGELIST}export/" in page


@pytest.mark.parametrize(
    "query, expected",
    [
        ("state=in_storage", ["Spare modem", "Stored router"]),
        ("state=lent", ["Lent router"]),
        ("state=requested", ["Asked router"]),
        ("state=deployed", ["Deployed router"]),
        ("q=C0-4A-00-00-00-01", ["Stored router"]),
        ("q=c04a.0000.0001", ["Stored router"]),
        ("q=SN-STORED", ["Stored router"]),
        ("owned_by=member", []),
        ("owned_by=isp", ["Asked router", "Deployed router", "Lent router", "Spare modem", "Stored router"]),
    ],
)
def test_filters_and_search(admin_client, stock, query, expected):
    assert designations(admin_client.get(f"{CHANGELIST}?{query}")) == expected


def test_type_and_storage_filters(admin_client, stock, modem_type, other_site):
    assert designations(admin_client.get(f"{CHANGELIST}?type__id__exact={modem_type.pk}")) == ["Spare modem"]
    assert designations(admin_client.get(f"{CHANGELIST}?storage__id__exact={other_site.pk}")) == [
        "Asked router",
        "Spare modem",
    ]


def test_item_page_shows_its_loan_history(admin_client, stock, member):
    item = stock["lent"]
    page = admin_client.get(f"{CHANGELIST}{item.pk}/change/").content.decode()
    assert "Loan history" in page and member.username in page


def test_bulk_move_asks_the_site_then_moves_what_is_in_storage(admin_client, stock, other_site):
    selected = [stock["stored"].pk, stock["lent"].pk]
    data = {"action": "move_to_storage", "_selected_action": selected}
    page = admin_client.post(CHANGELIST, data)
    assert page.status_code == 200 and 'id="move-items"' in page.content.decode()
    response = admin_client.post(CHANGELIST, {**data, "apply": "1", "storage": other_site.pk}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert "1 item moved to Cave." in messages
    assert any(
        m.startswith("Not moved (lent, requested or deployed): Router — Lent router") for m in messages
    )
    assert Item.objects.get(pk=stock["stored"].pk).storage == other_site
    assert Item.objects.get(pk=stock["lent"].pk).storage is None


def test_bulk_move_without_a_site_shows_the_form_again(admin_client, stock):
    data = {"action": "move_to_storage", "_selected_action": [stock["stored"].pk], "apply": "1"}
    response = admin_client.post(CHANGELIST, data)
    assert response.status_code == 200 and "This field is required." in response.content.decode()


def test_loan_actions_approve_end_refuse(admin_client, stock):
    asked = Loan.objects.get(item=stock["asked"])
    lent = Loan.objects.get(item=stock["lent"])
    url = "/admin/hardware_provisioning/loan/"
    admin_client.post(url, {"action": "approve", "_selected_action": [asked.pk, lent.pk]}, follow=True)
    asked.refresh_from_db()
    assert asked.state == Loan.State.RUNNING
    response = admin_client.post(url, {"action": "end", "_selected_action": [asked.pk]}, follow=True)
    assert "1 loan(s) ended." in [str(m) for m in response.context["messages"]]
    asked.refresh_from_db()
    assert asked.state == Loan.State.ENDED and asked.end is not None
    response = admin_client.post(url, {"action": "refuse", "_selected_action": [lent.pk]}, follow=True)
    assert any("Only a request can be refused" in str(m) for m in response.context["messages"])


def autocomplete(client, name: str, **params) -> list[str]:
    query = {k: json.dumps(v) if k == "forward" else v for k, v in params.items()}
    response = client.get(reverse(f"admin:hardware_provisioning_loan_{name}_autocomplete"), query)
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def test_loan_form_item_list_follows_the_type_and_shows_available_items(admin_client, stock, modem_type):
    everything = autocomplete(admin_client, "item")
    assert len(everything) == 2 and all("Stored router" in t or "Spare modem" in t for t in everything)
    assert autocomplete(admin_client, "item", forward={"item_type": str(modem_type.pk)}) == [
        str(stock["modem"])
    ]
    assert autocomplete(admin_client, "item", q="c0-4a-00-00-00-01") == [str(stock["stored"])]


def test_loan_form_member_and_subscription_autocompletes(admin_client, member, other_member, subscribe):
    subscription = subscribe(member)
    assert autocomplete(admin_client, "member", q="domin") == [str(other_member)]
    assert autocomplete(admin_client, "subscription") == []
    assert len(autocomplete(admin_client, "subscription", forward={"member": str(member.pk)})) == 1
    assert autocomplete(admin_client, "subscription", forward={"member": str(other_member.pk)}) == []
    assert subscription.pk


def test_autocompletes_need_the_loan_permissions(client, member_factory):
    staff = member_factory(username="volunteer", is_staff=True)
    client.force_login(staff)
    url = reverse("admin:hardware_provisioning_loan_member_autocomplete")
    assert client.get(url).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="change_loan"))
    assert client.get(url).status_code == 200


def test_admin_adds_a_loan_and_the_form_refuses_a_taken_item(admin_client, stock, member, modem_type):
    url = "/admin/hardware_provisioning/loan/add/"
    page = admin_client.get(url).content.decode()
    assert "data-autocomplete-light-url" in page and "autocomplete/item/" in page
    assert 'style="' not in page  # the Content-Security-Policy refuses inline styles
    base = {"member": member.pk, "state": "running", "start": "2026-04-01", "location": "", "notes": ""}
    response = admin_client.post(url, {**base, "item": stock["asked"].pk})
    assert response.status_code == 200
    assert "item" in response.context["adminform"].form.errors
    response = admin_client.post(url, {**base, "item": stock["stored"].pk, "item_type": modem_type.pk})
    assert response.context["adminform"].form.errors == {"item": ["This item is not of the chosen type."]}
    response = admin_client.post(url, {**base, "item": stock["stored"].pk, "end": "2026-03-01"})
    assert "cannot end before it starts" in str(response.context["adminform"].form.errors["end"])
    assert admin_client.post(url, {**base, "item": stock["stored"].pk}).status_code == 302
    loan = Loan.objects.get(item=stock["stored"], state=Loan.State.RUNNING)
    assert loan.member == member and Item.objects.get(pk=stock["stored"].pk).storage is None


def test_the_subscription_admin_page_shows_the_lent_hardware(admin_client, member, item, subscribe):
    subscription = subscribe(member)
    loans.open_loan(item, member, subscription=subscription)
    page = admin_client.get(f"/admin/offers/offersubscription/{subscription.pk}/change/").content.decode()
    assert "Lent hardware" in page and item.designation in page


def test_admin_item_list_query_budget(
    admin_client, make_item, member, modem_type, django_assert_max_num_queries
):
    for index in range(30):
        item = make_item(type=modem_type) if index % 2 else make_item()
        if index % 3 == 0:
            loans.open_loan(item, member)
    with django_assert_max_num_queries(20):
        assert admin_client.get(CHANGELIST).status_code == 200
    with django_assert_max_num_queries(20):
        assert admin_client.get("/admin/hardware_provisioning/loan/").status_code == 200
