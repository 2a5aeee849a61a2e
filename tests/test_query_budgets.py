"""List pages and portal pages cost a bounded number of queries, whatever the
number of rows (no N+1)."""

import datetime

import pytest
from django.urls import reverse

from coin.members.models import MembershipFee
from coin.offers.models import Offer
from coin.offers.subscriptions import subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(member_factory, isp):
    offers = [
        Offer.objects.create(name="ADSL", reference="DSL", configuration_type="simple_dsl.SimpleDSL"),
        Offer.objects.create(name="Fibre", reference="FTTH", configuration_type="coin_fiber.FiberLine"),
    ]
    members = [member_factory() for _ in range(30)]
    for index, member in enumerate(members):
        MembershipFee.objects.create(member=member, start_date=datetime.date(2026, 1, 1))
        subscribe(member=member, offer=offers[index % 2])
    return members


@pytest.mark.parametrize(
    "url",
    [
        "/admin/members/member/",
        "/admin/members/membershipfee/",
        "/admin/offers/offersubscription/",
        "/admin/offers/offer/",
        "/admin/configuration/configuration/",
        "/admin/simple_dsl/simpledsl/",
        "/admin/provisioning/provisioningjob/",
    ],
)
def test_admin_changelists(admin_client, many, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "name", ["portal:dashboard", "members:detail", "offers:subscriptions", "portal:support"]
)
def test_portal_pages(client, many, name, django_assert_max_num_queries):
    member = many[0]
    for _ in range(10):
        subscribe(member=member, offer=Offer.objects.first())
    client.force_login(member)
    # The dashboard also reads the balance, the unpaid invoices, the services with
    # their configurations and addresses, and the pending requests (issue 14).
    with django_assert_max_num_queries(16 if name == "portal:dashboard" else 12):
        assert client.get(reverse(name)).status_code == 200
