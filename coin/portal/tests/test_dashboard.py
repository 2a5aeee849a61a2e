"""Issue 14, points 3 and 4: the dashboard says what the member owes and by when,
what services they have; each service's page shows its details and addresses."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from coin.billing.invoices import Line, issue_invoice
from coin.members.models import Member
from coin.offers.models import Offer
from coin.offers.subscriptions import subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def get(client, url: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_shows_what_is_owed_and_by_when(member_client, member, isp):
    day = timezone.localdate() - datetime.timedelta(days=3)
    invoice = issue_invoice(member, [Line("VPN", Decimal("40.00"))], day)
    page = get(member_client, reverse("portal:dashboard"))
    assert "You owe 40.00 €" in page
    with translation.override("en"):
        from django.utils.formats import date_format

        assert f"To pay by {date_format(invoice.date_due, 'DATE_FORMAT')}." in page
    assert reverse("billing:index") + "#how-to-pay" in page


def test_the_dashboard_says_when_payment_is_overdue(member_client, member, isp, settings):
    settings.PAYMENT_DELAY = 10
    issue_invoice(member, [Line("VPN", Decimal("8.00"))], timezone.localdate() - datetime.timedelta(days=40))
    page = get(member_client, reverse("portal:dashboard"))
    assert "1 overdue invoice (8.00 €)" in page and "Overdue since" in page


def test_a_pending_member_is_told_how_to_pay_the_fee(client, member_factory, isp, settings):
    settings.MEMBER_DEFAULT_COTISATION = "15.00"
    settings.MEMBER_MEMBERSHIP_INFO_URL = ""
    pending = member_factory(username="newbie", status=Member.Status.PENDING)
    client.force_login(pending)
    page = get(client, reverse("portal:dashboard"))
    assert "How to pay the membership fee" in page and "The yearly fee is 15.00 €" in page
    assert "FR7630006000011234567890189" in page
    assert '<code class="reference">newbie</code>' in page


@pytest.fixture
def dsl_subscription(member):
    offer = Offer.objects.create(name="ADSL", reference="DSL", configuration_type="simple_dsl.SimpleDSL")
    subscription = subscribe(member, offer, subscription_date=datetime.date(2025, 1, 1))
    configuration = subscription.configuration
    configuration.phone_number = "01 23 45 67 89"
    configuration.save()
    return subscription


def test_a_service_page_shows_the_line_its_addresses_and_the_resolvers(
    member_client, dsl_subscription, settings, isp
):
    from coin.resources.models import IPPool, IPSubnet

    settings.SERVICE_DNS_RESOLVERS = ["80.67.169.12", "2001:910:800::12"]
    settings.SERVICE_IPV4_GATEWAY = "198.51.100.1"
    pool = IPPool(name="v4", inet="198.51.100.0/24", default_subnetsize=32)
    pool.full_clean()
    pool.save()
    subnet = IPSubnet(inet="198.51.100.7/32", ip_pool=pool, configuration=dsl_subscription.configuration)
    subnet.full_clean()
    subnet.save()
    page = get(member_client, reverse("portal:service", args=[dsl_subscription.pk]))
    assert "Phone number" in page and "01 23 45 67 89" in page
    assert "<code>198.51.100.7/32</code>" in page
    assert "<code>198.51.100.1</code>" in page
    assert "<code>80.67.169.12</code>" in page and "<code>2001:910:800::12</code>" in page
    listing = get(member_client, reverse("offers:subscriptions"))
    assert reverse("portal:service", args=[dsl_subscription.pk]) in listing
    dashboard = get(member_client, reverse("portal:dashboard"))
    assert "ADSL" in dashboard and "<code>198.51.100.7/32</code>" in dashboard and "running" in dashboard


def test_another_members_service_is_a_404(client, other_member, dsl_subscription):
    client.force_login(other_member)
    assert client.get(reverse("portal:service", args=[dsl_subscription.pk])).status_code == 404


def test_a_dsl_line_without_phone_number_reads_clearly(dsl_subscription):
    configuration = dsl_subscription.configuration
    configuration.phone_number = ""
    assert str(configuration) == f"DSL line without phone number — {dsl_subscription.reference}"
    assert "?" not in str(configuration)
