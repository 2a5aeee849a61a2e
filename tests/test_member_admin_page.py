"""Issue 14, point 8: a member's admin page shows their subscriptions, balance,
invoices and IP addresses (panels the apps above coin.members add), and the member
list's search finds a member by an IP address of their subscriptions."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from coin.billing.invoices import Line, issue_invoice
from coin.billing.payments import record_payment
from coin.offers.models import Offer
from coin.offers.subscriptions import subscribe
from coin.resources.models import IPPool, IPSubnet, OfferIPPool

pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.django_db]


@pytest.fixture
def subscriber(member, other_member, private_root):
    """``member`` with a DSL line (an IPv4 /32 and an IPv6 /56), two invoices (one paid
    in part), and ``other_member`` with a line of their own."""
    v4 = IPPool.objects.create(name="v4", inet="192.0.2.0/24", default_subnetsize=32)
    v6 = IPPool.objects.create(name="v6", inet="2001:db8::/32", default_subnetsize=56)
    offer = Offer.objects.create(
        name="ADSL", reference="DSL", configuration_type="simple_dsl.SimpleDSL", period_fees=Decimal("25")
    )
    OfferIPPool.objects.create(offer=offer, pool=v4, order=1)
    OfferIPPool.objects.create(offer=offer, pool=v6, order=2)
    subscription = subscribe(member, offer, subscription_date=datetime.date(2025, 1, 1))
    subscribe(other_member, offer, subscription_date=datetime.date(2025, 1, 1))
    issue_invoice(member, [Line("ADSL", Decimal("25.00"))], datetime.date(2025, 1, 1))
    issue_invoice(member, [Line("ADSL", Decimal("25.00"))], datetime.date(2025, 2, 1))
    record_payment(member, Decimal("30.00"), date=datetime.date(2025, 2, 5))
    return subscription


def test_the_member_page_shows_subscriptions_billing_and_addresses(operator_client, member, subscriber):
    page = operator_client.get(reverse("admin:members_member_change", args=[member.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    subscriptions = content.split('id="member-subscriptions"')[1].split("</div>")[0]
    assert subscriber.reference in subscriptions and "running" in subscriptions
    assert reverse("admin:offers_offersubscription_change", args=[subscriber.pk]) in subscriptions
    billing = content.split('id="member-billing"')[1].split("</div>")[0]
    assert "Owes 20.00 €" in billing
    assert "invoiced 50.00 €, credited 0.00 €, paid 30.00 €" in billing
    assert "2025-02-000002" in billing and "2025-01-000001" in billing
    assert f"?member__id__exact={member.pk}" in billing
    addresses = content.split('id="member-addresses"')[1].split("</div>")[0]
    for subnet in IPSubnet.objects.of_member(member):
        assert str(subnet.inet) in addresses
    assert 'name="language"' in content  # the member's language is on the page too


def test_the_panels_links_open_the_members_own_rows(operator_client, member, other_member, subscriber):
    of_member = f"?member__id__exact={member.pk}"
    for name, count in [("billing_invoice", 2), ("billing_payment", 1), ("offers_offersubscription", 1)]:
        response = operator_client.get(reverse(f"admin:{name}_changelist") + of_member)
        assert response.status_code == 200, name
        assert response.context["cl"].result_count == count, name


def test_a_member_without_anything_reads_so(operator_client, other_member):
    url = reverse("admin:members_member_change", args=[other_member.pk])
    content = operator_client.get(url).content.decode()
    for text in ["No subscription.", "No invoice.", "No IP address.", "Up to date."]:
        assert text in content


def test_searching_members_by_an_ip_address(operator_client, member, other_member, subscriber):
    theirs = IPSubnet.objects.of_member(member)
    v4 = next(s for s in theirs if s.inet.version == 4)
    v6 = next(s for s in theirs if s.inet.version == 6)
    url = reverse("admin:members_member_changelist")
    for term in [str(v4.inet.network_address), str(v6.inet.network_address + 5), str(v6.inet)]:
        found = list(operator_client.get(url, {"q": term}).context["cl"].result_list)
        assert found == [member], term
    assert list(operator_client.get(url, {"q": "198.51.100.1"}).context["cl"].result_list) == []
    # Text still searches as before.
    by_name = operator_client.get(url, {"q": other_member.username}).context["cl"].result_list
    assert list(by_name) == [other_member]


def test_the_member_page_costs_the_same_with_many_invoices(
    operator_client, member, subscriber, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:members_member_change", args=[member.pk])
    with CaptureQueriesContext(connection) as few:
        operator_client.get(url)
    for month in range(3, 13):
        issue_invoice(member, [Line("ADSL", Decimal("25.00"))], datetime.date(2025, month, 1))
    with CaptureQueriesContext(connection) as many:
        response = operator_client.get(url)
    assert "All 12 invoices" in response.content.decode()
    assert len(many) == len(few)
