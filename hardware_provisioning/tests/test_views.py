"""The member pages: my hardware, what can be borrowed, borrow, return, hand over
(through the browser's requests, as a member would), another member's loans 404,
and the lent hardware under the configuration's page."""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from hardware_provisioning import loans
from hardware_provisioning.models import Item, Loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def others_loan(item, other_member, member_factory):
    """A running loan of another member, offered to a third one."""
    third = member_factory(username="third")
    loan = loans.open_loan(item, other_member)
    return loans.offer_handover(loan, other_member, third.username)


MEMBER_URLS = ["return", "handover", "cancel_handover", "accept_handover", "decline_handover"]


def test_every_loan_url_is_checked_here():
    hardware = next(
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "hardware"
    )
    with_pk = {p.name for p in hardware.url_patterns if "pk" in p.pattern.converters}
    assert with_pk == {*MEMBER_URLS, "borrow"}


@pytest.mark.parametrize("name", MEMBER_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_members_loan_is_404(member_client, others_loan, name, method):
    response = getattr(member_client, method)(reverse(f"hardware:{name}", args=[others_loan.pk]))
    post_only = name not in ("return", "handover")
    assert response.status_code == (405 if method == "get" and post_only else 404)
    loan = Loan.objects.get(pk=others_loan.pk)
    assert (loan.state, loan.handover_to.username, loan.member_id) == (
        Loan.State.RUNNING,
        "third",
        others_loan.member_id,
    )


@pytest.mark.parametrize("name", ["accept_handover", "decline_handover"])
def test_the_holder_cannot_answer_their_own_hand_over(client, others_loan, name):
    client.force_login(others_loan.member)
    assert client.post(reverse(f"hardware:{name}", args=[others_loan.pk])).status_code == 404


def test_an_item_lent_to_another_member_cannot_be_borrowed(member_client, others_loan):
    for method in ("get", "post"):
        response = getattr(member_client, method)(reverse("hardware:borrow", args=[others_loan.item_id]))
        assert response.status_code == 404
    assert Loan.objects.filter(item=others_loan.item).count() == 1


def test_my_hardware_shows_my_loans_only(member_client, member, other_member, make_item):
    mine, theirs, asked, old = (
        make_item(designation="Mine"),
        make_item(designation="Theirs"),
        make_item(designation="Asked"),
        make_item(designation="Old one"),
    )
    loans.open_loan(mine, member)
    loans.open_loan(theirs, other_member)
    loans.open_loan(asked, member, state=Loan.State.REQUESTED)
    loans.end_loan(loans.open_loan(old, member))
    page = member_client.get(reverse("hardware:index")).content.decode()
    assert "Mine" in page and "Asked" in page and "Old one" in page
    assert "Theirs" not in page and other_member.username not in page
    assert "Lent to me" in page and "My requests" in page and "Past loans" in page


def test_available_items_per_type_with_their_site(member_client, member, make_item, modem_type, site):
    make_item(designation="Free router")
    make_item(designation="Free modem", type=modem_type, storage=None)
    loans.open_loan(make_item(designation="Lent router"), member)
    make_item(designation="Deployed router", deployed=True)
    response = member_client.get(reverse("hardware:available"))
    page = response.content.decode()
    assert [(t.name, [i.designation for i in items]) for t, items in response.context["groups"]] == [
        ("DSL modem", ["Free modem"]),
        ("Router", ["Free router"]),
    ]
    assert "stored at Local" in page and "12 rue des Lilas" in page and "storage site unknown" in page
    assert "Lent router" not in page and "Deployed router" not in page


def test_borrow_return_in_the_portal(member_client, member, item, other_site, subscribe):
    subscription = subscribe(member)
    url = reverse("hardware:borrow", args=[item.pk])
    form = member_client.get(url)
    assert form.status_code == 200 and "Send the request" in form.content.decode()
    response = member_client.post(url, {"location": "Home", "subscription": subscription.pk, "notes": ""})
    assert response.status_code == 302
    loan = Loan.objects.get(item=item)
    assert (loan.member, loan.state, loan.subscription, loan.location) == (
        member,
        Loan.State.REQUESTED,
        subscription,
        "Home",
    )
    loans.approve(loan)
    response = member_client.post(reverse("hardware:return", args=[loan.pk]), {"storage": other_site.pk})
    assert response.status_code == 302
    loan.refresh_from_db()
    item.refresh_from_db()
    assert loan.state == Loan.State.ENDED and item.storage == other_site


def test_borrowing_for_another_members_subscription_is_refused(member_client, other_member, item, subscribe):
    theirs = subscribe(other_member)
    response = member_client.post(reverse("hardware:borrow", args=[item.pk]), {"subscription": theirs.pk})
    assert response.status_code == 200
    assert "subscription" in response.context["form"].errors
    assert not Loan.objects.exists()


def test_hand_over_through_the_portal(client, member, other_member, item):
    loan = loans.open_loan(item, member)
    client.force_login(member)
    url = reverse("hardware:handover", args=[loan.pk])
    page = client.get(url).content.decode()
    assert other_member.username not in page  # no member list, ever
    response = client.post(url, {"recipient": "somebody-else"})
    assert response.context["form"].errors == {"recipient": ["No member has this exact username or email."]}
    assert client.post(url, {"recipient": other_member.email}).status_code == 302
    assert "waiting for dominique to confirm" in client.get(reverse("hardware:index")).content.decode()

    client.force_login(other_member)
    page = client.get(reverse("hardware:index")).content.decode()
    assert "Handed over to you" in page and "offered by camille" in page
    assert client.post(reverse("hardware:accept_handover", args=[loan.pk])).status_code == 302
    assert Loan.objects.get(item=item, state=Loan.State.RUNNING).member == other_member

    client.force_login(member)
    page = client.get(reverse("hardware:index")).content.decode()
    assert "Nothing is lent to you." in page and "Past loans" in page


def test_lent_hardware_shows_on_the_configuration_page(member_client, member, item, subscribe):
    subscription = subscribe(member)
    configuration = subscription.configuration
    url = configuration.member_page_url()
    assert "Lent hardware" not in member_client.get(url).content.decode()
    loans.open_loan(item, member, subscription=subscription)
    page = member_client.get(url).content.decode()
    assert "Lent hardware" in page and item.designation in page and item.mac_address in page


def test_the_portal_menu_has_my_hardware(member_client):
    page = member_client.get(reverse("portal:dashboard")).content.decode()
    assert f'href="{reverse("hardware:index")}"' in page and "My hardware" in page


def test_member_pages_query_budget(member_client, member, make_item, django_assert_max_num_queries):
    for index in range(15):
        loan = loans.open_loan(make_item(), member)
        if index % 3 == 0:
            loans.end_loan(loan)
    for _ in range(10):
        make_item()
    for name in ["hardware:index", "hardware:available"]:
        with django_assert_max_num_queries(12):
            assert member_client.get(reverse(name)).status_code == 200
    assert Item.objects.count() == 25
