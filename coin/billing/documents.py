"""Bills' documents: the hooks that follow an issue, and the PDFs as responses.

The ledger (invoices.py, receipts.py) calls ``on_invoices_validated`` (and the credit
note's and receipt's hooks) inside the transaction that issues a bill; the views call
``invoice_pdf_response`` once they have checked that the invoice belongs to the
member (or that staff asks). Rendering is slow (a tenth of a second) and sending mail
may fail: both happen in the background worker (tasks.py), after the issue
committed, never inside it. What is rendered is pdf.py's, what is emailed emails.py's.
"""

import logging
from collections.abc import Sequence
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase

from coin.billing import pdf
from coin.billing.models import CreditNote, Invoice, Receipt
from coin.billing.pdf import Bill, pdf_filename
from coin.billing.tasks import (
    render_credit_note_pdf_task,
    render_invoice_pdfs_task,
    render_receipt_pdf_task,
    send_new_invoice_emails_task,
)

logger = logging.getLogger(__name__)

OFFLOAD_HEADERS = {"x-accel-redirect": "X-Accel-Redirect", "x-sendfile": "X-Sendfile"}


# --- After validation -------------------------------------------------------------------


def on_invoice_validated(invoice: Invoice) -> None:
    """on_invoices_validated() for one invoice."""
    on_invoices_validated([invoice])


def on_invoices_validated(invoices: Sequence[Invoice]) -> None:
    """Called in the validating transaction with the invoices it validated (one, or a
    charge run's batch): once it commits, render their PDFs and email their members,
    in the background worker, by two tasks whatever their number (queueing a task is a
    database write: two per invoice cost a charge run ten times its own work). Nothing
    happens on a rollback."""
    invoice_ids = [invoice.pk for invoice in invoices]
    if not invoice_ids:
        return

    def enqueue() -> None:
        render_invoice_pdfs_task.enqueue(invoice_ids)
        send_new_invoice_emails_task.enqueue(invoice_ids)

    transaction.on_commit(enqueue, robust=True)


def on_credit_note_validated(credit_note: CreditNote) -> None:
    """Render the credit note's PDF once the validating transaction commits."""
    credit_note_id = credit_note.pk
    transaction.on_commit(lambda: render_credit_note_pdf_task.enqueue(credit_note_id), robust=True)


def on_receipt_issued(receipt: Receipt) -> None:
    """Render the receipt's PDF once the issuing transaction commits."""
    receipt_id = receipt.pk
    transaction.on_commit(lambda: render_receipt_pdf_task.enqueue(receipt_id), robust=True)


# --- Downloads --------------------------------------------------------------------------


def private_file_response(bill: Bill) -> HttpResponseBase:
    """The stored PDF, sent by Django or, with PRIVATE_FILES_OFFLOAD, by the web server
    (an empty response whose header tells nginx or Apache which file to send)."""
    field = bill.pdf
    name = field.name or ""
    filename = pdf_filename(bill)
    offload = (settings.PRIVATE_FILES_OFFLOAD or "").lower()
    if offload:
        if offload not in OFFLOAD_HEADERS:
            raise ValueError(f"PRIVATE_FILES_OFFLOAD must be None, {' or '.join(OFFLOAD_HEADERS)}.")
        response: HttpResponseBase = HttpResponse(content_type="application/pdf")
        if offload == "x-accel-redirect":
            prefix = "/" + settings.PRIVATE_FILES_OFFLOAD_PREFIX.strip("/") + "/"
            response[OFFLOAD_HEADERS[offload]] = quote(prefix + name)
        else:
            response[OFFLOAD_HEADERS[offload]] = field.path
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            field.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
        )
    # A member's bill: never kept by a shared cache or proxy.
    response["Cache-Control"] = "private, no-store"
    return response


def _draft_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def bill_pdf_response(bill: Bill) -> HttpResponseBase:
    """The bill's PDF. A validated bill's PDF is rendered on the spot when the worker has
    not done it yet, so that a member never meets a missing PDF; a draft (staff preview)
    is rendered each time and never stored."""
    if not bill.number:
        if isinstance(bill, Invoice):
            return _draft_response(pdf.render_invoice_pdf(bill), "facture-brouillon.pdf")
        raise Http404("This document has no number yet.")
    if not pdf.is_final(bill):
        if isinstance(bill, CreditNote):
            return _draft_response(pdf.render_credit_note_pdf(bill), "avoir-brouillon.pdf")
        raise Http404("This document is not issued yet.")
    pdf.ensure_pdf(bill)
    return private_file_response(bill)


def invoice_pdf_response(invoice: Invoice) -> HttpResponseBase:
    """The invoice's PDF as a download (rendered now if the worker has not yet)."""
    return bill_pdf_response(invoice)


def credit_note_pdf_response(credit_note: CreditNote) -> HttpResponseBase:
    return bill_pdf_response(credit_note)


def receipt_pdf_response(receipt: Receipt) -> HttpResponseBase:
    return bill_pdf_response(receipt)
