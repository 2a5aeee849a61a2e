"""What the tests of the documents and dunning part share: validated invoices made
directly with the models, and ways to read a PDF back (poppler's pdftotext, pypdf).
Their fixtures (``full_isp``, ``private_root``) are in the root conftest.py."""

import datetime
import io
import subprocess
from decimal import Decimal

from django.utils import timezone

from coin.billing.models import Invoice, InvoiceDetail
from coin.billing.money import line_total

IBAN = "FR7630006000011234567890189"


def make_invoice(
    member,
    lines: list[dict],
    *,
    day: datetime.date = datetime.date(2026, 1, 1),
    due: datetime.date | None = None,
    number: str | None = "auto",
    validated: bool = True,
) -> Invoice:
    """A draft with its lines, then marked validated as the ledger would (number, total,
    due date, validation time), without going through numbering.py."""
    invoice = Invoice.objects.create(member=member, date=day)
    for line in lines:
        InvoiceDetail.objects.create(invoice=invoice, **line)
    if validated:
        if number == "auto":
            number = f"{day:%Y-%m}-{Invoice.objects.exclude(number=None).count() + 1:06d}"
        total = sum((line_total(d.amount, d.quantity, d.tax) for d in invoice.details.all()), Decimal("0"))
        fields = {
            "number": number,
            "total": total,
            "date_due": due or day + datetime.timedelta(days=30),
            "validated_at": timezone.now(),
            "status": Invoice.Status.OPEN if total else Invoice.Status.CLOSED,
        }
        Invoice.objects.filter(pk=invoice.pk).update(**fields)
        invoice.refresh_from_db()
    return invoice


def line(label: str, amount: str, quantity: str = "1", tax: str = "0", **fields) -> dict:
    return {
        "label": label,
        "amount": Decimal(amount),
        "quantity": Decimal(quantity),
        "tax": Decimal(tax),
        **fields,
    }


def pdf_text(data: bytes) -> str:
    """The PDF's text as poppler extracts it (layout kept, so that columns stay on their line)."""
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True, timeout=30
    )
    return result.stdout.decode()


def pdf_reader(data: bytes):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data))
