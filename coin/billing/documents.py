"""Invoice documents: PDF rendering and the "new invoice" email (being written)."""

from django.http import HttpResponse

from coin.billing.models import Invoice


def on_invoice_validated(invoice: Invoice) -> None:
    """Called in the validating transaction: schedule the PDF and the email."""


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    """The invoice's PDF as a download (rendered now if the worker has not yet)."""
    raise NotImplementedError
