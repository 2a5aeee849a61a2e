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


def admin_ids(admin_client, url: str) -> set[int]:
    return {row.pk for row in admin_client.get(url).context["cl"].result_list}


def api_ids(admin_client, url: str) -> set[int]:
    response = admin_client.get(url)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_billing_list_filters_are_the_apis_filters(admin_client, member):
    """One FilterSet per model (billing/filtersets.py) for the admin's list filters and
    the API's query parameters: the same rows either way."""
    from coin.billing.invoices import Line, issue_invoice

    validated = issue_invoice(member, [Line(label="VPN", amount=Decimal("8.00"))])
    draft = Invoice.objects.create(member=member)
    matched = record_payment(member, Decimal("10.00"))
    unmatched = record_payment(None, Decimal("20.00"), label="VIR UNKNOWN")
    for admin_url, api_url, expected in [
        ("/admin/billing/invoice/?validated=yes", "/api/invoices/?validated=true", {validated.pk}),
        ("/admin/billing/invoice/?validated=no", "/api/invoices/?validated=false", {draft.pk}),
        ("/admin/billing/payment/?matched=yes", "/api/payments/?matched=true", {matched.pk}),
        ("/admin/billing/payment/?matched=no", "/api/payments/?matched=false", {unmatched.pk}),
    ]:
        assert admin_ids(admin_client, admin_url) == expected, admin_url
        assert api_ids(admin_client, api_url) == expected, api_url


def test_the_adapter_takes_only_yes_no_and_choice_filters():
    from coin.admin_filters import apply_filter, list_filter
    from coin.billing.filtersets import InvoiceFilterSet, PaymentFilterSet

    with pytest.raises(TypeError, match="two labels"):
        list_filter(InvoiceFilterSet, "validated", "validation")
    with pytest.raises(TypeError, match="only yes/no and choice filters"):
        list_filter(PaymentFilterSet, "date_from", "from")
    with pytest.raises(ValueError, match="is refused"):
        apply_filter(InvoiceFilterSet, "date_from", "not a date", Invoice.objects.all())
