"""Background work of billing (run by the worker, see TASKS).

Each task takes the bill's id, not the object: it runs after the validating
transaction committed, possibly much later or on another machine, and must read the
bill as stored. Rendering twice is harmless (the file is replaced atomically, with
the same content), so a task retried after a crash does no damage.
"""

import logging
from collections.abc import Callable

from django_tasks import task

from coin.billing import pdf_batch
from coin.billing.emails import send_new_invoice_email
from coin.billing.models import CreditNote, Invoice, Receipt
from coin.billing.pdf import ensure_pdf

logger = logging.getLogger(__name__)


@task()
def render_invoice_pdf_task(invoice_id: int) -> str:
    """Render and store a validated invoice's PDF; returns the stored file's name."""
    invoice = Invoice.objects.validated().select_related("member").filter(pk=invoice_id).first()
    if invoice is None:
        return ""
    return ensure_pdf(invoice).name or ""


@task()
def send_new_invoice_email_task(invoice_id: int) -> bool:
    """Email the member that a new invoice is available (with its PDF if configured)."""
    invoice = Invoice.objects.validated().select_related("member").filter(pk=invoice_id).first()
    if invoice is None:
        return False
    return send_new_invoice_email(invoice)


@task()
def render_invoice_pdfs_task(invoice_ids: list[int]) -> list[str]:
    """Render and store the PDFs of several invoices (a charge run's batch queues one
    task, not one per invoice), on every core (pdf_batch.py). One that fails does not
    stop the others; the task then fails, naming them."""
    processes = pdf_batch.processes_for(len(invoice_ids))
    if processes <= 1:
        return _each(invoice_ids, render_invoice_pdf_task.call, "render the PDF of")
    names, failed = pdf_batch.render_invoice_pdfs(invoice_ids, processes)
    if failed:
        numbers = ", ".join(f"#{pk}" for pk in failed)
        raise RuntimeError(f"Could not render the PDF of invoice(s) {numbers} (see the log).")
    return names


@task()
def send_new_invoice_emails_task(invoice_ids: list[int]) -> list[bool]:
    """send_new_invoice_email_task() for each of several invoices."""
    return _each(invoice_ids, send_new_invoice_email_task.call, "email")


def _each(invoice_ids: list[int], work: Callable[[int], object], what: str) -> list:
    """``work`` on each invoice, in order. One that fails is logged and does not stop the
    others; the task then fails, naming them (a retry redoes only what is harmless to
    redo twice: a render replaces its file with the same content)."""
    results, failed = [], []
    for invoice_id in invoice_ids:
        try:
            results.append(work(invoice_id))
        except Exception:
            logger.exception("Could not %s invoice #%s.", what, invoice_id)
            failed.append(invoice_id)
    if failed:
        numbers = ", ".join(f"#{pk}" for pk in failed)
        raise RuntimeError(f"Could not {what} invoice(s) {numbers} (see the log).")
    return results


@task()
def render_credit_note_pdf_task(credit_note_id: int) -> str:
    note = (
        CreditNote.objects.filter(pk=credit_note_id, validated_at__isnull=False)
        .select_related("member", "invoice")
        .first()
    )
    if note is None:
        return ""
    return ensure_pdf(note).name or ""


@task()
def render_receipt_pdf_task(receipt_id: int) -> str:
    receipt = Receipt.objects.select_related("member", "membership_fee").filter(pk=receipt_id).first()
    if receipt is None:
        return ""
    return ensure_pdf(receipt).name or ""
