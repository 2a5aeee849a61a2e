"""Credit notes as members and admins meet them (issue 14, point 5): the PDF from the
billing page and the admin, "credited" rather than "paid", no credit note offered when
nothing is left, a read-only issued note, the amount pre-filled."""

from decimal import Decimal

import pytest
from django.urls import reverse

from coin.billing.debt import is_fully_credited
from coin.billing.invoices import issue_credit_note
from coin.billing.ledger import with_amounts
from coin.billing.models import CreditNote, Invoice
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def staff_client(client, member_factory):
    admin = member_factory(username="admin", is_staff=True, is_superuser=True, status="not_member")
    client.force_login(admin)
    return client


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:billing_{name}", args=args)


def annotated(invoice: Invoice) -> Invoice:
    return with_amounts(Invoice.objects.filter(pk=invoice.pk)).get()


def test_a_member_downloads_their_credit_note_and_nobody_else_does(
    client, member, other_member, invoice_for, resumed
):
    note = issue_credit_note(
        invoice_for(member, "30.00", "2025-01-10"), Decimal("5.00"), "outage", d("2025-01-20")
    )
    url = reverse("billing:credit_note_pdf", args=[note.pk])
    assert client.get(url).status_code == 302  # a login first
    client.force_login(member)
    page = client.get(reverse("billing:index")).content.decode()
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert f'filename="avoir-{note.number}.pdf"' in response["Content-Disposition"]
    client.force_login(other_member)
    assert client.get(url).status_code == 404
    assert client.get(reverse("billing:credit_note_pdf", args=[999999])).status_code == 404


def test_staff_download_any_credit_note_from_its_admin_page(staff_client, member, invoice_for, resumed):
    note = issue_credit_note(invoice_for(member, "30.00", "2025-01-10"), Decimal("5.00"), "outage")
    page = staff_client.get(admin_url("creditnote_change", note.pk)).content.decode()
    url = reverse("billing:credit_note_pdf", args=[note.pk])
    assert f'href="{url}"' in page
    assert f'href="{url}"' in staff_client.get(admin_url("creditnote_changelist")).content.decode()
    assert staff_client.get(url).status_code == 200


def test_a_fully_credited_invoice_reads_credited_not_paid(member_client, member, invoice_for, resumed):
    invoice = invoice_for(member, "30.00", "2025-01-10")
    other = invoice_for(member, "12.00", "2025-01-11")
    issue_credit_note(invoice, Decimal("30.00"), "never delivered", d("2025-01-20"))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CLOSED
    assert is_fully_credited(annotated(invoice)) and not is_fully_credited(annotated(other))
    issue_credit_note(other, Decimal("2.00"), "outage", d("2025-01-20"))
    assert not is_fully_credited(annotated(other))  # partly credited, still to pay
    response = member_client.get(reverse("billing:index"))
    rows = {i.number: i for i in response.context["invoices"]}
    assert rows[invoice.number].fully_credited and not rows[other.number].fully_credited
    content = response.content.decode()
    assert '<span class="badge ok">credited</span>' in content
    assert '<span class="badge ok">paid</span>' not in content


def test_the_admin_says_credited_and_offers_no_credit_note_when_nothing_is_left(
    staff_client, member, invoice_for, resumed
):
    invoice = invoice_for(member, "30.00", "2025-03-01")
    add = admin_url("creditnote_add") + f"?invoice={invoice.pk}"
    issue_credit_note(invoice, Decimal("10.00"), "outage")
    page = staff_client.get(admin_url("invoice_change", invoice.pk)).content.decode()
    assert "Create a credit note" in page and add in page
    issue_credit_note(invoice, Decimal("20.00"), "cancelled")
    page = staff_client.get(admin_url("invoice_change", invoice.pk)).content.decode()
    assert "Create a credit note" not in page and "Nothing left to credit." in page
    listing = staff_client.get(admin_url("invoice_changelist")).content.decode()
    assert '<td class="field-state">credited</td>' in listing
    response = staff_client.post(
        admin_url("invoice_changelist"),
        {"action": "create_credit_note", "_selected_action": [invoice.pk]},
        follow=True,
    )
    assert f"Nothing is left to credit on invoice {invoice.number}." in response.content.decode()
    assert response.redirect_chain == [(admin_url("invoice_changelist"), 302)]  # back to the list


def test_the_amount_is_prefilled_with_what_is_left_to_credit(staff_client, member, invoice_for, resumed):
    invoice = invoice_for(member, "30.00", "2025-03-01")
    issue_credit_note(invoice, Decimal("12.50"), "outage")
    form = staff_client.get(admin_url("creditnote_add") + f"?invoice={invoice.pk}").context["adminform"].form
    assert form.initial["amount"] == Decimal("17.50")
    blank = staff_client.get(admin_url("creditnote_add")).context["adminform"].form
    assert "amount" not in blank.initial


def test_an_issued_credit_note_page_is_read_only_without_save_buttons(
    staff_client, member, invoice_for, resumed
):
    note = issue_credit_note(invoice_for(member, "30.00", "2025-03-01"), Decimal("5.00"), "outage")
    page = staff_client.get(admin_url("creditnote_change", note.pk)).content.decode()
    for button in ['name="_save"', 'name="_continue"', 'name="_addanother"']:
        assert button not in page
    before = list(CreditNote.objects.values())
    assert (
        staff_client.post(admin_url("creditnote_change", note.pk), {"reason": "changed"}).status_code == 403
    )
    assert list(CreditNote.objects.values()) == before
