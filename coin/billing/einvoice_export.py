"""E-invoices for the ISP's approved platform (plateforme agréée): the CII XML of a
validated invoice or credit note (the same XML a Factur-X PDF carries), alone or
zipped for a period, downloaded from the admin or the API and uploaded by the ISP.
"""

import datetime
import io
import zipfile
from collections.abc import Iterable

from django.http import HttpResponse

from coin.billing.models import CreditNote, Invoice
from coin.billing.pdf import einvoice_xml, xml_filename

XML_TYPE = "application/xml"
ZIP_TYPE = "application/zip"


def period_bills(
    start: datetime.date, end: datetime.date, *, credit_notes: bool = True
) -> list[Invoice | CreditNote]:
    """The validated invoices (and credit notes, unless ``credit_notes`` is False) dated
    from ``start`` to ``end`` included, in number order."""
    if end < start:
        raise ValueError("The period ends before it starts.")
    invoices = Invoice.objects.validated().filter(date__range=(start, end)).select_related("member")
    notes = CreditNote.objects.filter(validated_at__isnull=False, date__range=(start, end)).select_related(
        "member", "invoice"
    )
    return [*invoices.order_by("number"), *(notes.order_by("number") if credit_notes else [])]


def einvoice_zip(bills: Iterable[Invoice | CreditNote]) -> bytes:
    """A zip of the bills' XML files (drafts are left out: they are not invoices yet)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for bill in bills:
            if bill.number and bill.validated_at is not None:
                archive.writestr(xml_filename(bill), einvoice_xml(bill))
    return buffer.getvalue()


def xml_response(bill: Invoice | CreditNote) -> HttpResponse:
    response = HttpResponse(einvoice_xml(bill), content_type=XML_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{xml_filename(bill)}"'
    return response


def zip_response(bills: Iterable[Invoice | CreditNote], name: str) -> HttpResponse:
    response = HttpResponse(einvoice_zip(bills), content_type=ZIP_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def zip_name(start: datetime.date, end: datetime.date) -> str:
    return f"einvoices-{start:%Y%m%d}-{end:%Y%m%d}.zip"


def isp_identity_problems() -> list[str]:
    """What the ISP's identity lacks for its invoices to be lawful and its e-invoices
    accepted: a SIREN/SIRET (on every invoice, art. R123-237 du Code de commerce, and
    the seller's identifier of the e-invoicing reform). Shown to staff on the invoice
    list before invoices are issued."""
    from django.utils.translation import gettext as _

    from coin.isp_database.models import ISPInfo

    isp = ISPInfo.objects.select_related("registered_office").first()
    office = getattr(isp, "registered_office", None) if isp else None
    siret = "".join((getattr(office, "siret", "") or "").split())
    if isp is None:
        return [_("The ISP's identity is not set: invoices will have no issuer.")]
    if len(siret) != 14 or not siret.isdigit():
        return [_("The ISP's registered office has no SIRET: invoices and e-invoices need the SIREN/SIRET.")]
    return []
