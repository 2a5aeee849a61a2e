"""Background work of billing (run by the worker, see TASKS).

Each task takes the bill's id, not the object: it runs after the validating
transaction committed, possibly much later or on another machine, and must read the
bill as stored. Rendering twice is harmless (the file is replaced atomically, with
the same content), so a task retried after a crash does no damage.
"""

from django_tasks import task

from coin.billing.emails import send_new_invoice_email
from coin.billing.models import CreditNote, Invoice, Receipt
from coin.billing.pdf import ensure_pdf


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
