"""The yes/no "is it set" filters of the admin lists filter the right way round."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from coin.billing.models import Invoice, Payment
from coin.billing.payments import record_payment
from coin.resources.models import IPSubnetAssignment

pytestmark = pytest.mark.django_db


def result_count(admin_client, url: str) -> int:
    return admin_client.get(url).context["cl"].result_count


def test_payments_to_assign_and_with_a_member(admin_client, member):
    record_payment(member, Decimal("10.00"))
    record_payment(None, Decimal("20.00"), label="VIR UNKNOWN")
    record_payment(None, Decimal("30.00"), label="VIR UNKNOWN 2")
    url = "/admin/billing/payment/"
    assert result_count(admin_client, url) == 3
    assert result_count(admin_client, url + "?matched=yes") == 1
    assert result_count(admin_client, url + "?matched=no") == 2
    assert Payment.objects.filter(member__isnull=True).count() == 2


def test_history_ongoing_means_no_end_date(admin_client):
    now = timezone.now()
    for inet, end in [("192.0.2.1/32", None), ("192.0.2.2/32", now), ("192.0.2.3/32", now)]:
        IPSubnetAssignment.objects.create(inet=inet, start=now - datetime.timedelta(days=30), end=end)
    url = "/admin/resources/ipsubnetassignment/"
    assert result_count(admin_client, url + "?ongoing=yes") == 1
    assert result_count(admin_client, url + "?ongoing=no") == 2


def test_drafts_and_validated_invoices(admin_client, member):
    from coin.billing.invoices import Line, issue_invoice

    issue_invoice(member, [Line(label="VPN", amount=Decimal("8.00"))])
    Invoice.objects.create(member=member)  # two drafts
    Invoice.objects.create(member=member)
    url = "/admin/billing/invoice/"
    assert result_count(admin_client, url + "?validated=yes") == 1
    assert result_count(admin_client, url + "?validated=no") == 2
