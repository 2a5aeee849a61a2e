"""Importing bank statements: credits on the ISP's account become payments.

Two formats: the bank's CSV export (columns set by the BANK_CSV_FORMAT setting) and
CAMT.053 (ISO 20022 XML statement). Only credits are imported: debits are the ISP's
own spending.

Guarantees:

- A file is imported whole or not at all: it is parsed completely before anything is
  written, and written in one transaction. A bad line stops the import with an error
  naming the line and the field: an amount that does not fit the payments' column, a
  date in the future or before bounds.EARLIEST_PAYMENT_DATE, as the model refuses them.
- A file larger than BANK_IMPORT_MAX_BYTES is refused before it is read. A file is read
  as a stream (never whole in memory as bytes and text), and written in chunks
  (CHUNK_SIZE rows per statement), so that no statement exceeds SQLite's limit on SQL
  variables and memory stays bounded by the size limit.
- CAMT.053 is parsed with defusedxml: a DOCTYPE, an entity declaration (billion laughs)
  or an external reference is refused, whatever the file's encoding.
- The same file is refused the second time (its SHA-256 is stored in BankImport).
- A line that an earlier, different file already brought (statements overlap) is
  skipped and reported. It is recognised by the bank's transaction id when there is
  one, otherwise by its date, amount, label and rank among identical lines of the file.
- Each line is matched to a member by a reference in its label (match_member): an
  invoice number, a subscription reference or a username. What does not match is kept
  as a payment without member, listed in the report, for an admin to assign.
"""

import codecs
import csv
import datetime
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO, TypedDict

import defusedxml
import defusedxml.ElementTree
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower, Replace
from django.utils.translation import gettext as _

from coin.billing import camt, direct_debit
from coin.billing.bounds import check_fields
from coin.billing.models import BankImport, Invoice, Payment
from coin.billing.numbering import INVOICE_NUMBER_RE
from coin.billing.payments import settle
from coin.billing.references import MEMBER_PREFIX, body_of, find_creditor_references
from coin.members.models import Member
from coin.offers.models import OfferSubscription

FORMATS = ("csv", "camt053", "camt054")

# Rows per INSERT and keys per lookup: far below SQLite's limit on SQL variables (999 in
# older builds) whatever the number of lines.
CHUNK_SIZE = 500
READ_SIZE = 64 * 1024
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class BankImportError(ValidationError):
    """The file cannot be imported; the message says where and why."""


@dataclass(frozen=True)
class BankLine:
    """A credit as read from the statement. ``position`` names it in messages."""

    position: str
    date: datetime.date
    amount: Decimal
    label: str
    bank_id: str = ""
    references: tuple[str, ...] = ()
    end_to_end_id: str = ""
    mandate_id: str = ""


def _fail(position: str, field: str, value: str, why: str) -> "BankImportError":
    return BankImportError(
        _("%(position)s, %(field)s %(value)r: %(why)s")
        % {"position": position[:1].upper() + position[1:], "field": field, "value": value, "why": why}
    )


def check_line_bounds(position: str, amount: Decimal, day: datetime.date, fields: dict[str, tuple]) -> None:
    """A credit fits a payment: its amount the column's digits, its date between
    EARLIEST_PAYMENT_DATE and today (the Payment fields' own validators). ``fields``
    names the file's field and raw value of ``amount`` and ``date``, for the message."""
    try:
        check_fields(Payment, {"amount": amount, "date": day})
    except ValidationError as error:
        name, errors = next(iter(error.error_dict.items()))
        field, raw = fields[name]
        raise _fail(position, field, raw, " ".join(e.message % (e.params or {}) for e in errors)) from None


# --- Reading files ----------------------------------------------------------------------------


def max_bytes() -> int:
    return int(getattr(settings, "BANK_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _as_file(source: bytes | BinaryIO) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes | bytearray) else source


def check_size(source: BinaryIO) -> int:
    """The file's size in bytes; BankImportError when above BANK_IMPORT_MAX_BYTES."""
    source.seek(0, io.SEEK_END)
    size = source.tell()
    source.seek(0)
    limit = max_bytes()
    if size > limit:
        raise BankImportError(
            _(
                "The file is %(size)s bytes: at most %(limit)s bytes are accepted "
                "(setting BANK_IMPORT_MAX_BYTES). Split the statement."
            )
            % {"size": size, "limit": limit}
        )
    return size


def file_sha256(source: BinaryIO) -> str:
    """SHA-256 of the whole file, read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    source.seek(0)
    while chunk := source.read(READ_SIZE):
        digest.update(chunk)
    source.seek(0)
    return digest.hexdigest()


def _csv_format() -> dict:
    defaults = {
        "delimiter": ";",
        "encoding": "utf-8-sig",
        "date_format": "%d/%m/%Y",
        "decimal_separator": ",",
        "date_column": "Date",
        "amount_column": "Montant",
        "label_column": "Libellé",
        "id_column": None,
    }
    return {**defaults, **getattr(settings, "BANK_CSV_FORMAT", {})}


def parse_amount(text: str, decimal_separator: str = ".") -> Decimal:
    """'1 234,56' → Decimal('1234.56'); '+30.00' → 30.00. Raises ValueError."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text)
    if decimal_separator != ".":
        cleaned = cleaned.replace(".", "").replace(decimal_separator, ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(text)
    return value


def parse_csv(source: bytes | BinaryIO, csv_format: dict | None = None) -> tuple[list[BankLine], list[dict]]:
    """The credit lines of a CSV export, and the lines ignored (debits, empty amounts).
    ``source`` is read as a stream."""
    fmt = {**_csv_format(), **(csv_format or {})}
    source = _as_file(source)
    try:
        codecs.lookup(fmt["encoding"])
    except LookupError as error:
        raise _encoding_error(fmt, error) from None
    text = io.TextIOWrapper(source, encoding=fmt["encoding"], newline="")
    try:
        return _read_csv(text, fmt)
    except UnicodeDecodeError as error:
        raise _encoding_error(fmt, error) from None
    finally:
        text.detach()  # leave the caller's file open


def _encoding_error(fmt: dict, error: Exception) -> BankImportError:
    return BankImportError(
        _("The file is not in the %(encoding)s encoding set in BANK_CSV_FORMAT (%(error)s).")
        % {"encoding": fmt["encoding"], "error": error}
    )


def _read_csv(text: io.TextIOBase, fmt: dict) -> tuple[list[BankLine], list[dict]]:
    reader = csv.DictReader(text, delimiter=fmt["delimiter"])
    columns = {
        key: fmt[f"{key}_column"] for key in ("date", "amount", "label", "id") if fmt.get(f"{key}_column")
    }
    missing = [name for name in columns.values() if name not in (reader.fieldnames or [])]
    if missing:
        raise BankImportError(
            _("Line 1: column(s) %(missing)s not found; the header has %(found)s (see BANK_CSV_FORMAT).")
            % {"missing": ", ".join(missing), "found": ", ".join(reader.fieldnames or []) or _("nothing")}
        )
    lines, ignored = [], []
    for row in reader:
        number = reader.line_num
        position = _("line %(n)d") % {"n": number}
        if not any((value or "").strip() for value in row.values()):
            continue  # blank line
        if None in row:
            raise _fail(position, _("columns"), "", _("this line has more columns than the header."))
        if any(row.get(name) is None for name in columns.values()):
            raise _fail(position, _("columns"), "", _("this line has fewer columns than the header."))
        raw_amount = (row.get(columns["amount"]) or "").strip()
        if not raw_amount:
            ignored.append({"line": number, "reason": _("no amount (debit)")})
            continue
        try:
            amount = parse_amount(raw_amount, fmt["decimal_separator"])
        except ValueError:
            raise _fail(position, columns["amount"], raw_amount, _("not an amount.")) from None
        raw_date = (row.get(columns["date"]) or "").strip()
        try:
            day = datetime.datetime.strptime(raw_date, fmt["date_format"]).date()
        except ValueError:
            raise _fail(
                position,
                columns["date"],
                raw_date,
                _("not a date in the format %(f)s.") % {"f": fmt["date_format"]},
            ) from None
        if amount <= 0:
            ignored.append({"line": number, "reason": _("debit")})
            continue
        check_line_bounds(
            position,
            amount,
            day,
            {"amount": (columns["amount"], raw_amount), "date": (columns["date"], raw_date)},
        )
        label = " ".join((row.get(columns["label"]) or "").split())
        bank_id = (row.get(columns["id"]) or "").strip() if "id" in columns else ""
        lines.append(BankLine(position, day, amount, label, bank_id))
    return lines, ignored


def _camt_file(source: bytes | BinaryIO) -> camt.CamtFile:
    """A CAMT.053 or CAMT.054 file read by camt.parse, its errors as BankImportError."""
    try:
        return camt.parse(_as_file(source), check_line_bounds)
    except camt.CamtError as error:
        raise BankImportError(str(error)) from None
    except defusedxml.DefusedXmlException as error:
        raise BankImportError(
            _("The XML file declares a DOCTYPE or entities: refused for safety (%(error)s).")
            % {"error": error}
        ) from None
    except ET.ParseError as error:
        raise BankImportError(_("Not a well-formed XML file: %(error)s.") % {"error": error}) from None


def _as_line(transaction: camt.CamtTransaction) -> BankLine:
    return BankLine(
        transaction.position,
        transaction.date,
        transaction.amount,
        transaction.label,
        transaction.bank_id,
        references=transaction.references,
        end_to_end_id=transaction.end_to_end_id,
        mandate_id=transaction.mandate_id,
    )


def parse_camt053(source: bytes | BinaryIO) -> tuple[list[BankLine], list[dict]]:
    """The credits of a CAMT.053 statement or CAMT.054 notification (see camt.py), and
    the entries ignored (debits, entries not booked, other currencies, reversals)."""
    parsed = _camt_file(source)
    return [_as_line(t) for t in parsed.transactions if t.credit], parsed.ignored


@dataclass
class Parsed:
    """What a file holds: its credits, the lines left aside, and the debits that
    return a direct debit (camt only); ``kind`` is the format actually read."""

    kind: str
    lines: list[BankLine]
    ignored: list[dict]
    returns: list[camt.CamtTransaction]


def parse_file(source: bytes | BinaryIO, file_format: str) -> Parsed:
    if file_format == "csv":
        lines, ignored = parse_csv(source)
        return Parsed("csv", lines, ignored, [])
    if file_format in ("camt053", "camt054"):
        parsed = _camt_file(source)
        credits = [_as_line(t) for t in parsed.transactions if t.credit]
        returns = [t for t in parsed.transactions if not t.credit]
        return Parsed(parsed.kind, credits, parsed.ignored, returns)
    raise BankImportError(_("Unknown format %(format)s: csv, camt053 or camt054.") % {"format": file_format})


def parse(source: bytes | BinaryIO, file_format: str) -> tuple[list[BankLine], list[dict]]:
    """The credits of a file and the lines ignored."""
    parsed = parse_file(source, file_format)
    return parsed.lines, parsed.ignored


def guess_format(filename: str, source: bytes | BinaryIO) -> str:
    """camt053 for a .xml file or one that starts with an XML declaration (UTF-8 or
    UTF-16), else csv."""
    if filename.lower().endswith(".xml"):
        return "camt053"
    source = _as_file(source)
    start = source.read(64)
    source.seek(0)
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if start.startswith(bom):
            start = start[len(bom) :].decode(encoding, errors="ignore").encode()
    return "camt053" if start.removeprefix(codecs.BOM_UTF8).lstrip()[:5] == b"<?xml" else "csv"


# --- Recognising lines and members ------------------------------------------------------------


def import_keys(lines: list[BankLine]) -> list[str]:
    """A key per line that a later file containing the same line gives again.

    With a bank id: that id. Without: a hash of date, amount, label and the rank of
    the line among the identical lines of the file (two identical transfers on one day
    are two payments, and the next statement that repeats them gives the same ranks).
    """
    keys: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}  # identity → lines with it so far
    for line in lines:
        if line.bank_id:
            key = f"id:{line.bank_id}"
            if len(key) > 128:
                key = "id:" + hashlib.sha256(line.bank_id.encode()).hexdigest()
        else:
            identity = (line.date.isoformat(), str(line.amount), line.label)
            rank = seen.get(identity, 0)
            seen[identity] = rank + 1
            key = "h:" + hashlib.sha256("|".join([*identity, str(rank)]).encode()).hexdigest()
        keys.append(key)
    return keys


class ImportReport(TypedDict):
    """What an import did, line by line (kept as ``BankImport.report``)."""

    filename: str
    format: str
    credits: int
    imported: int
    matched: int
    total: str
    unmatched: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    ignored: list[dict[str, Any]]
    collections: int
    returns: list[dict[str, Any]]
    dry_run: bool


@dataclass(frozen=True)
class Match:
    """Who a line names and how; ``invoice``: the one invoice its creditor reference
    names, which it pays first."""

    member: Member | None
    reason: str
    invoice: Invoice | None = None


def match_creditor_references(references: Iterable[str]) -> Match | None:
    """The match of valid RF references (references.py), or None when there is none.

    An invoice's reference names that invoice; a member's reference names the member
    (their oldest open invoices are paid first, as for any payment). References of
    different members are ambiguous: a person decides.
    """
    bodies = {body_of(reference) for reference in references}
    if not bodies:
        return None
    member_ids = {
        int(body[len(MEMBER_PREFIX) :]) for body in bodies if re.fullmatch(MEMBER_PREFIX + r"\d+", body)
    }
    invoices = list(
        Invoice.objects.validated()
        .annotate(compact=Replace("number", Value("-"), Value("")))
        .filter(compact__in=bodies)
        .select_related("member")
    )
    members = {invoice.member_id for invoice in invoices} | set(
        Member.objects.filter(pk__in=member_ids).values_list("pk", flat=True)
    )
    if not members:
        return None
    if len(members) > 1:
        return Match(None, _("creditor references of different members"))
    member = invoices[0].member if invoices else Member.objects.get(pk=members.pop())
    invoice = invoices[0] if len(invoices) == 1 else None
    return Match(member, _("creditor reference"), invoice)


def _subscription_reference_re() -> re.Pattern:
    """SUBSCRIPTION_REFERENCE turned into a regular expression capturing the pk."""
    pattern = settings.SUBSCRIPTION_REFERENCE
    parts = re.split(r"(\{[^}]*\})", pattern)
    regex = ""
    for part in parts:
        if part in ("{subscription.pk}", "{subscription.id}"):
            regex += r"(?P<pk>\d+)"
        elif part.startswith("{") and part.endswith("}"):
            regex += r"[A-Za-z0-9_.-]+?"
        else:
            regex += re.escape(part)
    return re.compile(r"(?<![\w-])" + regex + r"(?![\w])", re.IGNORECASE)


def find_match(label: str, references: Iterable[str] = ()) -> Match:
    """Who a bank line names, and how it was recognised.

    By strength: a valid RF creditor reference (given in the structured remittance,
    ``references``, or written in the label; see match_creditor_references), then an
    invoice number (YYYY-MM-NNNNNN) of a validated invoice, then a subscription
    reference (SUBSCRIPTION_REFERENCE, checked against the subscription it points at),
    then a word of the label equal to a username (case ignored). When one kind of
    reference names two different members, it is ambiguous and nothing matches: a
    person decides.
    """
    structured = [ref for reference in references for ref in find_creditor_references(reference)]
    by_reference = match_creditor_references([*structured, *find_creditor_references(label)])
    if by_reference is not None:
        return by_reference
    numbers = {"-".join(match.groups()) for match in INVOICE_NUMBER_RE.finditer(label)}
    if numbers:
        member_ids: set[int] = set(
            Invoice.objects.validated().filter(number__in=numbers).values_list("member_id", flat=True)
        )
        if len(member_ids) == 1:
            return Match(Member.objects.get(pk=member_ids.pop()), _("invoice number"))
        if len(member_ids) > 1:
            return Match(None, _("invoice numbers of different members"))

    subscription_references: dict[int, str] = {}  # pk → the reference as written
    for match in _subscription_reference_re().finditer(label):
        subscription_references[int(match.group("pk"))] = match.group(0)
    if subscription_references:
        subscriptions = OfferSubscription.objects.filter(pk__in=subscription_references).select_related(
            "offer", "member"
        )
        subscribers = {
            s.member for s in subscriptions if s.reference.lower() == subscription_references[s.pk].lower()
        }
        if len(subscribers) == 1:
            return Match(subscribers.pop(), _("subscription reference"))
        if len(subscribers) > 1:
            return Match(None, _("subscription references of different members"))

    words = {word.lower() for word in re.findall(r"[\w.@+-]+", label)}
    words |= {word.strip(".-") for word in words}
    if words:
        members = list(
            Member.objects.annotate(lower_username=Lower("username")).filter(lower_username__in=words)
        )
        if len(members) == 1:
            return Match(members[0], _("username"))
        if len(members) > 1:
            return Match(
                None,
                _("several usernames: %(names)s") % {"names": ", ".join(sorted(m.username for m in members))},
            )
    return Match(None, _("no reference found"))


def match_member(label: str) -> Member | None:
    """The member a bank label refers to, or None (see find_match)."""
    return find_match(label).member


# --- Importing -------------------------------------------------------------------------------


@dataclass
class ImportResult:
    bank_import: BankImport | None
    report: "ImportReport"

    def summary(self) -> str:
        r = self.report
        returns = r.get("returns", [])
        extra = (
            " "
            + _("%(collections)d direct debit(s) collected, %(returns)d returned.")
            % {"collections": r.get("collections", 0), "returns": len(returns)}
            if r.get("collections") or returns
            else ""
        )
        return (
            _(
                "%(filename)s: %(credits)d credit(s), %(imported)d imported (%(matched)d matched to a "
                "member, %(unmatched)d to assign), %(duplicates)d already imported, "
                "%(ignored)d ignored line(s)."
            )
            % {
                "filename": r["filename"],
                "credits": r["credits"],
                "imported": r["imported"],
                "matched": r["matched"],
                "unmatched": len(r["unmatched"]),
                "duplicates": len(r["duplicates"]),
                "ignored": len(r["ignored"]),
            }
            + extra
        )


def _chunks(items: list, size: int = CHUNK_SIZE) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record_returns(returns: list[camt.CamtTransaction], report: "ImportReport") -> None:
    """Debits that return direct debits (direct_debit.record_return), in the report."""
    for returned, key in zip(returns, import_keys([_as_line(t) for t in returns]), strict=True):
        outcome = direct_debit.record_return(
            end_to_end_id=returned.end_to_end_id,
            mandate_id=returned.mandate_id,
            amount=returned.amount,
            day=returned.date,
            reason=returned.return_reason,
            key=key,
        )
        report["returns"].append(
            {
                "line": returned.position,
                "date": returned.date.isoformat(),
                "amount": str(returned.amount),
                "collection": outcome.collection.end_to_end_id if outcome.collection else "",
                "reason": outcome.reason,
            }
        )


def existing_keys(keys: Iterable[str]) -> set[str]:
    """The import keys already recorded, looked up CHUNK_SIZE at a time."""
    found: set[str] = set()
    for chunk in _chunks(list(keys)):
        recorded = Payment.objects.filter(import_key__in=chunk).values_list("import_key", flat=True)
        found |= {key for key in recorded if key is not None}  # all are: they matched a key
    return found


def import_statement(
    data: bytes | BinaryIO,
    filename: str,
    file_format: str | None = None,
    *,
    user: Member | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import a statement file, given as bytes or a binary file open at its start (see
    the module's guarantees). Raises BankImportError."""
    source = _as_file(data)
    check_size(source)
    file_format = file_format or guess_format(filename, source)
    digest = file_sha256(source)
    previous = BankImport.objects.filter(sha256=digest).first()
    if previous is not None:
        raise BankImportError(
            _("This file was already imported on %(date)s (%(filename)s): nothing was imported again.")
            % {"date": f"{previous.imported_at:%Y-%m-%d %H:%M}", "filename": previous.filename}
        )
    parsed = parse_file(source, file_format)
    lines, ignored = parsed.lines, parsed.ignored
    keys = import_keys(lines)
    existing = existing_keys(keys) | direct_debit.existing_credit_keys(keys)
    report: ImportReport = {
        "filename": filename,
        "format": parsed.kind,
        "credits": len(lines),
        "imported": 0,
        "matched": 0,
        "total": "0.00",
        "unmatched": [],
        "duplicates": [],
        "ignored": ignored,
        "collections": 0,
        "returns": [],
        "dry_run": dry_run,
    }
    total = Decimal("0")
    payments = []
    targets: list[tuple[Payment, Invoice]] = []
    collections: list[tuple[Payment, direct_debit.DirectDebitCollection, str]] = []
    seen_keys = set()
    matches: dict[tuple[str, tuple[str, ...]], Match] = {}
    sent = direct_debit.collections_for_credits(line.end_to_end_id for line in lines)
    paid_now: set[int] = set()
    for line, key in zip(lines, keys, strict=True):
        described = {"line": line.position, "date": line.date.isoformat(), "amount": str(line.amount)}
        if key in existing or key in seen_keys:
            report["duplicates"].append({**described, "label": line.label})
            continue
        seen_keys.add(key)
        payment = Payment(
            payment_mean=Payment.PaymentMean.TRANSFER,
            amount=line.amount,
            date=line.date,
            label=line.label[:500],
            import_key=key,
        )
        collection = sent.pop(line.end_to_end_id, None)  # popped: paid once only
        if collection is None and line.mandate_id:
            collection = direct_debit.collection_by_mandate(line.mandate_id, line.amount, paid_now)
        if collection is not None:
            paid_now.add(collection.pk)
        if collection is not None:
            payment.member = collection.invoice.member
            payment.payment_mean = Payment.PaymentMean.DIRECT_DEBIT
            collections.append((payment, collection, key))
            targets.append((payment, collection.invoice))
            report["matched"] += 1
            report["collections"] += 1
        else:
            identity = (line.label, line.references)
            if identity not in matches:  # statements repeat labels (standing orders)
                matches[identity] = find_match(line.label, line.references)
            match = matches[identity]
            payment.member = match.member
            if match.member is None:
                report["unmatched"].append({**described, "label": line.label, "reason": match.reason})
            else:
                report["matched"] += 1
            if match.invoice is not None:
                targets.append((payment, match.invoice))
        total += line.amount
        payments.append(payment)
    report["imported"] = len(payments)
    report["total"] = str(total)
    if dry_run:
        return ImportResult(None, report)
    try:
        with transaction.atomic():
            bank_import = BankImport.objects.create(
                filename=filename[:255],
                file_format=parsed.kind,
                sha256=digest,
                imported_by=user,
                report=report,
            )
            for payment in payments:
                payment.bank_import = bank_import
            Payment.objects.bulk_create(payments, batch_size=CHUNK_SIZE)
            for payment, collection, key in collections:
                direct_debit.collection_paid(collection, payment, key)
            settle(
                (payment.member_id for payment in payments),
                [(payment.pk, invoice.pk) for payment, invoice in targets],
            )
            _record_returns(parsed.returns, report)
            bank_import.report = report
            bank_import.save(update_fields=["report"])
    except IntegrityError as error:
        # Another import of this file, or of lines of it, committed meanwhile.
        raise BankImportError(
            _("Another import brought the same file or lines meanwhile: nothing was imported (%(error)s).")
            % {"error": str(error).splitlines()[0]}
        ) from None
    return ImportResult(bank_import, report)
