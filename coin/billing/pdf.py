"""Bills as PDF: invoices, credit notes and receipts, rendered with WeasyPrint.

The HTML comes from overridable templates (``billing/pdf/*.html``; an ISP puts its
own in an EXTRA_TEMPLATE_DIRS folder), styled by ``billing/pdf/style.css`` which is
included in the page, so rendering needs no web server. WeasyPrint fetches nothing
over the network: a bill is rendered by the worker, often offline, and must not
depend on (nor leak the member's data to) a remote host. Only ``data:`` URLs and
local files inside the project, the templates' and the static folders are read.

A validated bill's PDF is stored once in the private storage (storage.py) and never
changes afterwards, like the bill itself. Factur-X (INVOICE_FACTURX) turns invoices
into PDF/A-3b e-invoices carrying their CII XML (facturx.py).
"""

import base64
import logging
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.core.signals import setting_changed
from django.db.models.fields.files import FieldFile
from django.dispatch import receiver
from django.template.loader import get_template
from django.utils import translation
from django.utils.dateformat import format as format_date
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from coin.billing import facturx
from coin.billing.debt import is_fully_credited
from coin.billing.ledger import payment_reference, with_amounts
from coin.billing.mandates import creditor_identifier, mandate_for_invoice
from coin.billing.models import CreditNote, Invoice, InvoiceDetail, Receipt
from coin.billing.money import round_money
from coin.billing.references import invoice_creditor_reference, printed
from coin.isp_database.banking import format_iban

logger = logging.getLogger(__name__)

INVOICE_TEMPLATE = "billing/pdf/invoice.html"
CREDIT_NOTE_TEMPLATE = "billing/pdf/credit_note.html"
RECEIPT_TEMPLATE = "billing/pdf/receipt.html"

Bill = Invoice | CreditNote | Receipt


# --- What WeasyPrint may read -----------------------------------------------------------


class RefusedURL(ValueError):
    """A resource that a bill's PDF may not load (WeasyPrint logs it and goes on)."""


def allowed_roots() -> list[Path]:
    """Folders whose files a PDF may embed: templates and static files (Coin's, the
    apps', the ISP's overrides, which may live outside the project) and media. Not the
    whole project: it holds the database, settings_local.py and the private PDFs.
    Worked out once per process (resolving some eighty folders costs more than a
    small page) and again when a setting changes (tests)."""
    return list(_allowed_roots())


@cache
def _allowed_roots() -> tuple[Path, ...]:
    from django.apps import apps

    roots: list[Any] = [settings.MEDIA_ROOT, getattr(settings, "STATIC_ROOT", None)]
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        roots.append(entry[1] if isinstance(entry, (tuple, list)) else entry)
    for engine in settings.TEMPLATES:
        dirs = engine.get("DIRS", [])
        assert isinstance(dirs, (list, tuple))  # Django's TEMPLATES: DIRS is a list of folders
        roots.extend(dirs)
    for config in apps.get_app_configs():
        roots += [Path(config.path) / "templates", Path(config.path) / "static"]
    return tuple(Path(root).resolve() for root in roots if root)


@receiver(setting_changed)
def _forget_allowed_roots(**kwargs: Any) -> None:
    _allowed_roots.cache_clear()


def check_url(url: str, roots: Iterable[Path]) -> None:
    """Accept data: URLs and file: URLs inside ``roots`` (never inside the private
    storage, where other members' bills are); refuse everything else."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        return
    if scheme == "file":
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"{url}: a file on another host")
        path = Path(url2pathname(parts.path)).resolve()
        if path.is_relative_to(Path(settings.PRIVATE_STORAGE_ROOT).resolve()):
            raise RefusedURL(f"{url}: a private file")
        if any(path.is_relative_to(root) for root in roots):
            return
        raise RefusedURL(f"{url}: outside the templates, static and media folders")
    raise RefusedURL(f"{url}: bills' PDFs fetch nothing over the network")


try:  # WeasyPrint >= 68: fetchers are URLFetcher objects
    from weasyprint.urls import URLFetcher as _URLFetcher
except ImportError:  # pragma: no cover - older WeasyPrint: fetchers are functions
    _URLFetcher = None


if _URLFetcher is not None:

    class LocalOnlyFetcher(_URLFetcher):
        """WeasyPrint's fetcher, behind check_url."""

        def __init__(self, roots: Iterable[Path] | None = None) -> None:
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
            self.roots = list(roots) if roots is not None else allowed_roots()

        def fetch(self, url: str, headers=None):
            try:
                check_url(url, self.roots)
            except RefusedURL as refusal:
                logger.warning("Not loaded in a PDF: %s", refusal)
                raise
            return super().fetch(url, headers)

else:  # pragma: no cover

    class LocalOnlyFetcher:  # type: ignore[no-redef]
        def __init__(self, roots: Iterable[Path] | None = None) -> None:
            self.roots = list(roots) if roots is not None else allowed_roots()

        def __call__(self, url: str):
            from weasyprint import default_url_fetcher

            try:
                check_url(url, self.roots)
            except RefusedURL as refusal:
                logger.warning("Not loaded in a PDF: %s", refusal)
                raise
            return default_url_fetcher(url)


def _local_static_file(url: str) -> Path | None:
    """The local file behind a URL of Coin's own static or media files, if any: a logo
    served by Coin itself is embedded from disk instead of being downloaded."""
    parts = urlsplit(url)
    site = urlsplit(settings.SITE_URL)
    if parts.netloc and parts.netloc != site.netloc:
        return None
    for prefix, root in (
        (settings.STATIC_URL, None),
        (settings.MEDIA_URL, settings.MEDIA_ROOT),
    ):
        path_prefix = "/" + urlsplit(prefix).path.strip("/") + "/"
        if parts.path.startswith(path_prefix):
            relative = parts.path[len(path_prefix) :]
            found: str | Path | None
            if root is None:
                found = finders.find(relative)  # joins safely: never outside its folders
                if isinstance(found, list):
                    found = found[0] if found else None
            else:
                candidate = (Path(root) / relative).resolve()
                # /media/../../etc/… is refused
                found = candidate if candidate.is_relative_to(Path(root).resolve()) else None
            if found and Path(found).is_file():
                return Path(found).resolve()
    return None


def logo_source(isp) -> str | None:
    """What the PDF may show as logo: a data: URI, or a local file turned into one.

    A remote logo is left out rather than fetched; the ISP's name stands in for it.
    """
    url = (getattr(isp, "logoURL", "") or "").strip()
    if not url:
        return None
    if url.startswith("data:"):
        return url
    if url.startswith("file:"):
        try:
            check_url(url, allowed_roots())
        except RefusedURL:
            return None
        return url
    local = _local_static_file(url)
    if local is None:
        return None
    mime = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
    kind = mime.get(local.suffix.lower())
    if kind is None:
        return None
    return f"data:{kind};base64,{base64.b64encode(local.read_bytes()).decode()}"


# --- What a bill shows ------------------------------------------------------------------


def plain_number(value: Decimal) -> Decimal:
    """1.0000 → 1, 0.51610 → 0.5161, 10 → 10 (never 1E+1): how a quantity is printed."""
    value = Decimal(value).quantize(Decimal("0.0001")).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


@dataclass(frozen=True)
class LineAmounts:
    """What a bill prints of a line, or of all lines: its net, its tax and its total,
    so that net + tax == total. The total is the stored one (an invoice line's
    ``total``, an invoice's ``total``), fixed when the line was written and never
    recomputed: a re-rendered PDF says what the invoice says, whatever later changes
    to the rounding rule (money.line_total)."""

    net: Decimal
    tax: Decimal
    total: Decimal


def printed_amounts(detail: InvoiceDetail) -> LineAmounts:
    """A line's stored total, split into its net (unit amount × quantity, rounded on
    its own) and the tax between them."""
    net = round_money(Decimal(detail.amount) * Decimal(detail.quantity))
    return LineAmounts(net=net, tax=detail.total - net, total=detail.total)


def printed_totals(invoice: Invoice, lines: Iterable[LineAmounts]) -> LineAmounts:
    """The invoice's totals: its stored ``total`` once validated (a draft's is the sum
    of its lines' stored totals, what validation stores), with the lines' nets."""
    lines = list(lines)
    zero = Decimal("0.00")
    total = invoice.total if invoice.is_validated else sum((line.total for line in lines), zero)
    net = sum((line.net for line in lines), zero)
    return LineAmounts(net=net, tax=total - net, total=total)


@dataclass(frozen=True)
class PrintedLine:
    label: str
    period_from: Any
    period_to: Any
    quantity: Decimal
    unit_amount: Decimal
    tax_rate: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


def isp_context() -> dict[str, Any]:
    from coin.isp_database.models import ISPInfo

    isp = ISPInfo.objects.select_related("registered_office", "bank_info").first()
    office = getattr(isp, "registered_office", None) if isp else None
    bank = getattr(isp, "bank_info", None) if isp else None
    return {
        "isp": isp,
        "office": office,
        "bank": bank,
        "iban": format_iban(bank.iban) if bank else "",
        "logo": logo_source(isp) if isp else None,
        "issuer_address": issuer_address(isp, office),
        "vat_mention": settings.INVOICE_VAT_MENTION,
        "payment_mentions": [text for _code, text in payment_mentions()],
        "legal_mentions": settings.INVOICE_LEGAL_MENTIONS,
        "vat_on_debits": settings.INVOICE_VAT_ON_DEBITS,
    }


def abroad(country: str) -> str:
    """The country when it is not France (where a French bill's address need not say it)."""
    return country if country and country.strip().lower() != "france" else ""


def address_block(*lines: str) -> str:
    """Non-empty lines joined by line feeds, for a paragraph styled "white-space:
    pre-line" (templates' class ``multiline``): one text box for the whole block."""
    return "\n".join(line for line in lines if line and line.strip())


def issuer_address(isp: Any, office: Any) -> str:
    """Under the ISP's name: its registered office, SIRET, email and website."""
    if isp is None:
        return ""
    place = (
        [
            office.street_address,
            office.extended_address,
            office.post_office_box,
            f"{office.postal_code} {office.locality}",
            abroad(office.country_name),
            f"SIRET {office.siret}" if office.siret else "",
        ]
        if office
        else []
    )
    return address_block(*place, isp.email, isp.website)


def recipient_address(member: Any, siren: str) -> str:
    """Under the member's name: its address (as many lines as it has), postcode and
    city, country when abroad, and a business member's SIREN."""
    return address_block(
        *(member.address or "").splitlines(),
        f"{member.postal_code} {member.city}",
        abroad(member.country),
        f"SIREN {siren}" if siren else "",
    )


def short_date(day: Any) -> str:
    return format_date(day, "d/m/Y") if day else ""


def doc_meta(*rows: tuple[Any, Any]) -> list[tuple[Any, Any]]:
    """The bill's references beside its title (number, date…), as (label, value)
    rows; a row without a value is left out. base.html prints the labels and the
    values as two blocks of lines: two text boxes instead of a table's cells, which
    WeasyPrint lays out one by one."""
    return [(label, value) for label, value in rows if value]


def buyer_siren(member: Any) -> str:
    """A business member's SIREN (a mandatory mention of the reform), else ""."""
    from coin.members.models import Member

    return (getattr(member, "siren", "") or "") if member.type == Member.Type.LEGAL_ENTITY else ""


def recipient_context(member: Any) -> dict[str, Any]:
    """Who a bill is for: the member, a business member's SIREN, the address block."""
    siren = buyer_siren(member)
    return {"member": member, "buyer_siren": siren, "recipient_address": recipient_address(member, siren)}


def credited_in_full(invoice: Invoice) -> bool:
    """A closed invoice that credit notes cancel entirely: nobody paid it, so its PDF
    must not say "paid" (coin.billing.debt.is_fully_credited, on the stored amounts)."""
    if invoice.status != Invoice.Status.CLOSED:
        return False
    return is_fully_credited(with_amounts(Invoice.objects.filter(pk=invoice.pk)).get())


def invoice_context(invoice: Invoice, delivery: facturx.Party | None = None) -> dict[str, Any]:
    lines, all_amounts = [], []
    for detail in invoice.details.all():
        amounts = printed_amounts(detail)
        all_amounts.append(amounts)
        lines.append(
            PrintedLine(
                label=detail.label,
                period_from=detail.period_from,
                period_to=detail.period_to,
                quantity=plain_number(detail.quantity),
                unit_amount=detail.amount,
                tax_rate=plain_number(detail.tax),
                net=amounts.net,
                tax=amounts.tax,
                total=amounts.total,
            )
        )
    return {
        **isp_context(),
        "invoice": invoice,
        **recipient_context(invoice.member),
        "doc_meta": doc_meta(
            (_("No."), invoice.number or _("draft")),
            (_("Date"), short_date(invoice.date)),
            (_("Due date"), short_date(invoice.date_due)),
            (_("Member"), invoice.member.username),
        ),
        "delivery": delivery,
        "draft": not invoice.is_validated,
        "lines": lines,
        "has_periods": any(line.period_from for line in lines),
        "has_tax": any(line.tax for line in lines),
        "totals": printed_totals(invoice, all_amounts),
        "payment_reference": payment_reference(invoice),
        "creditor_reference": printed(invoice_creditor_reference(invoice)),
        "credited_in_full": credited_in_full(invoice),
    }


def credit_note_context(credit_note: CreditNote) -> dict[str, Any]:
    return {
        **isp_context(),
        "credit_note": credit_note,
        "invoice": credit_note.invoice,
        **recipient_context(credit_note.member),
        "doc_meta": doc_meta(
            (_("No."), credit_note.number or _("draft")),
            (_("Date"), short_date(credit_note.date)),
            (_("Invoice"), credit_note.invoice.number),
            (_("Member"), credit_note.member.username),
        ),
        "draft": credit_note.validated_at is None,
    }


def receipt_context(receipt: Receipt) -> dict[str, Any]:
    return {
        **isp_context(),
        "receipt": receipt,
        **recipient_context(receipt.member),
        "doc_meta": doc_meta(
            (_("No."), receipt.number),
            (_("Date"), short_date(receipt.date)),
            (_("Member"), receipt.member.username),
        ),
        "draft": False,
    }


# --- Rendering --------------------------------------------------------------------------


def _with_facturx_descriptions(generate: Callable[..., bytes]) -> Callable[..., bytes]:
    """WeasyPrint's RDF generator (``DocumentMetadata.generate_rdf_metadata``, the
    documented way to extend a PDF/A's XMP) with the Factur-X descriptions added inside
    its rdf:RDF element: one rdf:RDF per XMP packet, as XMP wants."""

    def generate_rdf_metadata(*args: Any, **kwargs: Any) -> bytes:
        return facturx.add_to_xmp(generate(*args, **kwargs))

    return generate_rdf_metadata


def _list_associated_files_once(document: Any, pdf: Any) -> None:
    """WeasyPrint up to 70 lists each attachment twice in the catalog's /AF (from the
    name tree and again from the file specification; WeasyPrint issue 2917): keep each
    once. A ``finisher`` of ``write_pdf``, working on pydyf's PDF catalog."""
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)


def _facturx_attachment(xml: bytes, fetcher: Any) -> Any:
    """The CII XML as ``factur-x.xml``, type text/xml (from its data: URL), related to
    the invoice as its data (``/AFRelationship /Data``)."""
    from weasyprint import Attachment

    return Attachment(
        url="data:text/xml;base64," + base64.b64encode(xml).decode(),
        url_fetcher=fetcher,
        name=facturx.FILENAME,
        description="Factur-X invoice",
        relationship=facturx.RELATIONSHIP,
    )


STYLESHEET_TEMPLATE = "billing/pdf/style.css"


def bill_language(member: Any) -> str:
    """The language a member's bills are written in: INVOICE_LANGUAGE ("fr" by default:
    French bills stay legally French), else the member's own (Member.preferred_language)."""
    forced = getattr(settings, "INVOICE_LANGUAGE", None)
    if forced:
        return forced
    return getattr(member, "preferred_language", "") or settings.LANGUAGE_CODE


@cache
def font_config() -> Any:
    """One WeasyPrint font configuration per process, shared by every render: building
    one (fontconfig's font list, @font-face rules) costs more than a small page."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=16)
def _parsed_stylesheet(css: str, base_url: str) -> Any:
    from weasyprint import CSS

    return CSS(string=css, base_url=base_url, url_fetcher=LocalOnlyFetcher(), font_config=font_config())


def stylesheet() -> Any:
    """billing/pdf/style.css (an ISP's override if it has one), parsed once per
    process and content: the template is rendered at each call (so that an override
    or a context-free change shows at once), its parse is reused while its text is
    the same."""
    template = get_template(STYLESHEET_TEMPLATE)
    return _parsed_stylesheet(template.render({}), _template_folder(template).as_uri() + "/")


def _template_folder(template: Any) -> Path:
    origin = getattr(template, "origin", None)
    return Path(origin.name).parent if origin and origin.name else Path(settings.BASE_DIR)


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    *,
    facturx_xml: bytes | None = None,
    language: str | None = None,
) -> bytes:
    """Render a template to PDF bytes, in ``language`` (default: the site's); with
    ``facturx_xml``, a PDF/A-3b carrying it. The stylesheet (style.css) and the fonts
    are shared across renders; the page itself is parsed each time."""
    from weasyprint import HTML

    with translation.override(language or settings.LANGUAGE_CODE):
        template = get_template(template_name)
        html = template.render(context)
        css = stylesheet()
    fetcher = LocalOnlyFetcher()
    source = HTML(string=html, base_url=_template_folder(template).as_uri() + "/", url_fetcher=fetcher)
    options: dict[str, Any] = {"stylesheets": [css], "font_config": font_config()}
    if facturx_xml is None:
        return bytes(source.write_pdf(**options))
    with warnings.catch_warnings():
        # PDF/A mode leaves its ICC profile file open (a WeasyPrint quirk, harmless).
        warnings.simplefilter("ignore", ResourceWarning)
        document = source.render(**options)
        metadata = document.metadata
        metadata.generate_rdf_metadata = _with_facturx_descriptions(metadata.generate_rdf_metadata)
        return bytes(
            document.write_pdf(
                pdf_variant="pdf/a-3b",
                attachments=[_facturx_attachment(facturx_xml, fetcher)],
                finisher=_list_associated_files_once,
            )
        )


def seller_party() -> facturx.Party:
    """The ISP as seller: name, SIRET (hence SIREN), registered office, email. Without
    a VAT number (an association under the franchise has none) its SIREN stands as its
    tax registration (BT-32), which EN 16931 wants on an exempt invoice (BR-E-2)."""
    context = isp_context()
    isp, office = context["isp"], context["office"]
    siret = "".join((getattr(office, "siret", "") or "").split())
    return facturx.Party(
        name=isp.name if isp else "",
        siret=siret,
        tax_registration=siret[:9],
        line_one=getattr(office, "street_address", "") or "",
        postcode=getattr(office, "postal_code", "") or "",
        city=getattr(office, "locality", "") or "",
        country="FR",
        email=getattr(isp, "email", "") or "",
    )


def buyer_party(member: Any) -> facturx.Party:
    """The member as buyer; a legal entity's SIREN when it is known (Member.siren)."""
    return facturx.Party(
        name=member.display_name(),
        siren=buyer_siren(member),
        line_one=" ".join(member.address.split()),
        postcode=member.postal_code,
        city=member.city,
        country="" if abroad(member.country) else "FR",
        email=member.email or "",
    )


def payment_mentions() -> list[tuple[str, str]]:
    """The payment mentions of French law as (subject code, text): late-payment
    penalties (PMD), the fixed recovery fee (PMT), the early-payment discount or its
    absence (AAB). The French reform's rules (BR-FR-05) want each as its own note."""
    mentions = [
        ("PMD", settings.INVOICE_LATE_PENALTIES),
        ("PMT", settings.INVOICE_RECOVERY_FEE),
        ("AAB", settings.INVOICE_EARLY_PAYMENT_DISCOUNT),
    ]
    return [(code, " ".join(str(text).split())) for code, text in mentions if str(text).strip()]


def legal_notes() -> list[tuple[str, str]]:
    """The bill's notes (BT-21, BT-22) for its e-invoice: the payment mentions, then the
    other legal mentions as general information (AAI)."""
    other = " ".join(str(settings.INVOICE_LEGAL_MENTIONS).split())
    return [*payment_mentions(), *([("AAI", other)] if other else [])]


def facturx_data(
    invoice: Invoice,
    *,
    direct_debit: facturx.DirectDebit | None = None,
    delivery: facturx.Party | None = None,
) -> facturx.FacturXInvoice:
    """The invoice as EN 16931 data. ``direct_debit`` is the SEPA mandate that pays it,
    when there is one; ``delivery`` the place of supply when it is not the member's
    address (Coin stores neither yet: the callers that know pass them)."""
    bank = isp_context()["bank"]
    details = list(invoice.details.all())
    amounts = [printed_amounts(detail) for detail in details]
    totals = printed_totals(invoice, amounts)
    lines = [
        facturx.Line(
            number=str(index),
            name=detail.label,
            quantity=detail.quantity,
            unit_price=detail.amount,
            net=line.net,
            rate=Decimal(detail.tax).normalize(),
            period_from=detail.period_from,
            period_to=detail.period_to,
        )
        for index, (detail, line) in enumerate(zip(details, amounts, strict=True), start=1)
    ]
    paid = invoice.status == Invoice.Status.CLOSED
    return facturx.FacturXInvoice(
        number=invoice.number or "",
        issue_date=invoice.date,
        seller=seller_party(),
        buyer=buyer_party(invoice.member),
        lines=lines,
        net_total=totals.net,
        tax_total=totals.tax,
        grand_total=totals.total,
        due_date=invoice.date_due,
        payment_terms=payment_terms(invoice),
        payment_reference=invoice_creditor_reference(invoice) or payment_reference(invoice),
        iban=getattr(bank, "iban", "") or "",
        bic=getattr(bank, "bic", "") or "",
        direct_debit=direct_debit,
        exemption_reason=settings.INVOICE_VAT_MENTION,
        exemption_code=settings.INVOICE_VAT_EXEMPTION_CODE,
        vat_on_debits=settings.INVOICE_VAT_ON_DEBITS,
        business_process=facturx.SERVICES_PAID if paid else facturx.SERVICES,
        tax_groups=facturx.tax_groups(
            (detail.tax, line.net, line.tax) for detail, line in zip(details, amounts, strict=True)
        ),
        notes=legal_notes(),
        delivery=delivery,
        paid_amount=totals.total if paid else Decimal("0.00"),
    )


def payment_terms(invoice: Invoice) -> str:
    """BT-20, in the invoice's language (French by default, like the PDF)."""
    if invoice.date_due is None:
        return ""
    with translation.override(bill_language(invoice.member)):
        return translation.gettext("Payable by %(date)s, by bank transfer.") % {
            "date": invoice.date_due.strftime("%d/%m/%Y")
        }


def credit_note_amounts(credit_note: CreditNote) -> tuple[Decimal, Decimal, Decimal]:
    """(VAT rate, net, tax) of a credit note: its amount includes the VAT of the
    invoice it credits when all that invoice's lines share one rate, none otherwise."""
    rates = {Decimal(rate).normalize() for rate in credit_note.invoice.details.values_list("tax", flat=True)}
    rate = rates.pop() if len(rates) == 1 else Decimal(0)
    net = round_money(credit_note.amount * 100 / (100 + rate))
    return rate, net, credit_note.amount - net


def credit_note_data(credit_note: CreditNote) -> facturx.FacturXInvoice:
    """The credit note as an EN 16931 credit note (type 381) referring to its invoice
    (BT-25): one line, the credited amount with its reason."""
    rate, net, tax = credit_note_amounts(credit_note)
    invoice = credit_note.invoice
    return facturx.FacturXInvoice(
        number=credit_note.number or "",
        issue_date=credit_note.date,
        type_code=facturx.CREDIT_NOTE_TYPE_CODE,
        seller=seller_party(),
        buyer=buyer_party(credit_note.member),
        lines=[
            facturx.Line(
                number="1", name=credit_note.reason, quantity=Decimal(1), unit_price=net, net=net, rate=rate
            )
        ],
        net_total=net,
        tax_total=tax,
        grand_total=credit_note.amount,
        exemption_reason=settings.INVOICE_VAT_MENTION,
        exemption_code=settings.INVOICE_VAT_EXEMPTION_CODE,
        vat_on_debits=settings.INVOICE_VAT_ON_DEBITS,
        tax_groups=[facturx.TaxGroup(rate=rate, basis=net, tax=tax)],
        notes=legal_notes(),
        preceding_invoice=invoice.number or "",
        preceding_invoice_date=invoice.date,
    )


def invoice_direct_debit(invoice: Invoice) -> facturx.DirectDebit | None:
    """The mandate collecting the invoice, for its e-invoice's payment means (BT-89 to
    BT-91), or None when it is paid otherwise (or the ISP has no creditor identifier)."""
    mandate = mandate_for_invoice(invoice)
    identifier = creditor_identifier() if mandate is not None else ""
    if mandate is None or not identifier:
        return None
    return facturx.DirectDebit(mandate.reference, identifier, mandate.iban)


def facturx_xml(invoice: Invoice) -> bytes:
    return facturx.build_xml(facturx_data(invoice, direct_debit=invoice_direct_debit(invoice)))


def credit_note_xml(credit_note: CreditNote) -> bytes:
    return facturx.build_xml(credit_note_data(credit_note))


def einvoice_xml(bill: Invoice | CreditNote) -> bytes:
    """A validated invoice's or credit note's CII XML, for an e-invoicing platform."""
    if not is_final(bill):
        raise ValueError(f"{bill} is not validated: it has no e-invoice.")
    return facturx_xml(bill) if isinstance(bill, Invoice) else credit_note_xml(bill)


def xml_filename(bill: Invoice | CreditNote) -> str:
    return f"{pdf_filename(bill)[: -len('.pdf')]}.xml"


def facturx_enabled() -> bool:
    return bool(settings.INVOICE_FACTURX)


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as PDF bytes (a Factur-X PDF/A-3b when INVOICE_FACTURX is set and
    the invoice is validated: a draft has no number to declare)."""
    xml = facturx_xml(invoice) if facturx_enabled() and invoice.is_validated else None
    return render_pdf(
        INVOICE_TEMPLATE, invoice_context(invoice), facturx_xml=xml, language=bill_language(invoice.member)
    )


def render_credit_note_pdf(credit_note: CreditNote) -> bytes:
    """The credit note as PDF bytes (Factur-X, type 381, once validated, like invoices)."""
    final = bool(credit_note.number) and credit_note.validated_at is not None
    xml = credit_note_xml(credit_note) if facturx_enabled() and final else None
    return render_pdf(
        CREDIT_NOTE_TEMPLATE,
        credit_note_context(credit_note),
        facturx_xml=xml,
        language=bill_language(credit_note.member),
    )


def render_receipt_pdf(receipt: Receipt) -> bytes:
    return render_pdf(RECEIPT_TEMPLATE, receipt_context(receipt), language=bill_language(receipt.member))


# --- Storing ----------------------------------------------------------------------------


# What a bill's file is called, by language (ASCII: it goes into HTTP headers and
# zips); a language not listed gets the English names.
FILE_NAMES = {
    "fr": {"Invoice": "facture", "CreditNote": "avoir", "Receipt": "recu"},
    "en": {"Invoice": "invoice", "CreditNote": "credit-note", "Receipt": "receipt"},
}


def pdf_filename(bill: Bill) -> str:
    """The name a bill's PDF is downloaded or attached under."""
    names = FILE_NAMES.get(bill_language(bill.member)[:2], FILE_NAMES["en"])
    prefix = names[type(bill).__name__]
    return f"{get_valid_filename(prefix)}-{bill.number}.pdf"


def render_bill_pdf(bill: Bill) -> bytes:
    if isinstance(bill, Invoice):
        return render_invoice_pdf(bill)
    if isinstance(bill, CreditNote):
        return render_credit_note_pdf(bill)
    return render_receipt_pdf(bill)


def is_final(bill: Bill) -> bool:
    """Only a numbered, validated bill gets a stored PDF (a draft may still change)."""
    if isinstance(bill, Receipt):
        return bool(bill.number)
    return bool(bill.number) and bill.validated_at is not None


def store_pdf(bill: Bill) -> FieldFile:
    """Render a validated bill and store its PDF privately; record the file's name.

    The name is written with an UPDATE of that column alone: a validated bill is
    otherwise immutable, and its PDF is part of it, not a change to it.
    """
    if not is_final(bill):
        raise ValueError(f"{bill} is not validated: its PDF is not stored.")
    number = bill.number
    assert number  # is_final()
    data = render_bill_pdf(bill)
    year = bill.date.strftime("%Y")
    bill.pdf.save(f"{year}/{get_valid_filename(number)}.pdf", ContentFile(data), save=False)
    type(bill).objects.filter(pk=bill.pk).update(pdf=bill.pdf.name)
    return bill.pdf


def pdf_is_stored(bill: Bill) -> bool:
    name = bill.pdf.name
    if not name:  # what bool(bill.pdf) tells
        return False
    return bill.pdf.storage.exists(name)


def ensure_pdf(bill: Bill) -> FieldFile:
    """The stored PDF, rendered now if the worker has not done it yet (or if the file
    went missing, e.g. a restored database without its private folder)."""
    if pdf_is_stored(bill):
        return bill.pdf
    return store_pdf(bill)
