import datetime

import pytest
from django.urls import reverse

from coin.offers.models import Offer, SubscriptionRequest
from coin.offers.subscriptions import subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer():
    return Offer.objects.create(
        name="VPN", reference="VPN", configuration_type="simple_dsl.SimpleDSL", requestable=True
    )


def test_my_subscriptions_shows_mine_only_and_greys_resigned_ones(member_client, member, other_member, offer):
    mine = subscribe(member=member, offer=offer, subscription_date=datetime.date(2024, 1, 1))
    old = subscribe(
        member=member,
        offer=offer,
        subscription_date=datetime.date(2023, 1, 1),
        resign_date=datetime.date(2023, 6, 1),
    )
    theirs = subscribe(member=other_member, offer=offer)
    page = member_client.get(reverse("offers:subscriptions")).content.decode()
    assert mine.reference in page and old.reference in page
    assert theirs.reference not in page
    assert page.count('class="inactive"') == 1


def test_subscriptions_page_query_budget(member_client, member, offer, django_assert_max_num_queries):
    for _ in range(15):
        subscribe(member=member, offer=offer)
    with django_assert_max_num_queries(12):
        assert member_client.get(reverse("offers:subscriptions")).status_code == 200


def test_request_from_the_portal(member_client, member, offer):
    response = member_client.post(reverse("offers:request"), {"offer": offer.pk, "comment": "please"})
    assert response.status_code == 302
    request = SubscriptionRequest.objects.get()
    assert (request.member, request.offer, request.comment) == (member, offer, "please")


def test_request_form_offers_only_requestable_offers(member_client, offer):
    hidden = Offer.objects.create(name="Internal", reference="INT")
    response = member_client.post(reverse("offers:request"), {"offer": hidden.pk})
    assert response.status_code == 200
    assert "offer" in response.context["form"].errors
    assert not SubscriptionRequest.objects.exists()


def test_resign_online(member_client, member, offer):
    subscription = subscribe(member=member, offer=offer, subscription_date=datetime.date(2024, 1, 1))
    day = datetime.date.today() + datetime.timedelta(days=30)
    response = member_client.post(
        reverse("offers:resign", args=[subscription.pk]), {"resign_date": day.isoformat(), "confirm": "on"}
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.resign_date == day


def test_resign_in_the_past_is_refused_with_the_field_named(member_client, member, offer):
    subscription = subscribe(member=member, offer=offer, subscription_date=datetime.date(2024, 1, 1))
    response = member_client.post(
        reverse("offers:resign", args=[subscription.pk]), {"resign_date": "2024-06-01", "confirm": "on"}
    )
    assert response.status_code == 200
    assert "resign_date" in response.context["form"].errors
    subscription.refresh_from_db()
    assert subscription.resign_date is None


def test_cannot_resign_another_members_subscription(member_client, other_member, offer):
    theirs = subscribe(member=other_member, offer=offer)
    url = reverse("offers:resign", args=[theirs.pk])
    assert member_client.get(url).status_code == 404
    day = (datetime.date.today() + datetime.timedelta(days=5)).isoformat()
    assert member_client.post(url, {"resign_date": day, "confirm": "on"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.resign_date is None


def test_admin_accepts_a_request_with_the_action(admin_client, member, offer):
    request = SubscriptionRequest.objects.create(member=member, offer=offer)
    admin_client.post(
        "/admin/offers/subscriptionrequest/", {"action": "accept", "_selected_action": [request.pk]}
    )
    request.refresh_from_db()
    assert request.state == SubscriptionRequest.State.ACCEPTED
    assert request.subscription.member == member
