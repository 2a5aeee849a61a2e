"""Bank statements: CSV and CAMT.053 credits become payments, matched to members;
the file is atomic, never imported twice, and lines already imported are skipped."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from coin.billing.bank_import import (
    BankImportError,
    find_match,
    import_statement,
    match_member,
    parse_amount,
    parse_camt053,
    parse_csv,
)
from coin.billing.models import BankImport, Invoice, Payment
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = "Date;Libellé;Montant\n"


def csv_file(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "\n".join(rows) + "\n").encode(encoding)


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>STMT-1</MsgId><CreDtTm>2025-03-06T08:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>STMT-1</Id>
   {entries}
  </Stmt>
 </BkToCstmrStmt>
</Document>"""

ENTRY = """<Ntry>
    <NtryRef>{ref}</NtryRef>
    <Amt Ccy="EUR">{amount}</Amt>
    <CdtDbtInd>{indicator}</CdtDbtInd>
    <Sts>{status}</Sts>
    <BookgDt><Dt>{date}</Dt></BookgDt>
    <AcctSvcrRef>{bank_id}</AcctSvcrRef>
    <NtryDtls><TxDtls><RmtInf><Ustrd>{label}</Ustrd></RmtInf></TxDtls></NtryDtls>
    <AddtlNtryInf>{info}</AddtlNtryInf>
   </Ntry>"""


def camt(*entries: dict, version: str = "02") -> bytes:
    defaults = {
        "ref": "N1",
        "amount": "10.00",
        "indicator": "CRDT",
        "status": "BOOK",
        "date": "2025-03-05",
        "bank_id": "BANK-1",
        "label": "",
        "info": "VIR SEPA",
    }
    body = "".join(ENTRY.format(**{**defaults, **entry}) for entry in entries)
    return CAMT.format(version=version, entries=body).encode()


# --- Amounts and formats ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, separator, value",
    [
        ("30,00", ",", "30.00"),
        ("1 234,56", ",", "1234.56"),
        ("1.234,56", ",", "1234.56"),
        ("1\u00a0234,5", ",", "1234.5"),
        ("-12,00", ",", "-12.00"),
        ("+30.00", ".", "30.00"),
        ("1,234.56", ".", "1234.56"),
        ("30 €", ",", "30"),
    ],
)
def test_parse_amount(text, separator, value):
    assert parse_amount(text, separator) == Decimal(value)


@pytest.mark.parametrize("text", ["abc", "12,345", "", "NaN", "1e3x"])
def test_parse_amount_refuses_what_is_not_an_amount_in_cents(text):
    with pytest.raises(ValueError):
        parse_amount(text, ",")


def test_csv_columns_and_formats_come_from_the_setting(settings):
    settings.BANK_CSV_FORMAT = {
        "delimiter": ",",
        "encoding": "latin-1",
        "date_format": "%Y-%m-%d",
        "decimal_separator": ".",
        "date_column": "Booking date",
        "amount_column": "Credit",
        "label_column": "Details",
        "id_column": "Transaction",
    }
    data = csv_file(
        '2025-03-05,"VIR M. Hervé, camille",12.50,T-1',
        "2025-03-06,CARTE FOURNISSEUR,,T-2",
        header="Booking date,Details,Credit,Transaction\n",
        encoding="latin-1",
    )
    lines, ignored = parse_csv(data)
    assert [(x.date, x.amount, x.label, x.bank_id) for x in lines] == [
        (d("2025-03-05"), Decimal("12.50"), "VIR M. Hervé, camille", "T-1")
    ]
    assert ignored == [{"line": 3, "reason": "no amount (debit)"}]


# --- Matching ---------------------------------------------------------------------------------


def test_match_member_by_username_in_any_case(member, other_member):
    assert match_member("VIR SEPA CAMILLE cotisation") == member
    assert match_member("virement de dominique.") == other_member
    assert match_member("VIR SEPA M MARTIN") is None


def test_match_member_by_invoice_number_first(member, other_member, invoice_for):
    invoice = invoice_for(member, "10", "2025-03-01")
    # The invoice number names Camille even though Dominique's username is there too.
    match = find_match(f"VIR DOMINIQUE FACTURE {invoice.number}")
    assert (match.member, match.reason) == (member, "invoice number")
    assert match_member("FACTURE 2025-03-000999") is None  # no such invoice


def test_match_member_by_subscription_reference(member, vpn, subscribe):
    subscription = subscribe(member, vpn, "2025-01-01")
    match = find_match(f"PRLV {subscription.reference.lower()} MARS")
    assert (match.member, match.reason) == (member, "subscription reference")
    assert match_member(f"REF-OTHER-{subscription.pk}") is None  # the offer part must agree


def test_match_member_ambiguous_is_no_match(member, other_member, invoice_for):
    assert find_match("VIR camille ET dominique").member is None
    assert "several usernames" in find_match("VIR camille ET dominique").reason
    mine, theirs = invoice_for(member, "10", "2025-03-01"), invoice_for(other_member, "10", "2025-03-01")
    assert match_member(f"{mine.number} {theirs.number}") is None


def test_match_member_nothing(db):
    assert find_match("VIR SEPA").reason == "no reference found"
    assert match_member("") is None


# --- Importing CSV ------------------------------------------------------------------------------


def test_csv_import_creates_payments_matches_and_reports(member, other_member, invoice_for, resumed):
    invoice = invoice_for(member, "30.00", "2025-03-01")
    data = csv_file(
        f"05/03/2025;VIR SEPA {invoice.number};30,00",
        "05/03/2025;VIR dominique;12,00",
        "06/03/2025;VIR INCONNU;7,50",
        "06/03/2025;FRAIS BANCAIRES;-3,20",
    )
    result = import_statement(data, "releve-mars.csv")
    report = result.report
    assert (report["credits"], report["imported"], report["matched"], report["total"]) == (3, 3, 2, "49.50")
    assert [(u["line"], u["label"]) for u in report["unmatched"]] == [("line 4", "VIR INCONNU")]
    assert report["ignored"] == [{"line": 5, "reason": "debit"}]
    assert "1 to assign" in result.summary()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CLOSED
    unmatched = Payment.objects.get(member__isnull=True)
    assert (unmatched.amount, unmatched.date, unmatched.bank_import) == (
        Decimal("7.50"),
        d("2025-03-06"),
        result.bank_import,
    )
    assert BankImport.objects.get().report == report
    assert sorted(resumed) == sorted([member.pk, other_member.pk])


def test_the_same_file_twice_is_refused(member):
    data = csv_file("05/03/2025;VIR camille;30,00")
    import_statement(data, "a.csv")
    with pytest.raises(BankImportError, match="already imported"):
        import_statement(data, "a-copy.csv")
    assert Payment.objects.count() == 1


def test_lines_of_an_earlier_file_are_skipped_and_reported(member):
    import_statement(csv_file("05/03/2025;VIR camille;30,00", "06/03/2025;VIR camille;5,00"), "a.csv")
    result = import_statement(csv_file("06/03/2025;VIR camille;5,00", "07/03/2025;VIR camille;8,00"), "b.csv")
    assert [x["line"] for x in result.report["duplicates"]] == ["line 2"]
    assert result.report["imported"] == 1
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [
        Decimal("5.00"),
        Decimal("8.00"),
        Decimal("30.00"),
    ]


def test_identical_lines_in_one_file_are_distinct_payments(member):
    two = ["05/03/2025;VIR camille;10,00", "05/03/2025;VIR camille;10,00"]
    assert import_statement(csv_file(*two), "a.csv").report["imported"] == 2
    # A later statement repeats both and adds a third identical one: only that one is new.
    result = import_statement(csv_file(*two, two[0]), "b.csv")
    assert (result.report["imported"], len(result.report["duplicates"])) == (1, 2)
    assert Payment.objects.count() == 3


def test_bank_ids_recognise_lines_whatever_the_label(member, settings):
    settings.BANK_CSV_FORMAT = {**settings.BANK_CSV_FORMAT, "id_column": "Id"}
    header = "Date;Libellé;Montant;Id\n"
    import_statement(csv_file("05/03/2025;VIR camille;10,00;TX-1", header=header), "a.csv")
    result = import_statement(
        csv_file("05/03/2025;VIR CAMILLE (label reworded);10,00;TX-1", header=header), "b.csv"
    )
    assert result.report["imported"] == 0 and len(result.report["duplicates"]) == 1


@pytest.mark.parametrize(
    "row, message",
    [
        ("32/03/2025;VIR camille;10,00", "Line 3, Date '32/03/2025': not a date in the format %d/%m/%Y."),
        ("05/03/2025;VIR camille;dix", "Line 3, Montant 'dix': not an amount."),
        ("05/03/2025;VIR camille", "Line 3, columns '': this line has fewer columns than the header."),
        (
            "05/03/2025;VIR camille;10,00;extra",
            "Line 3, columns '': this line has more columns than the header.",
        ),
    ],
)
def test_a_bad_line_imports_nothing_and_names_line_and_field(member, row, message):
    data = csv_file("04/03/2025;VIR camille;10,00", row)
    with pytest.raises(BankImportError) as error:
        import_statement(data, "bad.csv")
    assert error.value.messages == [message]
    assert not Payment.objects.exists() and not BankImport.objects.exists()


def test_missing_columns_and_bad_encoding_are_explained(db):
    with pytest.raises(BankImportError, match="column\\(s\\) Montant not found"):
        import_statement(csv_file("05/03/2025;x", header="Date;Libellé\n"), "a.csv")
    with pytest.raises(BankImportError, match="encoding"):
        import_statement(csv_file("05/03/2025;Hervé;1,00", encoding="latin-1"), "b.csv")


def test_dry_run_imports_nothing(member):
    result = import_statement(csv_file("05/03/2025;VIR camille;30,00"), "a.csv", dry_run=True)
    assert result.bank_import is None and result.report["imported"] == 1 and result.report["matched"] == 1
    assert not Payment.objects.exists() and not BankImport.objects.exists()


# --- Importing CAMT.053 ------------------------------------------------------------------------


def test_camt053_credits_become_payments(member, invoice_for, resumed):
    invoice = invoice_for(member, "10.00", "2025-03-01")
    data = camt(
        {"ref": "N1", "bank_id": "B-1", "label": f"FACTURE {invoice.number}", "info": "VIR SEPA M MARTIN"},
        {"ref": "N2", "bank_id": "B-2", "indicator": "DBIT", "amount": "99.00"},
        {"ref": "N3", "bank_id": "B-3", "amount": "4.20", "label": "", "info": "VIR SEPA INCONNU"},
        {"ref": "N4", "bank_id": "B-4", "status": "PDNG"},
    )
    result = import_statement(data, "camt.xml")
    assert result.report["format"] == "camt053"
    assert result.report["imported"] == 2 and result.report["matched"] == 1
    payment = Payment.objects.get(member=member)
    assert (payment.amount, payment.date, payment.label, payment.import_key) == (
        Decimal("10.00"),
        d("2025-03-05"),
        f"FACTURE {invoice.number} VIR SEPA M MARTIN",
        "id:B-1",
    )
    assert [x["reason"] for x in result.report["ignored"]] == ["debit", "not booked (PDNG)"]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CLOSED


def test_camt053_reads_any_version_of_the_namespace(member):
    lines, _ignored = parse_camt053(camt({"label": "camille"}, version="08"))
    assert [(x.amount, x.bank_id, x.label) for x in lines] == [
        (Decimal("10.00"), "BANK-1", "camille VIR SEPA")
    ]


def test_camt053_entry_reference_is_the_id_when_the_bank_gives_no_other(db):
    data = camt({"bank_id": ""}).replace(b"<AcctSvcrRef></AcctSvcrRef>", b"")
    [line], _ = parse_camt053(data)
    assert line.bank_id == "N1"


def test_camt053_errors_name_the_entry_and_field(member):
    with pytest.raises(BankImportError, match=r"Entry 2 \(N2\), Amt 'ten': not an amount"):
        import_statement(camt({"ref": "N1"}, {"ref": "N2", "bank_id": "B-2", "amount": "ten"}), "a.xml")
    with pytest.raises(BankImportError, match=r"Entry 1 \(N1\), BookgDt '05/03/2025'"):
        import_statement(camt({"date": "05/03/2025"}), "b.xml")
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<Document><x/>", "well-formed"),
        (
            b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
            "CAMT.053",
        ),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DOCTYPE"),
    ],
)
def test_camt053_refuses_other_files(db, data, message):
    with pytest.raises(BankImportError, match=message):
        import_statement(data, "x.xml", "camt053")


# --- Command ------------------------------------------------------------------------------------


def test_import_bank_statement_command(member, tmp_path):
    path = tmp_path / "releve.csv"
    path.write_bytes(csv_file("05/03/2025;VIR camille;30,00", "05/03/2025;VIR INCONNU;5,00"))
    out = StringIO()
    call_command("import_bank_statement", str(path), "--dry-run", stdout=out)
    assert "dry run, nothing imported" in out.getvalue() and not Payment.objects.exists()
    out = StringIO()
    call_command("import_bank_statement", str(path), "--format", "csv", stdout=out)
    assert "to assign: line 3, 2025-03-05, 5.00: VIR INCONNU (no reference found)" in out.getvalue()
    assert "2 imported (1 matched to a member, 1 to assign)" in out.getvalue()
    with pytest.raises(CommandError, match="already imported.*Nothing was imported"):
        call_command("import_bank_statement", str(path), stdout=StringIO())
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_bank_statement", str(tmp_path / "missing.csv"))
