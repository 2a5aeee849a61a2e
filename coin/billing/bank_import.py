"""Importing bank statements: credits on the ISP's account become payments.

Two formats: the bank's CSV export (columns set by the BANK_CSV_FORMAT setting) and
CAMT.053 (ISO 20022 XML statement). Only credits are imported: debits are the ISP's
own spending.

Guarantees:

- A file is imported whole or not at all: it is parsed completely before anything is
  written, and written in one transaction. A bad line stops the import with an error
  naming the line and the field.
- The same file is refused the second time (its SHA-256 is stored in BankImport).
- A line that an earlier, different file already brought (statements overlap) is
  skipped and reported. It is recognised by the bank's transaction id when there is
  one, otherwise by its date, amount, label and rank among identical lines of the file.
- Each line is matched to a member by a reference in its label (match_member): an
  invoice number, a subscription reference or a username. What does not match is kept
  as a payment without member, listed in the report, for an admin to assign.
"""

import csv
import datetime
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from coin.billing.models import BankImport, Invoice, Payment
from coin.billing.numbering import INVOICE_NUMBER_RE
from coin.billing.payments import settle
from coin.members.models import Member
from coin.offers.models import OfferSubscription

FORMATS = ("csv", "camt053")


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


# --- Reading files ----------------------------------------------------------------------------


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


def parse_csv(data: bytes, csv_format: dict | None = None) -> tuple[list[BankLine], list[dict]]:
    """The credit lines of a CSV export, and the lines ignored (debits, empty amounts)."""
    fmt = {**_csv_format(), **(csv_format or {})}
    try:
        text = data.decode(fmt["encoding"])
    except (UnicodeDecodeError, LookupError) as error:
        raise BankImportError(
            _("The file is not in the %(encoding)s encoding set in BANK_CSV_FORMAT (%(error)s).")
            % {"encoding": fmt["encoding"], "error": error}
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=fmt["delimiter"])
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

        def fail(field: str, value: str, why: str, position=position) -> BankImportError:
            return BankImportError(
                _("%(position)s, %(field)s %(value)r: %(why)s")
                % {
                    "position": position[:1].upper() + position[1:],
                    "field": field,
                    "value": value,
                    "why": why,
                }
            )

        if not any((value or "").strip() for value in row.values()):
            continue  # blank line
        if None in row:
            raise fail(_("columns"), "", _("this line has more columns than the header."))
        if any(row.get(name) is None for name in columns.values()):
            raise fail(_("columns"), "", _("this line has fewer columns than the header."))
        raw_amount = (row.get(columns["amount"]) or "").strip()
        if not raw_amount:
            ignored.append({"line": number, "reason": _("no amount (debit)")})
            continue
        try:
            amount = parse_amount(raw_amount, fmt["decimal_separator"])
        except ValueError:
            raise fail(columns["amount"], raw_amount, _("not an amount.")) from None
        raw_date = (row.get(columns["date"]) or "").strip()
        try:
            day = datetime.datetime.strptime(raw_date, fmt["date_format"]).date()
        except ValueError:
            raise fail(
                columns["date"], raw_date, _("not a date in the format %(f)s.") % {"f": fmt["date_format"]}
            ) from None
        if amount <= 0:
            ignored.append({"line": number, "reason": _("debit")})
            continue
        label = " ".join((row.get(columns["label"]) or "").split())
        bank_id = (row.get(columns["id"]) or "").strip() if "id" in columns else ""
        lines.append(BankLine(position, day, amount, label, bank_id))
    return lines, ignored


def _camt_text(element: ET.Element | None, path: str, ns: dict) -> str:
    if element is None:
        return ""
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None and found.text else ""


def parse_camt053(data: bytes) -> tuple[list[BankLine], list[dict]]:
    """The credit entries (CdtDbtInd CRDT) of a CAMT.053 statement, in any version of
    the camt.053 namespace; and the entries ignored (debits, entries not booked)."""
    if b"<!DOCTYPE" in data[:2048].upper() or b"<!ENTITY" in data.upper():
        raise BankImportError(_("The XML file declares a DOCTYPE or entities: refused for safety."))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        raise BankImportError(_("Not a well-formed XML file: %(error)s.") % {"error": error}) from None
    match = re.match(r"\{([^}]*)\}Document$", root.tag)
    if not match or "camt.053" not in match.group(1):
        raise BankImportError(_("Not a CAMT.053 statement: the root element is %(tag)s.") % {"tag": root.tag})
    ns = {"c": match.group(1)}
    entries = root.findall("./c:BkToCstmrStmt/c:Stmt/c:Ntry", ns)
    lines, ignored = [], []
    for index, entry in enumerate(entries, start=1):
        reference = _camt_text(entry, "c:NtryRef", ns) or _camt_text(entry, "c:AcctSvcrRef", ns)
        position = _("entry %(n)d") % {"n": index} + (f" ({reference})" if reference else "")

        def fail(field: str, value: str, why: str, position=position) -> BankImportError:
            return BankImportError(
                _("%(position)s, %(field)s %(value)r: %(why)s")
                % {
                    "position": position[:1].upper() + position[1:],
                    "field": field,
                    "value": value,
                    "why": why,
                }
            )

        indicator = _camt_text(entry, "c:CdtDbtInd", ns)
        if indicator not in ("CRDT", "DBIT"):
            raise fail("CdtDbtInd", indicator, _("expected CRDT or DBIT."))
        if indicator != "CRDT":
            ignored.append({"line": index, "reason": _("debit")})
            continue
        status = _camt_text(entry, "c:Sts", ns) or _camt_text(entry, "c:Sts/c:Cd", ns)
        if status and status not in ("BOOK",):
            ignored.append({"line": index, "reason": _("not booked (%(status)s)") % {"status": status}})
            continue
        raw_amount = _camt_text(entry, "c:Amt", ns)
        try:
            amount = parse_amount(raw_amount)
        except ValueError:
            raise fail("Amt", raw_amount, _("not an amount.")) from None
        if amount <= 0:
            raise fail("Amt", raw_amount, _("a credit must be positive."))
        raw_date = _camt_text(entry, "c:BookgDt/c:Dt", ns) or _camt_text(entry, "c:BookgDt/c:DtTm", ns)[:10]
        try:
            day = datetime.date.fromisoformat(raw_date)
        except ValueError:
            raise fail("BookgDt", raw_date, _("not a date (YYYY-MM-DD).")) from None
        remittance = [
            (element.text or "").strip() for element in entry.findall(".//c:TxDtls/c:RmtInf/c:Ustrd", ns)
        ]
        label = " ".join(" ".join([*remittance, _camt_text(entry, "c:AddtlNtryInf", ns)]).split())
        bank_id = _camt_text(entry, "c:AcctSvcrRef", ns) or _camt_text(entry, "c:NtryRef", ns)
        lines.append(BankLine(position, day, amount, label, bank_id))
    return lines, ignored


def parse(data: bytes, file_format: str) -> tuple[list[BankLine], list[dict]]:
    if file_format == "csv":
        return parse_csv(data)
    if file_format == "camt053":
        return parse_camt053(data)
    raise BankImportError(_("Unknown format %(format)s: csv or camt053.") % {"format": file_format})


def guess_format(filename: str, data: bytes) -> str:
    return "camt053" if filename.lower().endswith(".xml") or data.lstrip()[:5] == b"<?xml" else "csv"


# --- Recognising lines and members ------------------------------------------------------------


def import_keys(lines: list[BankLine]) -> list[str]:
    """A key per line that a later file containing the same line gives again.

    With a bank id: that id. Without: a hash of date, amount, label and the rank of
    the line among the identical lines of the file (two identical transfers on one day
    are two payments, and the next statement that repeats them gives the same ranks).
    """
    keys, seen = [], {}
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


@dataclass(frozen=True)
class Match:
    member: Member | None
    reason: str


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


def find_match(label: str) -> Match:
    """Who a bank label names, and how it was recognised.

    By strength: an invoice number (YYYY-MM-NNNNNN) of a validated invoice, then a
    subscription reference (SUBSCRIPTION_REFERENCE, checked against the subscription
    it points at), then a word of the label equal to a username (case ignored). When
    one kind of reference names two different members, it is ambiguous and nothing
    matches: a person decides.
    """
    numbers = {"-".join(match.groups()) for match in INVOICE_NUMBER_RE.finditer(label)}
    if numbers:
        members = set(
            Invoice.objects.validated().filter(number__in=numbers).values_list("member_id", flat=True)
        )
        if len(members) == 1:
            return Match(Member.objects.get(pk=members.pop()), _("invoice number"))
        if len(members) > 1:
            return Match(None, _("invoice numbers of different members"))

    references = {}
    for match in _subscription_reference_re().finditer(label):
        references[int(match.group("pk"))] = match.group(0)
    if references:
        subscriptions = OfferSubscription.objects.filter(pk__in=references).select_related("offer", "member")
        members = {s.member for s in subscriptions if s.reference.lower() == references[s.pk].lower()}
        if len(members) == 1:
            return Match(members.pop(), _("subscription reference"))
        if len(members) > 1:
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
    report: dict

    def summary(self) -> str:
        r = self.report
        return _(
            "%(filename)s: %(credits)d credit(s), %(imported)d imported (%(matched)d matched to a member, "
            "%(unmatched)d to assign), %(duplicates)d already imported, %(ignored)d ignored line(s)."
        ) % {
            "filename": r["filename"],
            "credits": r["credits"],
            "imported": r["imported"],
            "matched": r["matched"],
            "unmatched": len(r["unmatched"]),
            "duplicates": len(r["duplicates"]),
            "ignored": len(r["ignored"]),
        }


def import_statement(
    data: bytes,
    filename: str,
    file_format: str | None = None,
    *,
    user: Member | None = None,
    dry_run: bool = False,
) -> ImportResult:
    """Import a statement file (see the module's guarantees). Raises BankImportError."""
    file_format = file_format or guess_format(filename, data)
    digest = hashlib.sha256(data).hexdigest()
    previous = BankImport.objects.filter(sha256=digest).first()
    if previous is not None:
        raise BankImportError(
            _("This file was already imported on %(date)s (%(filename)s): nothing was imported again.")
            % {"date": f"{previous.imported_at:%Y-%m-%d %H:%M}", "filename": previous.filename}
        )
    lines, ignored = parse(data, file_format)
    keys = import_keys(lines)
    existing = set(Payment.objects.filter(import_key__in=keys).values_list("import_key", flat=True))
    report = {
        "filename": filename,
        "format": file_format,
        "credits": len(lines),
        "imported": 0,
        "matched": 0,
        "total": "0.00",
        "unmatched": [],
        "duplicates": [],
        "ignored": ignored,
        "dry_run": dry_run,
    }
    total = Decimal("0")
    payments = []
    seen_keys = set()
    for line, key in zip(lines, keys, strict=True):
        described = {"line": line.position, "date": line.date.isoformat(), "amount": str(line.amount)}
        if key in existing or key in seen_keys:
            report["duplicates"].append({**described, "label": line.label})
            continue
        seen_keys.add(key)
        match = find_match(line.label)
        if match.member is None:
            report["unmatched"].append({**described, "label": line.label, "reason": match.reason})
        else:
            report["matched"] += 1
        total += line.amount
        payments.append(
            Payment(
                member=match.member,
                payment_mean=Payment.PaymentMean.TRANSFER,
                amount=line.amount,
                date=line.date,
                label=line.label[:500],
                import_key=key,
            )
        )
    report["imported"] = len(payments)
    report["total"] = str(total)
    if dry_run:
        return ImportResult(None, report)
    try:
        with transaction.atomic():
            bank_import = BankImport.objects.create(
                filename=filename[:255],
                file_format=file_format,
                sha256=digest,
                imported_by=user,
                report=report,
            )
            for payment in payments:
                payment.bank_import = bank_import
            Payment.objects.bulk_create(payments)
            settle(payment.member_id for payment in payments)
    except IntegrityError as error:
        # Another import of this file, or of lines of it, committed meanwhile.
        raise BankImportError(
            _("Another import brought the same file or lines meanwhile: nothing was imported (%(error)s).")
            % {"error": str(error).splitlines()[0]}
        ) from None
    return ImportResult(bank_import, report)
