"""What the tests of the documents and dunning part share: a private folder for the
PDFs, a fully described ISP, validated invoices made directly with the models, and
ways to read a PDF back (poppler's pdftotext, pypdf).

Test modules bind the fixtures they use from here to module names
(``full_isp = documents_support.full_isp``), which pytest then finds.
"""

import datetime
import io
import subprocess
from decimal import Decimal

import pytest
from django.utils import timezone

from coin.billing.models import Invoice, InvoiceDetail
from coin.billing.money import line_total

IBAN = "FR7630006000011234567890189"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Every test writes its PDFs into its own folder, never into var/private."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def full_isp(isp):
    """The root conftest's ISP, with its registered office and SIRET."""
    from coin.isp_database.models import RegisteredOffice

    RegisteredOffice.objects.create(
        isp=isp,
        street_address="12 rue des Lilas",
        postal_code="69100",
        locality="Villeurbanne",
        region="Auvergne-Rhône-Alpes",
        country_name="France",
        siret="12345678900017",
    )
    bank = isp.bank_info
    bank.bank_name = "Crédit Coopératif"
    bank.save()
    return isp


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
