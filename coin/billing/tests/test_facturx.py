"""Factur-X (INVOICE_FACTURX): a PDF/A-3b invoice carrying its CII XML.

The attachment is checked with qpdf (as an accountant's tool would see it) and with
pypdf (the PDF structures: /AF, /AFRelationship, XMP); the XML is parsed and its
values compared with the invoice.
"""

import datetime
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from coin.billing import facturx, pdf
from coin.billing.references import invoice_creditor_reference
from coin.billing.tests.documents_support import IBAN, line, make_invoice, pdf_reader

pytestmark = pytest.mark.django_db

NS = {"rsm": facturx.NS["rsm"], "ram": facturx.NS["ram"], "udt": facturx.NS["udt"]}


@pytest.fixture
def invoice(member, full_isp, settings):
    settings.INVOICE_FACTURX = True
    return make_invoice(
        member,
        [line("Accès VPN", "8.00"), line("Fibre", "30.00", quantity="0.5161")],
        day=datetime.date(2026, 3, 1),
        due=datetime.date(2026, 3, 31),
        number="2026-03-000007",
    )


def qpdf(*args: str, data: bytes, tmp_path) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)
    return subprocess.run(["qpdf", *args, str(path)], capture_output=True, check=True, text=True).stdout


def text(root: ET.Element, path: str) -> str:
    element = root.find(path, NS)
    assert element is not None, path
    return element.text


def test_facturx_invoice_carries_its_xml(invoice, tmp_path):
    data = pdf.render_invoice_pdf(invoice)

    listing = qpdf("--list-attachments", "--verbose", data=data, tmp_path=tmp_path)
    assert "factur-x.xml ->" in listing
    assert "mime type: text/xml" in listing
    xml = subprocess.run(
        ["qpdf", "--show-attachment=factur-x.xml", str(tmp_path / "invoice.pdf")],
        capture_output=True,
        check=True,
    ).stdout

    root = ET.fromstring(xml)
    assert root.tag == f"{{{NS['rsm']}}}CrossIndustryInvoice"
    assert text(root, ".//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == "urn:cen.eu:en16931:2017"
    assert text(root, "rsm:ExchangedDocument/ram:ID") == "2026-03-000007"
    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20260301"
    seller = root.find(".//ram:SellerTradeParty", NS)
    assert text(seller, "ram:Name") == "Association Réseau Libre du Plateau"
    siret = seller.find("ram:SpecifiedLegalOrganization/ram:ID", NS)
    assert (siret.text, siret.get("schemeID")) == ("123456789", "0002")
    assert text(seller, "ram:GlobalID") == "12345678900017"
    assert text(seller, "ram:PostalTradeAddress/ram:CountryID") == "FR"
    assert text(root, ".//ram:BuyerTradeParty/ram:Name") == "Camille Martin"
    settlement = root.find(".//ram:ApplicableHeaderTradeSettlement", NS)
    assert text(settlement, "ram:InvoiceCurrencyCode") == "EUR"
    assert text(settlement, "ram:PaymentReference") == invoice_creditor_reference(invoice)
    assert text(settlement, ".//ram:IBANID") == IBAN
    assert text(settlement, ".//ram:DueDateDateTime/udt:DateTimeString") == "20260331"
    tax = settlement.find("ram:ApplicableTradeTax", NS)
    assert text(tax, "ram:CategoryCode") == "E"
    assert text(tax, "ram:ExemptionReason") == "TVA non applicable, art. 293 B du CGI"
    totals = settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    # 8.00 + 30 × 0.5161 (15.483 → 15.48) = 23.48
    assert text(totals, "ram:TaxBasisTotalAmount") == "23.48"
    assert text(totals, "ram:TaxTotalAmount") == "0.00"
    assert totals.find("ram:TaxTotalAmount", NS).get("currencyID") == "EUR"
    assert text(totals, "ram:GrandTotalAmount") == "23.48"
    assert text(totals, "ram:DuePayableAmount") == "23.48"


def test_facturx_pdf_is_pdf_a3b_with_an_associated_file(invoice):
    reader = pdf_reader(pdf.render_invoice_pdf(invoice))
    assert reader.pdf_header == "%PDF-1.7"
    assert list(reader.attachments) == ["factur-x.xml"]
    catalog = reader.trailer["/Root"]
    associated = catalog["/AF"]
    assert len(associated) == 1
    filespec = associated[0].get_object()
    assert filespec["/AFRelationship"] == "/Alternative"
    assert filespec["/F"] == "factur-x.xml"
    assert catalog["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>" in xmp
    assert "<pdfaSchema:prefix>fx</pdfaSchema:prefix>" in xmp
    assert xmp.count("<rdf:RDF") == 1  # one RDF per XMP packet
    rdf = ET.fromstring(xmp[xmp.index("<rdf:RDF") : xmp.index("</rdf:RDF>") + len("</rdf:RDF>")])
    fx = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"
    assert rdf.find(f".//{fx}DocumentType").text == "INVOICE"


def test_plain_pdf_without_the_setting(invoice, settings):
    settings.INVOICE_FACTURX = False
    reader = pdf_reader(pdf.render_invoice_pdf(invoice))
    assert list(reader.attachments) == []
    assert "/AF" not in reader.trailer["/Root"]


def test_a_draft_gets_no_facturx(member, full_isp, settings):
    settings.INVOICE_FACTURX = True
    draft = make_invoice(member, [line("VPN", "8.00")], validated=False)
    assert list(pdf_reader(pdf.render_invoice_pdf(draft)).attachments) == []


def test_stored_pdf_is_the_facturx_one(invoice):
    stored = pdf.ensure_pdf(invoice)
    with stored.open("rb") as file:
        assert list(pdf_reader(file.read()).attachments) == ["factur-x.xml"]


def test_vat_groups_by_rate(member, full_isp):
    invoice = make_invoice(
        member, [line("Box", "2.50", tax="20"), line("Modem", "5.00", tax="20"), line("VPN", "8.00")]
    )
    root = ET.fromstring(pdf.facturx_xml(invoice))
    groups = [
        (text(tax, "ram:CategoryCode"), text(tax, "ram:RateApplicablePercent"), text(tax, "ram:BasisAmount"))
        for tax in root.iterfind(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    ]
    assert groups == [("E", "0.00", "8.00"), ("S", "20.00", "7.50")]
    # Only the exempt group carries the exemption reason.
    assert [
        tax.find("ram:ExemptionReason", NS) is not None
        for tax in root.iterfind(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    ] == [
        True,
        False,
    ]
    totals = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    assert text(totals, "ram:TaxBasisTotalAmount") == "15.50"
    assert text(totals, "ram:TaxTotalAmount") == "1.50"
    assert text(totals, "ram:GrandTotalAmount") == "17.00"


def test_build_xml_from_plain_values():
    data = facturx.FacturXInvoice(
        number="2026-05-000001",
        issue_date=datetime.date(2026, 5, 2),
        seller=facturx.Party(name="FAI <Libre> & Cie", siret="123456789"),
        buyer=facturx.Party(name="Dominique Durand", country=""),
        net_total=Decimal("10"),
        tax_total=Decimal("0"),
        grand_total=Decimal("10"),
    )
    root = ET.fromstring(facturx.build_xml(data))
    seller = root.find(".//ram:SellerTradeParty", NS)
    assert text(seller, "ram:Name") == "FAI <Libre> & Cie"  # escaped by the writer, read back intact
    assert seller.find("ram:SpecifiedLegalOrganization/ram:ID", NS).get("schemeID") == "0002"  # a SIREN
    assert root.find(".//ram:BuyerTradeParty/ram:PostalTradeAddress", NS) is None
    assert root.find(".//ram:SpecifiedTradeSettlementPaymentMeans", NS) is None  # no IBAN given
    assert root.find(".//ram:SpecifiedTradePaymentTerms", NS) is None  # no due date given
    assert text(root, ".//ram:GrandTotalAmount") == "10.00"


def test_add_to_xmp_needs_an_rdf_element():
    with pytest.raises(ValueError):
        facturx.add_to_xmp(b"<x:xmpmeta></x:xmpmeta>")
