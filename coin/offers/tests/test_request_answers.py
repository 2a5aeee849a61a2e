"""Issue 14, point 11: members see prices and descriptions, cannot ask twice for an
offer they have, can cancel a pending request; admins accept or refuse one request
from its own page, with a start date and a warning about an unpaid member."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from coin.members.models import Member, MembershipFee
from coin.offers.models import Offer, OfferSubscription, SubscriptionRequest
from coin.offers.subscriptions import request_subscription

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def offer():
    return Offer.objects.create(
        name="VPN",
        reference="VPN",
        configuration_type="simple_dsl.SimpleDSL",
        requestable=True,
        period_fees=Decimal("8.00"),
        initial_fees=Decimal("20.00"),
        description="A tunnel to a clean Internet.",
    )


def test_the_request_form_shows_prices_and_descriptions(member_client, offer):
    Offer.objects.create(
        name="Box", reference="BOX", requestable=True, period_fees=Decimal("60"), billing_period=12
    )
    page = member_client.get(reverse("offers:request")).content.decode()
    assert "VPN — 8.00 € per month, 20.00 € to start" in page
    assert "A tunnel to a clean Internet." in page
    assert "Box — 60.00 € per year" in page


def test_an_offer_already_subscribed_cannot_be_requested(member_client, member, offer):
    subscription = OfferSubscription.objects.create(member=member, offer=offer)
    response = member_client.post(reverse("offers:request"), {"offer": offer.pk, "comment": ""})
    assert response.status_code == 200
    [error] = response.context["form"].errors["offer"]
    assert error == f"You already have VPN ({subscription.reference}): see My subscriptions."
    assert not SubscriptionRequest.objects.exists()


def test_a_stopped_subscription_does_not_prevent_a_new_request(member_client, member, offer):
    OfferSubscription.objects.create(
        member=member,
        offer=offer,
        subscription_date=datetime.date(2023, 1, 1),
        resign_date=datetime.date(2023, 6, 1),
    )
    response = member_client.post(reverse("offers:request"), {"offer": offer.pk, "comment": ""})
    assert response.status_code == 302 and SubscriptionRequest.objects.count() == 1


def test_a_second_pending_request_is_refused(member_client, member, offer):
    request_subscription(member, offer)
    response = member_client.post(reverse("offers:request"), {"offer": offer.pk, "comment": ""})
    assert response.context["form"].errors["offer"] == [
        "Your request for VPN is already waiting for an answer."
    ]
    assert SubscriptionRequest.objects.count() == 1


def test_a_member_cancels_their_pending_request(member_client, member, other_member, offer):
    mine = request_subscription(member, offer)
    theirs = request_subscription(other_member, offer)
    listing = member_client.get(reverse("offers:subscriptions")).content.decode()
    assert reverse("offers:cancel_request", args=[mine.pk]) in listing
    assert member_client.get(reverse("offers:cancel_request", args=[mine.pk])).status_code == 405
    assert member_client.post(reverse("offers:cancel_request", args=[theirs.pk])).status_code == 404
    response = member_client.post(reverse("offers:cancel_request", args=[mine.pk]), follow=True)
    assert "Your request for VPN is cancelled." in response.content.decode()
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (
        mine.state == SubscriptionRequest.State.CANCELLED
        and theirs.state == SubscriptionRequest.State.PENDING
    )
    # Cancelled: it can be asked again, and not cancelled twice.
    assert (
        reverse("offers:cancel_request", args=[mine.pk])
        not in member_client.get(reverse("offers:subscriptions")).content.decode()
    )
    request_subscription(member, offer)


def test_admin_accepts_from_the_requests_page_with_a_start_date(admin_client, member, offer):
    MembershipFee.objects.create(member=member, start_date=timezone.localdate() - datetime.timedelta(days=10))
    subscription_request = request_subscription(member, offer)
    change = admin_client.get(
        reverse("admin:offers_subscriptionrequest_change", args=[subscription_request.pk])
    )
    answer_url = reverse("admin:offers_subscriptionrequest_answer", args=[subscription_request.pk])
    assert answer_url in change.content.decode()
    page = admin_client.get(answer_url).content.decode()
    assert "8.00 € per month" in page and "not up to date" not in page and "still pending" not in page
    start = timezone.localdate() + datetime.timedelta(days=14)
    response = admin_client.post(
        answer_url, {"subscription_date": start.isoformat(), "answer": "Welcome!", "accept": "1"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription_request.refresh_from_db()
    assert subscription_request.state == SubscriptionRequest.State.ACCEPTED
    assert subscription_request.subscription.subscription_date == start
    assert subscription_request.answer == "Welcome!"
    assert answer_url not in admin_client.get(response["Location"]).content.decode()


def test_admin_refuses_from_the_requests_page(admin_client, member, offer):
    subscription_request = request_subscription(member, offer)
    url = reverse("admin:offers_subscriptionrequest_answer", args=[subscription_request.pk])
    response = admin_client.post(
        url, {"subscription_date": timezone.localdate().isoformat(), "answer": "No line here.", "refuse": "1"}
    )
    assert response.status_code == 302
    subscription_request.refresh_from_db()
    assert (
        subscription_request.state == SubscriptionRequest.State.REFUSED
        and not OfferSubscription.objects.exists()
    )


@pytest.mark.parametrize(
    ("status", "fee", "warning"),
    [
        (Member.Status.PENDING, False, "is still pending: no membership fee was recorded yet."),
        (Member.Status.MEMBER, False, "membership fee is not up to date."),
    ],
)
def test_admin_is_warned_about_a_pending_or_unpaid_member(
    admin_client, member_factory, offer, status, fee, warning
):
    newcomer = member_factory(username="newcomer", status=status)
    subscription_request = request_subscription(newcomer, offer)
    page = admin_client.get(
        reverse("admin:offers_subscriptionrequest_answer", args=[subscription_request.pk])
    )
    assert warning in page.content.decode()


def test_a_start_date_is_required_to_accept(admin_client, member, offer):
    subscription_request = request_subscription(member, offer)
    url = reverse("admin:offers_subscriptionrequest_answer", args=[subscription_request.pk])
    response = admin_client.post(url, {"subscription_date": "", "accept": "1"})
    assert response.status_code == 200 and "subscription_date" in response.context["form"].errors
    subscription_request.refresh_from_db()
    assert subscription_request.state == SubscriptionRequest.State.PENDING
