"""Issue 8, items 7 and 8: bank statement uploads are bounded (size, SQL variables,
memory) and CAMT.053 is parsed with defusedxml, whatever the file's encoding."""

import sqlite3
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from coin.billing.bank_import import BankImportError, guess_format, import_statement
from coin.billing.models import BankImport, Payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = "Date;Libellé;Montant\n"


def csv_lines(count: int) -> bytes:
    rows = [f"05/03/2025;VIR camille {n};{n % 90 + 1},{n % 100:02d}" for n in range(count)]
    return (HEADER + "\n".join(rows) + "\n").encode()


# --- Size limit -----------------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(member, settings, tmp_path):
    settings.BANK_IMPORT_MAX_BYTES = 1000
    data = csv_lines(100)
    assert len(data) > 1000
    with pytest.raises(BankImportError, match=r"at most 1000 bytes .*BANK_IMPORT_MAX_BYTES"):
        import_statement(data, "big.csv")
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError, match="BANK_IMPORT_MAX_BYTES"):
        call_command("import_bank_statement", str(path))
    assert not Payment.objects.exists()


def test_the_admin_upload_refuses_a_file_over_the_limit_with_a_clear_error(admin_client, member, settings):
    settings.BANK_IMPORT_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.csv", csv_lines(100), content_type="text/csv")
    response = admin_client.post("/admin/billing/bankimport/add/", {"file": upload})
    assert response.status_code == 200
    assert "BANK_IMPORT_MAX_BYTES" in str(response.context["form"].errors["file"])
    assert not Payment.objects.exists()


def test_the_admin_upload_streams_a_file_kept_on_disk(admin_client, member, settings):
    """Larger than FILE_UPLOAD_MAX_MEMORY_SIZE, the upload is a temporary file that the
    import reads as a stream."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    upload = SimpleUploadedFile("statement.csv", csv_lines(200), content_type="text/csv")
    response = admin_client.post("/admin/billing/bankimport/add/", {"file": upload})
    assert response.status_code == 302, response.context["form"].errors
    assert Payment.objects.count() == 200


# --- SQL variables -----------------------------------------------------------------------------------


@pytest.fixture
def few_sql_variables():
    """SQLite as built with its old default of 999 variables per statement (the limit
    the 477,000-line file hit); PostgreSQL has no such limit, the test runs as is."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    yield
    raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)


def test_a_file_of_thousands_of_lines_is_imported_in_chunks(member, few_sql_variables):
    """The reproduction: a 20 MB CSV answered 500 "too many SQL variables" on SQLite
    (the lookup of the lines already imported was one IN of every line). 5,000 lines
    against 999 variables."""
    result = import_statement(csv_lines(5000), "statement.csv")
    assert result.report["imported"] == 5000 and result.report["matched"] == 5000
    assert Payment.objects.count() == 5000
    assert Payment.objects.filter(member=member).count() == 5000
    # The same lines in a new file are recognised, also in chunks.
    again = import_statement(csv_lines(5000) + b"06/03/2025;VIR camille;1,00\n", "next.csv")
    assert again.report["imported"] == 1 and len(again.report["duplicates"]) == 5000


# --- CAMT.053 through defusedxml ------------------------------------------------------------------

CAMT_WITH_ENTITY = """<?xml version="1.0" encoding="UTF-16"?>
<!DOCTYPE Document [<!ENTITY who "camille">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Ntry><NtryRef>N1</NtryRef><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2025-03-05</Dt></BookgDt><AddtlNtryInf>VIR &who;</AddtlNtryInf></Ntry>
</Stmt></BkToCstmrStmt></Document>"""

BILLION_LAUGHS = (
    '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">\n'
        for n in range(1, 10)
    )
    + ']>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol9;</Document>'
)


@pytest.mark.parametrize("text", [CAMT_WITH_ENTITY, BILLION_LAUGHS], ids=["entity", "billion-laughs"])
def test_a_utf16_camt_declaring_entities_is_refused(member, text):
    """The reproduction: the guard searched the bytes for b"<!ENTITY", which a UTF-16
    file does not contain; the entity file was imported, the billion laughs parsed."""
    data = text.encode("utf-16")
    assert b"<!ENTITY" not in data
    with pytest.raises(BankImportError, match="DOCTYPE or entities: refused for safety"):
        import_statement(data, "statement.xml")
    assert not Payment.objects.exists() and not BankImport.objects.exists()


def test_a_utf16_camt_without_entities_is_imported(member):
    text = CAMT_WITH_ENTITY.replace('<!DOCTYPE Document [<!ENTITY who "camille">]>\n', "")
    data = text.replace("&who;", "camille").encode("utf-16")
    assert guess_format("statement", data) == "camt053"
    result = import_statement(data, "statement")
    assert result.report["imported"] == 1
    assert Payment.objects.get().amount == Decimal("10.00")
