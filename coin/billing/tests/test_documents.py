"""What follows a validation (PDF in the background, "new invoice" email) and how a
bill's PDF is handed out (Django, or the web server through an offload header)."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django.http import FileResponse
from django.urls import reverse

from coin.billing import documents, emails, pdf
from coin.billing.models import CreditNote, Invoice, Receipt
from coin.billing.tests.documents_support import line, make_invoice, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(member, full_isp):
    return make_invoice(
        member,
        [line("Accès VPN", "8.00")],
        day=datetime.date(2026, 4, 1),
        due=datetime.date(2026, 5, 1),
        number="2026-04-000001",
    )


def body(response) -> bytes:
    """The response's bytes, closing the file it streams. Not response.close(): that
    signals the end of a request, which closes the test's database connection."""
    if not response.streaming:
        return response.content
    try:
        return b"".join(response.streaming_content)
    finally:
        if getattr(response, "file_to_stream", None) is not None:
            response.file_to_stream.close()


# --- Downloads --------------------------------------------------------------------------


def test_pdf_not_rendered_yet_is_rendered_on_the_spot(invoice, private_root):
    assert not invoice.pdf
    response = documents.invoice_pdf_response(invoice)
    assert isinstance(response, FileResponse)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="facture-2026-04-000001.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    data = body(response)
    assert data.startswith(b"%PDF-") and "2026-04-000001" in pdf_text(data)
    assert Invoice.objects.get(pk=invoice.pk).pdf.name == "invoices/2026/2026-04-000001.pdf"
    assert (Path(private_root) / "invoices/2026/2026-04-000001.pdf").exists()


def test_x_accel_redirect_offload(invoice, settings):
    settings.PRIVATE_FILES_OFFLOAD = "x-accel-redirect"
    settings.PRIVATE_FILES_OFFLOAD_PREFIX = "/protected/"
    response = documents.invoice_pdf_response(invoice)
    assert response.content == b""
    assert response["X-Accel-Redirect"] == "/protected/invoices/2026/2026-04-000001.pdf"
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="facture-2026-04-000001.pdf"' in response["Content-Disposition"]
    # The web server sends the file: it must be there already.
    assert Path(Invoice.objects.get(pk=invoice.pk).pdf.path).exists()


def test_x_sendfile_offload(invoice, settings, private_root):
    settings.PRIVATE_FILES_OFFLOAD = "x-sendfile"
    response = documents.invoice_pdf_response(invoice)
    assert response.content == b""
    assert response["X-Sendfile"] == str(Path(private_root).resolve() / "invoices/2026/2026-04-000001.pdf")


def test_unknown_offload_is_a_configuration_error(invoice, settings):
    settings.PRIVATE_FILES_OFFLOAD = "x-magic"
    with pytest.raises(ValueError, match="PRIVATE_FILES_OFFLOAD"):
        documents.invoice_pdf_response(invoice)


def test_a_draft_is_previewed_not_stored(member, full_isp, private_root):
    draft = make_invoice(member, [line("VPN", "8.00")], validated=False)
    response = documents.invoice_pdf_response(draft)
    assert response["Content-Disposition"] == 'inline; filename="facture-brouillon.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert not Invoice.objects.get(pk=draft.pk).pdf
    assert not Path(private_root).exists()


def test_credit_note_and_receipt_downloads(invoice):
    note = CreditNote.objects.create(
        number="AV-2026-04-000001",
        invoice=invoice,
        member=invoice.member,
        amount=Decimal("2.00"),
        reason="Geste commercial",
        validated_at=invoice.validated_at,
        date=datetime.date(2026, 4, 2),
    )
    response = documents.credit_note_pdf_response(note)
    assert response["Content-Disposition"] == 'attachment; filename="avoir-AV-2026-04-000001.pdf"'
    assert "Geste commercial" in pdf_text(body(response))
    assert CreditNote.objects.get(pk=note.pk).pdf.name == "credit_notes/2026/AV-2026-04-000001.pdf"

    receipt = Receipt.objects.create(
        number="R-2026-000003",
        kind=Receipt.Kind.DONATION,
        member=invoice.member,
        amount=Decimal("15.00"),
        label="Don",
        date=datetime.date(2026, 4, 3),
    )
    response = documents.receipt_pdf_response(receipt)
    assert "15,00 €" in pdf_text(body(response))
    assert Receipt.objects.get(pk=receipt.pk).pdf.name == "receipts/2026/R-2026-000003.pdf"


def test_pdf_is_served_to_its_member_and_staff_only(invoice, client, member, other_member, member_factory):
    url = reverse("billing:invoice_pdf", args=[invoice.pk])
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200
    assert body(response).startswith(b"%PDF-")

    client.force_login(other_member)
    assert client.get(url).status_code == 404

    client.force_login(member_factory(username="tresorier", is_staff=True))
    response = client.get(url)
    assert response.status_code == 200 and body(response).startswith(b"%PDF-")

    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_offload_through_the_view(invoice, member_client, settings):
    settings.PRIVATE_FILES_OFFLOAD = "x-accel-redirect"
    response = member_client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/protected/invoices/2026/2026-04-000001.pdf"
    assert response.content == b""


# --- After validation -------------------------------------------------------------------


def issue(member, django_capture_on_commit_callbacks):
    """Validate an invoice as the ledger does, running what waits for the commit."""
    from coin.billing.invoices import Line, issue_invoice

    with django_capture_on_commit_callbacks(execute=True):
        # Today: the ledger refuses invoices dated in the future.
        return issue_invoice(member, [Line("Accès VPN", Decimal("8.00"))])


def test_validation_renders_the_pdf_and_emails_the_member(
    member, full_isp, django_capture_on_commit_callbacks
):
    invoice = issue(member, django_capture_on_commit_callbacks)
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.pdf.name == f"invoices/{invoice.date:%Y}/{invoice.number}.pdf"
    assert Path(stored.pdf.path).exists()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert message.from_email == "ARLP <tresorerie@arlp.example>"
    assert invoice.number in message.subject
    assert "https://coin.isp.example/billing/" in message.body
    assert "8,00 €" in message.body
    assert "FR7630006000011234567890189" in message.body
    assert f"{invoice.number} camille" in message.body
    assert message.attachments == []


def test_the_pdf_can_be_attached_to_the_email(member, full_isp, settings, django_capture_on_commit_callbacks):
    settings.INVOICE_EMAIL_ATTACH_PDF = True
    invoice = issue(member, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    (attachment,) = message.attachments
    filename, content, mimetype = attachment
    assert (filename, mimetype) == (f"facture-{invoice.number}.pdf", "application/pdf")
    assert invoice.number in pdf_text(content)


def test_nothing_happens_when_the_validation_rolls_back(member, full_isp, django_capture_on_commit_callbacks):
    draft = make_invoice(member, [line("VPN", "8.00")], validated=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            documents.on_invoice_validated(draft)
            transaction.set_rollback(True)
    assert callbacks == []
    assert mail.outbox == []


def test_a_member_without_email_still_gets_the_pdf(member, full_isp, django_capture_on_commit_callbacks):
    member.email = ""
    member.save()
    invoice = issue(member, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert Invoice.objects.get(pk=invoice.pk).pdf


def test_credit_note_and_receipt_pdfs_follow_their_issue(invoice, django_capture_on_commit_callbacks):
    note = CreditNote.objects.create(
        number="AV-2026-04-000002",
        invoice=invoice,
        member=invoice.member,
        amount=Decimal("1.00"),
        reason="Erreur",
        validated_at=invoice.validated_at,
    )
    receipt = Receipt.objects.create(
        number="R-2026-000009",
        kind=Receipt.Kind.DONATION,
        member=invoice.member,
        amount=Decimal("5"),
        label="Don",
    )
    with django_capture_on_commit_callbacks(execute=True):
        documents.on_credit_note_validated(note)
        documents.on_receipt_issued(receipt)
    assert CreditNote.objects.get(pk=note.pk).pdf
    assert Receipt.objects.get(pk=receipt.pk).pdf


def test_billing_page_url_is_absolute(settings):
    settings.SITE_URL = "https://portail.arlp.example/"
    assert emails.billing_page_url() == "https://portail.arlp.example/billing/"


def test_tasks_ignore_bills_that_vanished_or_are_drafts(member):
    from coin.billing.tasks import render_invoice_pdf_task, send_new_invoice_email_task

    draft = make_invoice(member, [line("VPN", "8.00")], validated=False)
    assert render_invoice_pdf_task.call(draft.pk) == ""
    assert send_new_invoice_email_task.call(draft.pk) is False
    assert render_invoice_pdf_task.call(999_999) == ""
    assert pdf.pdf_is_stored(draft) is False
