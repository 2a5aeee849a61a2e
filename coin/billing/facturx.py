"""Factur-X: the invoice as UN/CEFACT CII XML, embedded in its PDF/A-3 (INVOICE_FACTURX).

Profile BASIC WL: the document-level data (parties, number, dates, totals, VAT
breakdown, payment means and terms) without the lines, which stay in the PDF, the
legal invoice. French rules of Factur-X 1.0: the attachment is named factur-x.xml and
its relationship to the PDF is "Data" for the MINIMUM and BASIC WL profiles; the
PDF's XMP metadata declares it through the fx extension schema.

The XML is written with xml.etree from plain values (FacturXInvoice), so that the
mapping from Coin's models is one small function and the XML is testable alone.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from xml.etree import ElementTree as ET

from coin.billing.money import round_money

ZERO = Decimal("0.00")

FILENAME = "factur-x.xml"
PROFILE = "BASIC WL"
GUIDELINE = "urn:factur-x.eu:1p0:basicwl"
RELATIONSHIP = "Data"  # "Alternative" is for BASIC, EN 16931 and EXTENDED
INVOICE_TYPE_CODE = "380"
CURRENCY = "EUR"
SEPA_CREDIT_TRANSFER = "58"

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class Party:
    name: str
    siret: str = ""
    vat_number: str = ""
    line_one: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "FR"


@dataclass(frozen=True)
class TaxGroup:
    """Lines sharing a VAT rate: E (exempt) at 0 %, S (standard) otherwise."""

    rate: Decimal
    basis: Decimal
    tax: Decimal

    @property
    def category(self) -> str:
        return "E" if self.rate == 0 else "S"


@dataclass(frozen=True)
class FacturXInvoice:
    number: str
    issue_date: datetime.date
    seller: Party
    buyer: Party
    net_total: Decimal
    tax_total: Decimal
    grand_total: Decimal
    due_date: datetime.date | None = None
    payment_reference: str = ""
    iban: str = ""
    exemption_reason: str = ""
    type_code: str = INVOICE_TYPE_CODE
    tax_groups: list[TaxGroup] = field(default_factory=list)


def tax_groups(lines: Iterable[tuple[Decimal, Decimal, Decimal]]) -> list[TaxGroup]:
    """Group lines given as (VAT rate, net, tax) by rate, summing their rounded amounts
    (so that the groups add up to the totals printed on the PDF; with per-line rounding
    a group's tax may differ by a cent from its basis × rate)."""
    basis: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    tax: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line_rate, line_net, line_tax in lines:
        rate = Decimal(line_rate).normalize()
        basis[rate] += line_net
        tax[rate] += line_tax
    if not basis:
        return [TaxGroup(rate=Decimal(0), basis=ZERO, tax=ZERO)]
    return [TaxGroup(rate=rate, basis=basis[rate], tax=tax[rate]) for rate in sorted(basis)]


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    prefix, name = tag.split(":")
    element = ET.SubElement(parent, f"{{{NS[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = text
    return element


def _amount(value: Decimal) -> str:
    return f"{round_money(value):.2f}"


def _rate(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _date(parent: ET.Element, tag: str, day: datetime.date) -> None:
    _sub(_sub(parent, tag), "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _party(parent: ET.Element, tag: str, party: Party, with_address: bool) -> None:
    element = _sub(parent, tag)
    _sub(element, "ram:Name", party.name)
    siret = "".join(party.siret.split())
    if siret:
        # ISO 6523 codes used in France: 0002 for a SIREN (9 digits), 0009 for a SIRET.
        _sub(
            _sub(element, "ram:SpecifiedLegalOrganization"),
            "ram:ID",
            siret,
            schemeID="0009" if len(siret) == 14 else "0002",
        )
    if with_address:
        address = _sub(element, "ram:PostalTradeAddress")
        if party.postcode:
            _sub(address, "ram:PostcodeCode", party.postcode)
        if party.line_one:
            _sub(address, "ram:LineOne", party.line_one)
        if party.city:
            _sub(address, "ram:CityName", party.city)
        _sub(address, "ram:CountryID", party.country or "FR")
    if party.vat_number:
        _sub(_sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_number, schemeID="VA")


def build_xml(data: FacturXInvoice) -> bytes:
    """The CII XML (elements in the order the Factur-X BASIC WL schema requires)."""
    root = ET.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice")
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)

    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", data.number)
    _sub(document, "ram:TypeCode", data.type_code)
    _date(document, "ram:IssueDateTime", data.issue_date)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", data.seller, with_address=True)
    _party(agreement, "ram:BuyerTradeParty", data.buyer, with_address=bool(data.buyer.country))
    _sub(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    if data.payment_reference:
        _sub(settlement, "ram:PaymentReference", data.payment_reference)
    _sub(settlement, "ram:InvoiceCurrencyCode", CURRENCY)
    if data.iban:
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        _sub(_sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", data.iban)
    for group in data.tax_groups or [TaxGroup(Decimal(0), data.net_total, data.tax_total)]:
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", _amount(group.tax))
        _sub(tax, "ram:TypeCode", "VAT")
        if group.category == "E" and data.exemption_reason:
            _sub(tax, "ram:ExemptionReason", data.exemption_reason)
        _sub(tax, "ram:BasisAmount", _amount(group.basis))
        _sub(tax, "ram:CategoryCode", group.category)
        _sub(tax, "ram:RateApplicablePercent", _rate(group.rate))
    if data.due_date:
        _date(_sub(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:DueDateDateTime", data.due_date)
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", _amount(data.net_total))
    _sub(summation, "ram:TaxBasisTotalAmount", _amount(data.net_total))
    _sub(summation, "ram:TaxTotalAmount", _amount(data.tax_total), currencyID=CURRENCY)
    _sub(summation, "ram:GrandTotalAmount", _amount(data.grand_total))
    _sub(summation, "ram:DuePayableAmount", _amount(data.grand_total))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# Declares the fx properties to PDF/A validators (the PDF/A extension schema that
# Factur-X 1.0 prescribes), then sets them for this document.
_XMP = """<rdf:Description xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#" rdf:about="">
  <pdfaExtension:schemas>
    <rdf:Bag>
      <rdf:li rdf:parseType="Resource">
        <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
        <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
        <pdfaSchema:prefix>fx</pdfaSchema:prefix>
        <pdfaSchema:property>
          <rdf:Seq>{properties}
          </rdf:Seq>
        </pdfaSchema:property>
      </rdf:li>
    </rdf:Bag>
  </pdfaExtension:schemas>
</rdf:Description>
<rdf:Description xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" rdf:about="">
  <fx:DocumentType>INVOICE</fx:DocumentType>
  <fx:DocumentFileName>{filename}</fx:DocumentFileName>
  <fx:Version>1.0</fx:Version>
  <fx:ConformanceLevel>{profile}</fx:ConformanceLevel>
</rdf:Description>
"""
_XMP_PROPERTY = """
            <rdf:li rdf:parseType="Resource">
              <pdfaProperty:name>{name}</pdfaProperty:name>
              <pdfaProperty:valueType>Text</pdfaProperty:valueType>
              <pdfaProperty:category>external</pdfaProperty:category>
              <pdfaProperty:description>{description}</pdfaProperty:description>
            </rdf:li>"""
_XMP_PROPERTIES = [
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE or ORDER"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
]


def xmp_descriptions() -> bytes:
    """rdf:Description elements to add inside the PDF's XMP rdf:RDF."""
    properties = "".join(
        _XMP_PROPERTY.format(name=name, description=description) for name, description in _XMP_PROPERTIES
    )
    return _XMP.format(properties=properties, filename=FILENAME, profile=PROFILE).encode()


def add_to_xmp(packet: bytes) -> bytes:
    """Insert the Factur-X descriptions into an XMP packet's rdf:RDF (one rdf:RDF per
    packet, as XMP requires, rather than a second one beside it)."""
    end = packet.rfind(b"</rdf:RDF>")
    if end < 0:
        raise ValueError("The PDF's XMP metadata has no rdf:RDF element.")
    return packet[:end] + xmp_descriptions() + packet[end:]
