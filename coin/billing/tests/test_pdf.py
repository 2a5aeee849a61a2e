"""Bills' PDFs: what they say, where they are stored, and what they may load.

The text is read back with poppler's pdftotext, as a reader (or a court) would read it.
"""

import base64
import datetime
import http.server
import threading
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from coin.billing import pdf
from coin.billing.ledger import payment_reference
from coin.billing.models import CreditNote, Invoice, InvoiceDetail, Receipt
from coin.billing.money import line_total
from coin.billing.storage import private_storage
from coin.billing.tests.documents_support import line, make_invoice, pdf_reader, pdf_text

pytestmark = pytest.mark.django_db

# A 1×1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def billed(member, full_isp):
    member.address = "3 place de la Mairie\nBâtiment B"
    member.postal_code = "69003"
    member.city = "Lyon"
    member.save()
    return make_invoice(
        member,
        [
            line(
                "Accès VPN — REF-VPN-12",
                "8.00",
                period_from=datetime.date(2026, 1, 1),
                period_to=datetime.date(2026, 1, 31),
            ),
            line(
                "Fibre FTTH — REF-FTTH-7",
                "30.00",
                quantity="0.5161",
                period_from=datetime.date(2026, 1, 16),
                period_to=datetime.date(2026, 1, 31),
            ),
            line("Frais d'accès au service", "50.00", is_initial_fee=True),
        ],
        day=datetime.date(2026, 1, 1),
        due=datetime.date(2026, 1, 31),
        number="2026-01-000042",
    )


# --- Plain rules ------------------------------------------------------------------------


def test_quantities_print_without_useless_zeros():
    assert str(pdf.plain_number(Decimal("1.0000"))) == "1"
    assert str(pdf.plain_number(Decimal("0.51610"))) == "0.5161"
    assert str(pdf.plain_number(Decimal("10"))) == "10"
    assert str(pdf.plain_number(Decimal("20.00"))) == "20"
    assert str(pdf.plain_number(Decimal("5.50"))) == "5.5"


def test_iban_is_printed_in_groups_of_four(full_isp):
    full_isp.bank_info.iban = "fr76 3000600001123456 7890189"
    full_isp.bank_info.save()
    assert pdf.isp_context()["iban"] == "FR76 3000 6000 0112 3456 7890 189"


def test_printed_amounts_split_the_stored_line_total_and_add_up(member):
    invoice = make_invoice(member, [line("A", "30.00", quantity="0.5161", tax="20")], validated=False)
    amounts = pdf.printed_amounts(invoice.details.get())
    # 30 × 0.5161 = 15.483 → 15.48 net; × 1.2 = 18.5796 → 18.58 total (rounded once).
    assert (amounts.net, amounts.tax, amounts.total) == (Decimal("15.48"), Decimal("3.10"), Decimal("18.58"))
    assert amounts.net + amounts.tax == amounts.total


def test_pdfs_print_the_stored_totals_not_a_recomputation(member, full_isp, settings):
    """A line stored with a total that today's rounding rule would not give (an invoice
    issued under an older rule): the PDF and its Factur-X XML say what the invoice
    says, never a recomputation."""
    settings.INVOICE_FACTURX = True
    invoice = make_invoice(member, [line("A", "30.00", quantity="0.5161", tax="20")], validated=False)
    InvoiceDetail.objects.filter(invoice=invoice).update(total=Decimal("18.57"))  # while a draft
    Invoice.objects.filter(pk=invoice.pk).update(
        number="2026-01-000099",
        total=Decimal("18.57"),
        date_due=datetime.date(2026, 1, 31),
        validated_at=timezone.now(),
    )
    invoice.refresh_from_db()
    assert line_total(Decimal("30.00"), Decimal("0.5161"), Decimal("20")) == Decimal("18.58")

    context = pdf.invoice_context(invoice)
    assert [(p.net, p.tax, p.total) for p in context["lines"]] == [
        (Decimal("15.48"), Decimal("3.09"), Decimal("18.57"))
    ]
    assert context["totals"] == pdf.LineAmounts(
        net=Decimal("15.48"), tax=Decimal("3.09"), total=Decimal("18.57")
    )
    data = pdf.facturx_data(invoice)
    assert (data.net_total, data.tax_total, data.grand_total) == (
        Decimal("15.48"),
        Decimal("3.09"),
        Decimal("18.57"),
    )
    text = pdf_text(pdf.render_invoice_pdf(invoice))
    assert "18,57" in text and "18,58" not in text


def test_payment_reference_is_number_and_username(billed):
    assert payment_reference(billed) == "2026-01-000042 camille"


# --- What the invoice says --------------------------------------------------------------


def test_address_blocks_have_one_line_per_part_and_no_empty_line():
    from types import SimpleNamespace

    member = SimpleNamespace(
        address="Bâtiment B\n3 place de la Mairie", postal_code="69003", city="Lyon", country=""
    )
    assert pdf.recipient_address(member, "") == "Bâtiment B\n3 place de la Mairie\n69003 Lyon"
    abroad = SimpleNamespace(address="", postal_code="", city="", country="Belgique")
    assert pdf.recipient_address(abroad, "732829320") == "Belgique\nSIREN 732829320"
    isp = SimpleNamespace(email="contact@arlp.example", website="")
    assert pdf.issuer_address(isp, None) == "contact@arlp.example"
    office = SimpleNamespace(
        street_address="12 rue des Lilas", extended_address="", post_office_box="", postal_code="69100",
        locality="Villeurbanne", country_name="France", siret="12345678900017",
    )  # fmt: skip
    assert pdf.issuer_address(isp, office) == (
        "12 rue des Lilas\n69100 Villeurbanne\nSIRET 12345678900017\ncontact@arlp.example"
    )


def test_invoice_pdf_says_everything_a_french_invoice_must(billed, settings):
    settings.INVOICE_LEGAL_MENTIONS = "Pénalités de retard : trois fois le taux légal."
    data = pdf.render_invoice_pdf(billed)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    flat = " ".join(text.split())
    for expected in [
        "FACTURE",
        "Association Réseau Libre du Plateau",
        "12 rue des Lilas",
        "69100 Villeurbanne",
        "SIRET 12345678900017",
        "2026-01-000042",
        "Camille Martin",
        "3 place de la Mairie",
        "69003 Lyon",
        "Accès VPN — REF-VPN-12",
        "Fibre FTTH — REF-FTTH-7",
        "Frais d'accès au service",
        "01/01/2026 – 31/01/2026",
        "16/01/2026 – 31/01/2026",
        "0,5161",
        "15,48 €",
        "73,48 €",  # 8.00 + 15.48 + 50.00
        "31/01/2026",
        "31 janvier 2026",
        "FR76 3000 6000 0112 3456 7890 189",
        "AGRIFRPP",
        "Référence à indiquer : 2026-01-000042 camille",
        "Référence structurée (ISO 11649) : RF82 2026 0100 0042",
        "TVA non applicable, art. 293 B du CGI",
        "Pénalités de retard : trois fois le taux légal.",
    ]:
        assert expected in flat, expected
    # Each line on its own row: label, quantity and total together.
    assert any("Fibre FTTH" in row and "0,5161" in row and "15,48 €" in row for row in text.splitlines())


def test_invoice_is_one_a4_page(billed):
    reader = pdf_reader(pdf.render_invoice_pdf(billed))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # 210 × 297 mm
    assert reader.metadata.title == "Facture 2026-01-000042"


def test_vat_mention_is_a_setting_and_taxed_lines_show_vat(member, full_isp, settings):
    settings.INVOICE_VAT_MENTION = "TVA acquittée sur les débits"
    invoice = make_invoice(member, [line("Box", "2.50", tax="20"), line("VPN", "8.00")])
    flat = " ".join(pdf_text(pdf.render_invoice_pdf(invoice)).split())
    assert "TVA acquittée sur les débits" in flat
    assert "293 B" not in flat
    assert "Total HT 10,50 €" in flat
    assert "TVA 0,50 €" in flat
    assert "Total TTC 11,00 €" in flat
    assert "20 %" in flat


def test_a_draft_is_marked_and_never_stored(member, full_isp, private_root):
    draft = make_invoice(member, [line("VPN", "8.00")], validated=False)
    data = pdf.render_invoice_pdf(draft)
    assert "N° brouillon" in " ".join(pdf_text(data).split())
    # The watermark is turned 30°: pdftotext leaves rotated text out, pypdf reads it.
    assert "BROUILLON" in pdf_reader(data).pages[0].extract_text()
    with pytest.raises(ValueError, match="not validated"):
        pdf.store_pdf(draft)
    assert not Path(private_root).exists()


def test_renders_without_any_isp_identity(member):
    invoice = make_invoice(member, [line("VPN", "8.00")])
    assert "8,00 €" in pdf_text(pdf.render_invoice_pdf(invoice))


def test_credit_note_pdf(billed):
    note = CreditNote.objects.create(
        number="AV-2026-02-000001",
        invoice=billed,
        member=billed.member,
        date=datetime.date(2026, 2, 3),
        amount=Decimal("8.00"),
        reason="Coupure de service du 3 au 10 janvier",
        validated_at=billed.validated_at,
    )
    flat = " ".join(pdf_text(pdf.render_credit_note_pdf(note)).split())
    for expected in [
        "AVOIR",
        "AV-2026-02-000001",
        "2026-01-000042",
        "Coupure de service du 3 au 10 janvier",
        "8,00 €",
        "Camille Martin",
        "SIRET 12345678900017",
    ]:
        assert expected in flat, expected


def test_receipt_pdf_of_a_membership_fee(member, full_isp):
    from coin.members.models import MembershipFee

    fee = MembershipFee.objects.create(
        member=member,
        amount=Decimal("20.00"),
        start_date=datetime.date(2026, 1, 1),
        payment_date=datetime.date(2026, 1, 2),
    )
    receipt = Receipt.objects.create(
        number="R-2026-000001",
        kind=Receipt.Kind.MEMBERSHIP_FEE,
        member=member,
        membership_fee=fee,
        date=datetime.date(2026, 1, 2),
        amount=Decimal("20.00"),
        label="Cotisation 2026",
    )
    flat = " ".join(pdf_text(pdf.render_receipt_pdf(receipt)).split())
    for expected in [
        "REÇU",
        "R-2026-000001",
        "Cotisation 2026",
        "20,00 €",
        "de la cotisation",
        "2 janvier 2026",
    ]:
        assert expected in flat, expected


# --- Overridable template ---------------------------------------------------------------


def test_an_isp_overrides_the_invoice_template_from_its_own_folder(billed, settings, tmp_path):
    folder = tmp_path / "isp-templates"
    (folder / "billing" / "pdf").mkdir(parents=True)
    (folder / "billing" / "pdf" / "invoice.html").write_text(
        '{% extends "billing/pdf/base.html" %}'
        "{% block doc_title %}Facture ARLP{% endblock %}"
        "{% block content %}<p>Merci de votre fidélité, {{ member.first_name }}.</p>{% endblock %}"
    )
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [str(folder), *engine["DIRS"]]}]
    flat = " ".join(pdf_text(pdf.render_invoice_pdf(billed)).split())
    assert "FACTURE ARLP" in flat
    assert "Merci de votre fidélité, Camille." in flat
    # The parts it did not override come from Coin's base template.
    assert "Association Réseau Libre du Plateau" in flat


def test_extra_template_dirs_setting_puts_the_isp_folder_first():
    from coin.settings_support import apply_extras

    settings = {
        "INSTALLED_APPS": [],
        "EXTRA_TEMPLATE_DIRS": ["/srv/isp/templates"],
        "TEMPLATES": [{"DIRS": ["/coin/templates"]}],
    }
    apply_extras(settings)
    assert settings["TEMPLATES"][0]["DIRS"] == ["/srv/isp/templates", "/coin/templates"]


# --- Nothing fetched over the network ----------------------------------------------------


class CountingServer:
    """An HTTP server on 127.0.0.1 that counts the requests it gets (it should get none)."""

    def __init__(self) -> None:
        requests = self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(PNG)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def remote():
    server = CountingServer()
    yield server
    server.stop()


def test_no_remote_resource_is_ever_fetched(billed, full_isp, remote, settings, tmp_path):
    full_isp.logoURL = f"{remote.url}/logo.png"
    full_isp.save()
    folder = tmp_path / "isp-templates"
    (folder / "billing" / "pdf").mkdir(parents=True)
    (folder / "billing" / "pdf" / "invoice.html").write_text(
        '{% extends "billing/pdf/base.html" %}'
        "{% block extra_style %}@import url('" + remote.url + "/style.css');"
        "body { background: url('" + remote.url + "/bg.png'); }{% endblock %}"
        '{% block content %}<img src="' + remote.url + '/pixel.png">'
        '<link rel="stylesheet" href="' + remote.url + '/more.css">'
        '<img src="https://example.org/tracker.png"><p>fin</p>{% endblock %}'
    )
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [str(folder), *engine["DIRS"]]}]
    with mock.patch("coin.billing.pdf.logger") as logger:
        data = pdf.render_invoice_pdf(billed)
    assert "fin" in pdf_text(data)
    assert remote.requests == []
    refused = " ".join(str(call.args) for call in logger.warning.call_args_list)
    assert "pixel.png" in refused and "more.css" in refused and "tracker.png" in refused


def test_fetcher_accepts_data_and_project_files_only(tmp_path, settings):
    roots = pdf.allowed_roots()
    pdf.check_url("data:image/png;base64,AAAA", roots)
    pdf.check_url(
        (Path(settings.BASE_DIR) / "coin" / "templates" / "billing" / "pdf" / "style.css").as_uri(), roots
    )
    for url in [
        "http://127.0.0.1/x.png",
        "https://example.org/logo.png",
        "ftp://example.org/logo.png",
        "file:///etc/passwd",
        (Path(settings.BASE_DIR) / "coin" / "settings_base.py").as_uri(),
        (Path(settings.PRIVATE_STORAGE_ROOT) / "invoices" / "2026" / "2026-01-000001.pdf").as_uri(),
        "file://otherhost/srv/logo.png",
        (tmp_path / "outside.png").as_uri(),
        "//example.org/logo.png",
    ]:
        with pytest.raises(pdf.RefusedURL):
            pdf.check_url(url, roots)


def test_private_bills_are_refused_even_inside_an_allowed_folder(settings):
    settings.PRIVATE_STORAGE_ROOT = Path(settings.MEDIA_ROOT) / "private"
    roots = pdf.allowed_roots()
    pdf.check_url((Path(settings.MEDIA_ROOT) / "logo.png").as_uri(), roots)
    with pytest.raises(pdf.RefusedURL, match="private"):
        pdf.check_url((Path(settings.MEDIA_ROOT) / "private" / "invoices" / "x.pdf").as_uri(), roots)


def test_a_data_uri_logo_is_embedded(billed, full_isp):
    full_isp.logoURL = "data:image/png;base64," + base64.b64encode(PNG).decode()
    full_isp.save()
    assert pdf.logo_source(full_isp) == full_isp.logoURL
    reader = pdf_reader(pdf.render_invoice_pdf(billed))
    assert len(reader.pages[0].images) == 1


def test_a_logo_served_by_coin_itself_is_read_from_disk(full_isp, settings):
    Path(settings.MEDIA_ROOT).mkdir(parents=True)
    (Path(settings.MEDIA_ROOT) / "logo.png").write_bytes(PNG)
    full_isp.logoURL = settings.SITE_URL + "/media/logo.png"
    assert pdf.logo_source(full_isp) == "data:image/png;base64," + base64.b64encode(PNG).decode()
    full_isp.logoURL = "https://elsewhere.example/media/logo.png"
    assert pdf.logo_source(full_isp) is None
    full_isp.logoURL = settings.SITE_URL + "/media/missing.png"
    assert pdf.logo_source(full_isp) is None
    outside = Path(settings.MEDIA_ROOT).parent / "outside.png"
    outside.write_bytes(PNG)
    full_isp.logoURL = settings.SITE_URL + "/media/../outside.png"
    assert pdf.logo_source(full_isp) is None


# --- Private storage --------------------------------------------------------------------


def test_pdf_is_stored_privately_once(billed, private_root, settings):
    with mock.patch("coin.billing.pdf.render_invoice_pdf", wraps=pdf.render_invoice_pdf) as render:
        stored = pdf.ensure_pdf(billed)
        again = pdf.ensure_pdf(Invoice.objects.get(pk=billed.pk))
    assert render.call_count == 1
    assert stored.name == again.name == "invoices/2026/2026-01-000042.pdf"
    path = Path(private_root) / "invoices" / "2026" / "2026-01-000042.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    assert not str(path).startswith(str(settings.MEDIA_ROOT))
    assert Invoice.objects.get(pk=billed.pk).pdf.name == stored.name
    # Private: no public URL, whatever MEDIA_URL says.
    with pytest.raises(ValueError, match="no public URL"):
        _ = stored.url
    assert default_storage.exists(stored.name) is False
    assert Invoice._meta.get_field("pdf").storage is private_storage()


def test_a_lost_pdf_file_is_rendered_again(billed, private_root):
    stored = pdf.ensure_pdf(billed)
    Path(stored.path).unlink()
    assert pdf.ensure_pdf(Invoice.objects.get(pk=billed.pk)).name == stored.name
    assert Path(stored.path).exists()
    # The file is replaced in place (atomic rename): no leftover temporary file.
    assert sorted(p.name for p in Path(stored.path).parent.iterdir()) == ["2026-01-000042.pdf"]


def test_private_storage_follows_the_setting(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "elsewhere"
    assert private_storage().location == str(tmp_path / "elsewhere")
