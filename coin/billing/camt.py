"""Reading ISO 20022 bank-to-customer files as banks send them: CAMT.053 statements and
CAMT.054 debit/credit notifications, any version of their namespaces (001.02 to 001.13).

What banks actually put in these files varies: the payer's words may be in the
unstructured remittance (Ustrd), the structured one (a creditor reference, a referred
document number, additional remittance information), the transaction's or the
entry's additional information; the payer's name and account in the related parties,
under Dbtr/Nm (up to 001.07) or Dbtr/Pty/Nm (001.08 on). Every one of these texts is
kept, so that matching (bank_import.find_match) sees all of them.

One entry may carry several transactions (a batched credit, or the collections of a
direct-debit file booked as one total): each transaction with its own amount becomes
one ``CamtTransaction``, and their amounts must add up to the entry's, or the file is
refused. Only booked entries count; an entry in another currency than the ISP's is
never booked but reported; the reversal indicator is honoured (a credit that reverses
a debit is not a payment; a debit that reverses a credit may return a direct debit).

Parsing is streamed with defusedxml (no DOCTYPE, entities or external references):
each entry is read when it ends, then dropped from the tree.
"""

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

import defusedxml
import defusedxml.ElementTree
from django.conf import settings
from django.utils.translation import gettext as _

DEFAULT_CURRENCY = "EUR"
KINDS = {"camt.053": "camt053", "camt.054": "camt054"}
# The path from the root to the entries, per kind of file.
_ENTRY_PARENTS = {
    "camt053": ("BkToCstmrStmt", "Stmt"),
    "camt054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
_NAMESPACE_RE = re.compile(r"\{(urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.\d{2})\}Document$")


def isp_currency() -> str:
    """The currency the ISP bills in (setting BILLING_CURRENCY, EUR by default)."""
    return str(getattr(settings, "BILLING_CURRENCY", DEFAULT_CURRENCY))


class CamtError(ValueError):
    """The file cannot be read; the message names the entry and the field."""


@dataclass(frozen=True)
class CamtTransaction:
    """One booked transaction of the ISP's account, as the bank describes it.

    ``credit``: money came in; ``reversal``: the entry undoes an earlier one (a debit
    that takes a credit back, as a returned direct debit may be booked). ``texts``
    holds every text the bank gave, in the order of the file; ``references`` the
    structured creditor references (CdtrRefInf). ``bank_id`` identifies the
    transaction in any later file of the same bank (empty when the bank gives no id).
    ``return_reason`` is the ISO reason code of a returned or rejected direct debit
    (RtrInf/Rsn/Cd).
    """

    position: str
    date: datetime.date
    amount: Decimal
    currency: str
    credit: bool
    reversal: bool = False
    texts: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    bank_id: str = ""
    end_to_end_id: str = ""
    mandate_id: str = ""
    return_reason: str = ""
    payer_name: str = ""
    payer_iban: str = ""

    @property
    def label(self) -> str:
        """All the texts in one line, as stored in a payment's label."""
        return " ".join(" ".join(self.texts).split())


@dataclass
class CamtFile:
    kind: str
    transactions: list[CamtTransaction] = field(default_factory=list)
    ignored: list[dict] = field(default_factory=list)


def _text(element: ET.Element | None, path: str, ns: dict) -> str:
    if element is None:
        return ""
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None and found.text else ""


def _texts(element: ET.Element, path: str, ns: dict) -> list[str]:
    return [(found.text or "").strip() for found in element.findall(path, ns) if (found.text or "").strip()]


def _fail(position: str, name: str, value: str, why: str) -> CamtError:
    return CamtError(
        _("%(position)s, %(field)s %(value)r: %(why)s")
        % {"position": position[:1].upper() + position[1:], "field": name, "value": value, "why": why}
    )


def parse_amount(text: str) -> Decimal:
    """An ISO 20022 amount: digits, a dot, at most two decimals (for the euro)."""
    if not re.fullmatch(r"\d{1,18}(\.\d{1,2})?", text):
        raise ValueError(text)
    return Decimal(text).quantize(Decimal("0.01"))


def parse(
    source: BinaryIO, check_line: Callable[[str, Decimal, datetime.date, dict], None] | None = None
) -> CamtFile:
    """The transactions of a CAMT.053 or CAMT.054 file, and the entries left aside
    (debits that are not returns, entries not booked, other currencies, reversals of
    debits). ``check_line(position, amount, date, fields)`` may refuse a transaction
    (bank_import checks the payments' bounds with it). Raises CamtError, or
    defusedxml/ET errors for files that are not safe, well-formed XML."""
    path: list[str] = []
    ns: dict[str, str] = {}
    result: CamtFile | None = None
    root_error = None
    index = 0
    entry_path: list[str] = []
    for event, element in defusedxml.ElementTree.iterparse(source, events=("start", "end"), forbid_dtd=True):
        if event == "start":
            if not path:
                match = _NAMESPACE_RE.match(element.tag)
                if match:
                    ns["c"] = match.group(1)
                    result = CamtFile(KINDS[match.group(2)])
                    c = "{" + ns["c"] + "}"
                    entry_path = [f"{c}Document", *(c + name for name in _ENTRY_PARENTS[result.kind])]
                else:
                    root_error = _(
                        "Not a CAMT.053 statement or CAMT.054 notification: the root element is %(tag)s."
                    ) % {"tag": element.tag}
            path.append(element.tag)
            continue
        path.pop()
        if result is not None and element.tag == "{" + ns["c"] + "}Ntry" and path == entry_path:
            index += 1
            _read_entry(element, index, ns, result, check_line)
            element.clear()
    if root_error is not None or result is None:
        raise CamtError(root_error or _("Empty file."))
    return result


def _status(entry: ET.Element, ns: dict) -> str:
    """BOOK, PDNG, INFO…: a plain Sts up to 001.08, Sts/Cd from 001.09 on."""
    return _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts/c:Prtry", ns) or _text(entry, "c:Sts", ns)


def _read_entry(
    entry: ET.Element,
    index: int,
    ns: dict,
    result: CamtFile,
    check_line: Callable[[str, Decimal, datetime.date, dict], None] | None,
) -> None:
    entry_ref = _text(entry, "c:NtryRef", ns)
    entry_id = _text(entry, "c:AcctSvcrRef", ns) or entry_ref
    position = _("entry %(n)d") % {"n": index} + (
        f" ({entry_ref or entry_id})" if entry_ref or entry_id else ""
    )
    indicator = _text(entry, "c:CdtDbtInd", ns)
    if indicator not in ("CRDT", "DBIT"):
        raise _fail(position, "CdtDbtInd", indicator, _("expected CRDT or DBIT."))
    reversal = _text(entry, "c:RvslInd", ns).lower() in ("true", "1")
    # The indicator gives the direction of the money; RvslInd says the entry undoes an
    # earlier one of the other direction (a credit taken back is a debit, reversed).
    credit = indicator == "CRDT"
    status = _status(entry, ns)
    if status and status != "BOOK":
        result.ignored.append({"line": index, "reason": _("not booked (%(status)s)") % {"status": status}})
        return
    amount_element = entry.find("c:Amt", ns)
    raw_amount = _text(entry, "c:Amt", ns)
    try:
        amount = parse_amount(raw_amount)
    except ValueError:
        raise _fail(position, "Amt", raw_amount, _("not an amount.")) from None
    if amount <= 0:
        raise _fail(position, "Amt", raw_amount, _("an amount must be positive."))
    currency = amount_element.get("Ccy", "") if amount_element is not None else ""
    raw_date = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)[:10]
    try:
        day = datetime.date.fromisoformat(raw_date)
    except ValueError:
        raise _fail(position, "BookgDt", raw_date, _("not a date (YYYY-MM-DD).")) from None
    if currency and currency != isp_currency():
        result.ignored.append(
            {
                "line": index,
                "reason": _(
                    "in %(currency)s, not in %(isp)s: not booked (%(amount)s %(currency)s on %(date)s); "
                    "record it by hand at the amount your bank credited in %(isp)s"
                )
                % {"currency": currency, "isp": isp_currency(), "amount": raw_amount, "date": raw_date},
            }
        )
        return
    details = entry.findall("c:NtryDtls/c:TxDtls", ns)
    returned = any(detail.find("c:RtrInf", ns) is not None for detail in details)
    if not credit and not (reversal or returned):
        result.ignored.append({"line": index, "reason": _("debit")})
        return
    if credit and reversal:
        result.ignored.append({"line": index, "reason": _("reversal of a debit (not a payment)")})
        return
    if check_line is not None:
        check_line(position, amount, day, {"amount": ("Amt", raw_amount), "date": ("BookgDt", raw_date)})
    entry_texts = _texts(entry, "c:AddtlNtryInf", ns)
    found = [_detail_amount(detail, ns, position) for detail in details]
    amounts = [value for value in found if value is not None]
    if len(details) > 1 and len(amounts) == len(details):
        total = sum(amounts, Decimal("0"))
        if total != amount:
            raise _fail(
                position,
                "TxDtls",
                str(total),
                _("the transactions add up to %(total)s, the entry is %(amount)s.")
                % {"total": total, "amount": amount},
            )
        for rank, (detail, value) in enumerate(zip(details, amounts, strict=True), start=1):
            tx_id = _text(detail, "c:Refs/c:AcctSvcrRef", ns)
            bank_id = tx_id or (f"{entry_id}#{rank}" if entry_id else "")
            result.transactions.append(
                _transaction(
                    f"{position} #{rank}",
                    day,
                    value,
                    currency,
                    credit,
                    reversal,
                    [detail],
                    entry_texts,
                    bank_id,
                    ns,
                )
            )
        return
    # One transaction, or several the bank gives no amount for: the entry is one payment.
    result.transactions.append(
        _transaction(position, day, amount, currency, credit, reversal, details, entry_texts, entry_id, ns)
    )


def _detail_amount(detail: ET.Element, ns: dict, position: str) -> Decimal | None:
    """The transaction's amount in the account's currency: TxDtls/Amt (001.03 on) or
    AmtDtls/TxAmt/Amt; None when the bank gives none."""
    raw = _text(detail, "c:Amt", ns) or _text(detail, "c:AmtDtls/c:TxAmt/c:Amt", ns)
    if not raw:
        return None
    try:
        return parse_amount(raw)
    except ValueError:
        raise _fail(position, "TxDtls/Amt", raw, _("not an amount.")) from None


def _transaction(
    position: str,
    day: datetime.date,
    amount: Decimal,
    currency: str,
    credit: bool,
    reversal: bool,
    details: list[ET.Element],
    entry_texts: list[str],
    bank_id: str,
    ns: dict,
) -> CamtTransaction:
    texts: list[str] = []
    references: list[str] = []
    names: list[str] = []
    ibans: list[str] = []
    end_to_end = mandate = reason = ""
    for detail in details:
        references += _texts(detail, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)
        texts += _texts(detail, "c:RmtInf/c:Ustrd", ns)
        texts += references
        texts += _texts(detail, "c:RmtInf/c:Strd/c:RfrdDocInf/c:Nb", ns)
        texts += _texts(detail, "c:RmtInf/c:Strd/c:AddtlRmtInf", ns)
        texts += _texts(detail, "c:AddtlTxInf", ns)
        # The other party: the debtor of a credit, the creditor of a debit; 001.08 on
        # wraps the party in Pty.
        party = "Dbtr" if credit else "Cdtr"
        for path in (
            f"c:RltdPties/c:{party}/c:Nm",
            f"c:RltdPties/c:{party}/c:Pty/c:Nm",
            f"c:RltdPties/c:Ultmt{party}/c:Nm",
            f"c:RltdPties/c:Ultmt{party}/c:Pty/c:Nm",
        ):
            names += _texts(detail, path, ns)
        ibans += _texts(detail, f"c:RltdPties/c:{party}Acct/c:Id/c:IBAN", ns)
        end_to_end = end_to_end or _text(detail, "c:Refs/c:EndToEndId", ns)
        mandate = mandate or _text(detail, "c:Refs/c:MndtId", ns)
        reason = (
            reason or _text(detail, "c:RtrInf/c:Rsn/c:Cd", ns) or _text(detail, "c:RtrInf/c:Rsn/c:Prtry", ns)
        )
    if end_to_end == "NOTPROVIDED":
        end_to_end = ""
    return CamtTransaction(
        position=position,
        date=day,
        amount=amount,
        currency=currency,
        credit=credit,
        reversal=reversal,
        texts=tuple(dict.fromkeys([*texts, *names, *ibans, *entry_texts])),
        references=tuple(dict.fromkeys(references)),
        bank_id=bank_id,
        end_to_end_id=end_to_end,
        mandate_id=mandate,
        return_reason=reason,
        payer_name=names[0] if names else "",
        payer_iban=ibans[0] if ibans else "",
    )
