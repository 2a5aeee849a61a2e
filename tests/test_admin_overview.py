"""Issue 14, point 8: the admin index shows today's key figures and the same figures
over the last year, each linking to the admin list it counts, for a fixed number of
queries whatever the number of members."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from coin.billing.invoices import Line, issue_credit_note, issue_invoice
from coin.billing.payments import record_payment
from coin.members.membership import record_fee
from coin.members.models import Member, MembershipFee
from coin.offers.models import Offer, SubscriptionRequest
from coin.offers.subscriptions import request_subscription, subscribe
from coin.portal import overview
from coin.provisioning.models import ProvisioningJob

pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.django_db]

TODAY = datetime.date(2026, 6, 15)


@pytest.fixture
def isp_data(member_factory, private_root):
    """Three members (one pending), two subscribers of a 30 € per quarter offer and one
    of a free one, invoices partly paid and credited, a pending request, a failed job."""
    quarterly = Offer.objects.create(
        name="Fibre", reference="FIB", billing_period=3, period_fees=Decimal("30.00"), requestable=True
    )
    free = Offer.objects.create(
        name="Free", reference="FREE", billing_period=1, period_fees=Decimal("5.00"), non_billable=True
    )
    alice = member_factory(username="alice")
    bob = member_factory(username="bob")
    member_factory(username="carol", status=Member.Status.PENDING)
    for member, start in [(alice, "2025-09-01"), (bob, "2026-03-01")]:
        start_date = datetime.date.fromisoformat(start)
        record_fee(MembershipFee(member=member, amount=Decimal("20"), start_date=start_date))
    subscribe(alice, quarterly, subscription_date=datetime.date(2026, 1, 1))
    subscribe(bob, quarterly, subscription_date=datetime.date(2026, 5, 1))
    subscribe(bob, free, subscription_date=datetime.date(2026, 5, 1))
    first = issue_invoice(alice, [Line("Fibre", Decimal("30.00"))], datetime.date(2026, 1, 1))
    issue_invoice(alice, [Line("Fibre", Decimal("30.00"))], datetime.date(2026, 4, 1))
    record_payment(alice, Decimal("20.00"), date=datetime.date(2026, 2, 1))
    issue_credit_note(first, Decimal("4.00"), "outage", datetime.date(2026, 2, 10))
    request_subscription(member_factory(username="dave"), quarterly)
    ProvisioningJob.objects.create(subject="member:1", provisioner="x", action="update", state="failed")
    return {"alice": alice, "bob": bob}


def test_key_figures_count_what_their_lists_show(isp_data):
    figures = {figure.label: figure for figure in overview.key_figures(TODAY)}
    assert figures["member"].value == "3"  # alice, bob, dave
    assert figures["pending"].value == "1"
    assert figures["subscribers"].value == "2"
    assert figures["monthly recurring revenue"].value == "20.00 €"  # 2 × 30 € / 3 months
    assert figures["unpaid"].value == "36.00 €"  # 60 − 4 credited − 20 paid
    assert figures["pending subscription requests"].value == "1"
    assert figures["pending subscription requests"].alert
    assert figures["failed provisioning jobs"].value == "1"
    assert figures["member"].url == reverse("admin:members_member_changelist") + "?status__exact=member"


def test_the_figures_over_time(isp_data):
    days = overview.chart_days(TODAY)
    assert len(days) == 13 and days[0] == datetime.date(2025, 7, 1) and days[-1] == TODAY
    assert days[-2] == datetime.date(2026, 6, 1)
    # Fees: alice's from 2025-09-01, bob's from 2026-03-01 (a year each).
    assert overview.members_over_time(days) == [0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    assert overview.subscribers_over_time(days) == [0] * 6 + [1, 1, 1, 1, 2, 2, 2]
    assert (
        overview.recurring_revenue_over_time(days)
        == [Decimal("0.00")] * 6 + [Decimal("10.00")] * 4 + [Decimal("20.00")] * 3
    )
    # 30 € invoiced on 1 Jan, 20 € paid on 1 Feb, 4 € credited on 10 Feb, 30 € on 1 April.
    expected = [Decimal(v) for v in ["0", "0", "0", "0", "0", "0", "30", "10", "6", "36", "36", "36", "36"]]
    assert overview.unpaid_over_time(days) == [round(v, 2) for v in expected]


def test_the_admin_index_shows_the_overview_and_every_link_opens_its_list(operator_client, isp_data):
    page = operator_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    content = page.content.decode()
    assert 'id="overview"' in content
    assert content.count('class="line-chart"') == 4
    section = content.split('id="overview"')[1].split("</section>")[0]
    links = set(re.findall(r'href="([^"]+)"', section))
    assert len(links) >= 6
    for link in links:
        response = operator_client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        assert "?e=1" not in response.get("Location", ""), link  # a filter the list refuses
    listed = operator_client.get(
        reverse("admin:offers_subscriptionrequest_changelist") + "?state__exact=pending"
    )
    assert listed.context["cl"].result_count == SubscriptionRequest.objects.filter(state="pending").count()
    # An app's index does not repeat it.
    assert (
        'id="overview"'
        not in operator_client.get(reverse("admin:app_list", args=["billing"])).content.decode()
    )


def test_staff_who_may_not_see_members_get_no_overview(client, member_factory, isp_data):
    client.force_login(member_factory(username="helper", is_staff=True, status="not_member"))
    content = client.get(reverse("admin:index")).content.decode()
    assert 'id="overview"' not in content


def test_the_overview_costs_the_same_whatever_the_number_of_members(
    operator_client, isp_data, member_factory, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        operator_client.get(reverse("admin:index"))
    offer = Offer.objects.get(reference="FIB")
    for n in range(30):
        member = member_factory(username=f"many{n}")
        subscribe(member, offer, subscription_date=datetime.date(2026, 2, 1))
        issue_invoice(member, [Line("Fibre", Decimal("30.00"))], datetime.date(2026, 5, 1))
    # Session, user, recent actions, then 6 figures (7 queries) and 4 series (6).
    with django_assert_max_num_queries(17):
        response = operator_client.get(reverse("admin:index"))
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as many:
        operator_client.get(reverse("admin:index"))
    assert len(many) == len(few)


def test_a_chart_has_a_point_per_value_with_its_text_and_escapes_labels():
    from coin.charts import Point, line_svg

    svg = line_svg(
        [Point("<1>", 0, "0 €"), Point("2", Decimal("12.5"), "12.50 €"), Point("3", 5, "5 €")], "A & B"
    )
    assert svg.count("<circle") == 3
    assert "<title>&lt;1&gt;: 0 €</title>" in svg and "<title>A &amp; B</title>" in svg
    assert ">12.50 €</text>" in svg  # the maximum, on the axis
    assert "<circle" not in line_svg([], "empty")
