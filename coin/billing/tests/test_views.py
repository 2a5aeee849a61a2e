"""The member's billing page and invoice PDFs: each member sees only their own."""

from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.urls import reverse

from coin.billing.invoices import issue_credit_note
from coin.billing.models import Invoice
from coin.billing.payments import record_payment
from coin.billing.receipts import create_donation_receipt
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def pdf_calls(monkeypatch):
    """The documents part renders PDFs; here it answers with the invoice number."""
    from coin.billing import documents

    calls = []

    def respond(invoice):
        calls.append(invoice.pk)
        return HttpResponse(f"PDF {invoice.number}", content_type="application/pdf")

    monkeypatch.setattr(documents, "invoice_pdf_response", respond)
    return calls


@pytest.mark.parametrize("name, args", [("billing:index", []), ("billing:invoice_pdf", [1])])
def test_billing_pages_need_a_login(client, db, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_billing_page_shows_balance_invoices_payments_and_receipts(
    member_client, member, other_member, invoice_for, resumed
):
    first = invoice_for(member, "30.00", "2025-01-10")
    invoice_for(member, "12.00", "2025-02-10")
    issue_credit_note(first, Decimal("5.00"), "outage", d("2025-01-20"))
    record_payment(member, Decimal("20.00"), date=d("2025-02-01"), label="VIR camille")
    create_donation_receipt(member, Decimal("15.00"), "Don 2025", d("2025-02-02"))
    theirs = invoice_for(other_member, "99.00", "2025-02-11")
    Invoice.objects.create(member=member, date=d("2025-02-12"))  # a draft: not shown
    response = member_client.get(reverse("billing:index"))
    assert response.status_code == 200
    assert response.context["balance"].amount == Decimal("-17.00")
    content = response.content.decode()
    assert [i.number for i in response.context["invoices"]] == ["2025-02-000002", "2025-01-000001"]
    assert [i.remaining for i in response.context["invoices"]] == [Decimal("12.00"), Decimal("5.00")]
    for text in ["2025-01-000001", "AV-2025-01-000001", "Don 2025", "R-2025-000001", "17.00"]:
        assert text in content
    assert reverse("billing:invoice_pdf", args=[first.pk]) in content
    assert theirs.number not in content and "99.00" not in content


def test_the_menu_has_the_billing_page(member_client):
    response = member_client.get(reverse("billing:index"))
    assert reverse("billing:index") in [url for _label, url in response.context["menu_entries"]]
    assert f'href="{reverse("billing:index")}" aria-current="page"' in response.content.decode()


def test_a_member_downloads_their_invoice(member_client, member, invoice_for, pdf_calls):
    invoice = invoice_for(member, "30.00", "2025-01-10")
    response = member_client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response.content == b"PDF 2025-01-000001"
    assert pdf_calls == [invoice.pk]


def test_another_members_invoice_or_a_draft_is_not_found(
    member_client, member, other_member, invoice_for, pdf_calls
):
    theirs = invoice_for(other_member, "30.00", "2025-01-10")
    draft = Invoice.objects.create(member=member, date=d("2025-01-11"))
    for pk in [theirs.pk, draft.pk, 999999]:
        assert member_client.get(reverse("billing:invoice_pdf", args=[pk])).status_code == 404
    assert pdf_calls == []


def test_staff_download_any_validated_invoice(client, member_factory, other_member, invoice_for, pdf_calls):
    staff = member_factory(username="tresorier", is_staff=True)
    client.force_login(staff)
    theirs = invoice_for(other_member, "30.00", "2025-01-10")
    assert client.get(reverse("billing:invoice_pdf", args=[theirs.pk])).status_code == 200


def test_billing_page_queries_do_not_grow_with_invoices(
    member_client, member, invoice_for, resumed, django_assert_max_num_queries
):
    for day in range(1, 21):
        invoice_for(member, "10.00", f"2025-01-{day:02d}")
    for day in range(1, 6):
        record_payment(member, Decimal("15.00"), date=d(f"2025-02-{day:02d}"))
    from coin.billing.views import PER_PAGE

    # Balance, debt, one page of each list with its count (issue 14: paged lists), the
    # mandate in force.
    with django_assert_max_num_queries(19):
        response = member_client.get(reverse("billing:index"))
    assert len(response.context["invoices"]) == PER_PAGE
    assert response.content.decode().count("/pdf/") == PER_PAGE
    assert response.context["balance"].amount == Decimal("-125.00")
