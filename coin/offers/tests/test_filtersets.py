"""One FilterSet per model (coin/offers/filtersets.py) for the admin's list filters
and the API's query parameters: the same rows either way."""

import datetime

import pytest

from coin.offers.models import Offer
from coin.offers.subscriptions import subscribe
from tests.api_cases import same_rows_in_admin_and_api

pytestmark = pytest.mark.django_db


def test_running_subscriptions_in_the_admin_and_the_api(admin_client, member, other_member):
    offer = Offer.objects.create(name="VPN", reference="vpn", period_fees="8.00")
    today = datetime.date.today()
    running = subscribe(member, offer, subscription_date=today - datetime.timedelta(days=30))
    resigned = subscribe(
        other_member,
        offer,
        subscription_date=today - datetime.timedelta(days=60),
        resign_date=today - datetime.timedelta(days=1),
    )
    future = subscribe(member, offer, subscription_date=today + datetime.timedelta(days=10))
    admin, api = "/admin/offers/offersubscription/", "/api/subscriptions/"
    same_rows_in_admin_and_api(
        admin_client,
        [
            (f"{admin}?running=yes", f"{api}?running=true", {running.pk}),
            (f"{admin}?running=no", f"{api}?running=false", {resigned.pk, future.pk}),
        ],
    )
    response = admin_client.get(f"{api}?member={member.pk}&running=false")
    assert {row["id"] for row in response.json()["results"]} == {future.pk}


def test_offers_filter_by_their_fields_in_the_api(admin_client):
    free = Offer.objects.create(name="Free", reference="free", non_billable=True, requestable=False)
    paid = Offer.objects.create(
        name="Paid", reference="paid", period_fees="10.00", requestable=True, billing_period=12
    )
    for query, expected in [
        ("non_billable=true", {free.pk}),
        ("requestable=true", {paid.pk}),
        ("billing_period=12", {paid.pk}),
        ("billing_period=1", {free.pk}),
    ]:
        response = admin_client.get(f"/api/offers/?{query}")
        assert response.status_code == 200
        assert {row["id"] for row in response.json()["results"]} == expected, query
    assert admin_client.get("/api/offers/?billing_period=monthly").status_code == 400
