"""SEPA Direct Debit (Core scheme): mandates, collection runs, and what the bank says back.

The month of a treasurer:

1. Members sign a mandate: on paper (an admin enters it, ``save_mandate``,
   ``create_mandate``) or online (``sign_mandate_online``, which records the member's
   consent, its time and address).
2. Invoices are issued; their email pre-notifies the amount, the date and the mandate
   (``mandates.prenotification``).
3. ``prepare_direct_debits`` (command, or the admin action) builds one pain.008 file
   per collection date with every open invoice due by then of a member whose mandate is
   in force. Run twice, it adds nothing: an invoice has at most one live collection.
   The treasurer uploads the file to the bank.
4. The bank's statement (CAMT.053/054) is imported as usual: a credit whose end-to-end
   id is a collection's pays that invoice (``collection_paid``); a debit that returns
   one (an R-transaction with its ISO reason code) reopens the invoice, records the
   reason and tells the member and the admins (``record_return``). A collection the
   bank rejected before booking anything (its reject report) is marked by hand in the
   admin (``return_collection``).

The pain.008 file is written by sepaxml (a maintained library that ships the official
XSDs, against which it validates what it writes).
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from sepaxml import SepaDD
from sepaxml.validation import ValidationError as SepaValidationError

from coin.billing.emails import billing_page_url
from coin.billing.ledger import lock_members, with_amounts
from coin.billing.models import DirectDebitBatch, DirectDebitCollection, Invoice, Mandate, Payment
from coin.billing.payments import delete_payment
from coin.emails import notify_admins_on_commit, send_email_on_commit
from coin.isp_database.banking import format_iban
from coin.isp_database.models import ISPInfo
from coin.members.models import Member

DEFAULT_SCHEMA = "pain.008.001.08"
DEFAULT_LEAD_DAYS = 5
CHUNK = 500  # ids per lookup, far below SQLite's limit on SQL variables

# ISO 20022 external reason codes a bank gives for a returned or rejected direct debit.
RETURN_REASONS = {
    "AC01": gettext_lazy("the account number is wrong"),
    "AC04": gettext_lazy("the account is closed"),
    "AC06": gettext_lazy("the account is blocked"),
    "AC13": gettext_lazy("the debtor account is a consumer account"),
    "AG01": gettext_lazy("direct debits are forbidden on this account"),
    "AG02": gettext_lazy("invalid bank operation code"),
    "AM04": gettext_lazy("insufficient funds"),
    "AM05": gettext_lazy("duplicate collection"),
    "BE05": gettext_lazy("the creditor is not recognised"),
    "CNOR": gettext_lazy("the creditor's bank is not registered"),
    "DNOR": gettext_lazy("the debtor's bank is not registered"),
    "FF01": gettext_lazy("invalid file format"),
    "MD01": gettext_lazy("no mandate"),
    "MD02": gettext_lazy("mandate data missing or wrong"),
    "MD06": gettext_lazy("refund requested by the account holder"),
    "MD07": gettext_lazy("the account holder is deceased"),
    "MS02": gettext_lazy("refused by the account holder"),
    "MS03": gettext_lazy("reason not specified"),
    "RC01": gettext_lazy("the bank identifier (BIC) is wrong"),
    "RR01": gettext_lazy("regulatory reason: missing debtor account or identification"),
    "RR02": gettext_lazy("regulatory reason: missing debtor name or address"),
    "RR03": gettext_lazy("regulatory reason: missing creditor name or address"),
    "RR04": gettext_lazy("regulatory reason"),
    "SL01": gettext_lazy("specific service offered by the debtor's bank"),
}


class DirectDebitError(ValidationError):
    """A collection run cannot be made; the message says what to set."""


# Returns after which the mandate can never be used again (the account is wrong or closed,
# the debtor denies any mandate, or died): the mandate is revoked, so that no run
# collects from it again, and the member is asked for another means of payment.
MANDATE_ENDING_REASONS = frozenset({"AC01", "AC04", "MD01", "MD07"})


def reason_text(code: str) -> str:
    """``AM04`` → "AM04: insufficient funds" (the code alone when unknown)."""
    text = RETURN_REASONS.get(code)
    return f"{code}: {text}" if text else code or _("no reason given")


# --- Mandates -----------------------------------------------------------------------------------


def new_mandate_reference(member: Member) -> str:
    """A unique mandate reference: DIRECT_DEBIT_MANDATE_PREFIX, the member's id and
    the rank of their mandate (COIN-M42-1, COIN-M42-2 after a new account)."""
    prefix = getattr(settings, "DIRECT_DEBIT_MANDATE_PREFIX", "COIN")
    rank = Mandate.objects.filter(member=member).count() + 1
    reference = f"{prefix}-M{member.pk}-{rank}"
    while Mandate.objects.filter(reference=reference).exists():
        rank += 1
        reference = f"{prefix}-M{member.pk}-{rank}"
    return reference


def save_mandate(mandate: Mandate) -> Mandate:
    """Record a new signed mandate: its reference made when blank, its IBAN and BIC
    checked (ValidationError naming the field; nothing saved then), and the member's
    previous mandate in force revoked on the day the new one is signed (a new account
    replaces the old one)."""
    with transaction.atomic():
        lock_members([mandate.member_id])
        if not mandate.reference:
            mandate.reference = new_mandate_reference(mandate.member)
        mandate.full_clean(exclude=["member"], validate_constraints=False)
        Mandate.objects.filter(member_id=mandate.member_id, revoked_on__isnull=True).exclude(
            pk=mandate.pk
        ).update(revoked_on=mandate.signed_on)
        mandate.save()
    return mandate


def create_mandate(
    member: Member,
    *,
    iban: str,
    account_holder: str,
    signed_on: datetime.date,
    bic: str = "",
    signature: str = Mandate.Signature.PAPER,
    consent_at: datetime.datetime | None = None,
    consent_ip: str | None = None,
    reference: str = "",
) -> Mandate:
    """A mandate signed on paper (or online, with its consent): see save_mandate."""
    return save_mandate(
        Mandate(
            member=member,
            reference=reference,
            iban=iban,
            bic=bic,
            account_holder=account_holder,
            signed_on=signed_on,
            signature=signature,
            consent_at=consent_at,
            consent_ip=consent_ip,
        )
    )


def sign_mandate_online(
    member: Member, *, iban: str, account_holder: str, consent: bool, ip_address: str, bic: str = ""
) -> Mandate:
    """The member signs a mandate on the portal: only with their explicit consent
    (the box ticked), whose date, time and IP address are recorded."""
    if not consent:
        raise ValidationError({"consent": _("Tick the box to authorise the direct debits.")})
    now = timezone.now()
    return create_mandate(
        member,
        iban=iban,
        bic=bic,
        account_holder=account_holder,
        signed_on=timezone.localdate(now),
        signature=Mandate.Signature.ONLINE,
        consent_at=now,
        consent_ip=ip_address,
    )


def revoke_mandate(mandate: Mandate, on: datetime.date | None = None) -> Mandate:
    """No collection is made under a revoked mandate; those already sent stay."""
    if mandate.revoked_on is None:
        mandate.revoked_on = on or timezone.localdate()
        mandate.save(update_fields=["revoked_on"])
    return mandate


def sequence_for(mandate: Mandate) -> str:
    """FRST for the first collection of a mandate, RCUR once one was sent and not returned."""
    used = mandate.collections.exclude(status=DirectDebitCollection.Status.RETURNED).exists()
    return DirectDebitCollection.Sequence.RECURRENT if used else DirectDebitCollection.Sequence.FIRST


# --- Collection runs ----------------------------------------------------------------------------


def default_collection_date(today: datetime.date | None = None) -> datetime.date:
    """Today plus DIRECT_DEBIT_LEAD_DAYS (5 by default): what banks ask as notice."""
    today = today or timezone.localdate()
    return today + datetime.timedelta(
        days=int(getattr(settings, "DIRECT_DEBIT_LEAD_DAYS", DEFAULT_LEAD_DAYS))
    )


@dataclass(frozen=True)
class Due:
    invoice: Invoice
    mandate: Mandate
    amount: Decimal


def due_collections(collection_date: datetime.date) -> list[Due]:
    """Open validated invoices due by ``collection_date`` with something left to pay,
    of members with a mandate in force signed by then, that no live collection covers."""
    mandates = {
        mandate.member_id: mandate
        for mandate in Mandate.objects.filter(revoked_on__isnull=True, signed_on__lte=collection_date)
    }
    live = DirectDebitCollection.objects.exclude(status=DirectDebitCollection.Status.RETURNED)
    invoices = (
        with_amounts(
            Invoice.objects.validated()
            .filter(status=Invoice.Status.OPEN, member_id__in=mandates)
            .filter(Q(date_due__lte=collection_date) | Q(date_due__isnull=True, date__lte=collection_date))
            .exclude(pk__in=live.values("invoice_id"))
        )
        .filter(remaining__gt=0)
        .select_related("member")
        .order_by("member_id", "date", "number")
    )
    return [Due(invoice, mandates[invoice.member_id], invoice.remaining) for invoice in invoices]


@dataclass
class RunResult:
    collection_date: datetime.date
    dues: list[Due] = field(default_factory=list)
    batch: DirectDebitBatch | None = None
    dry_run: bool = False

    @property
    def total(self) -> Decimal:
        return sum((due.amount for due in self.dues), Decimal("0.00"))

    def summary(self) -> str:
        if not self.dues:
            return _("Nothing to collect on %(date)s.") % {"date": self.collection_date.isoformat()}
        values = {
            "count": len(self.dues),
            "total": self.total,
            "date": self.collection_date.isoformat(),
            "file": self.batch.message_id if self.batch else "",
        }
        if self.dry_run:
            return _("Dry run: %(count)d invoice(s), %(total)s €, would be collected on %(date)s.") % values
        return _("%(count)d invoice(s), %(total)s €, to collect on %(date)s: file %(file)s.") % values


def _creditor() -> dict:
    """sepaxml's configuration of the ISP as creditor; DirectDebitError naming what is
    missing from the ISP identity."""
    isp = ISPInfo.objects.select_related("bank_info").first()
    bank = getattr(isp, "bank_info", None) if isp is not None else None
    if isp is None or bank is None or not bank.iban:
        raise DirectDebitError(_("Enter the ISP's bank details (IBAN) in the ISP identity first."))
    if not bank.creditor_identifier:
        raise DirectDebitError(
            _("Enter the ISP's SEPA creditor identifier (ICS) in its bank details first: your bank gives it.")
        )
    config = {
        "name": isp.name,
        "IBAN": bank.iban,
        "batch": False,  # one booking per collection: each is found again on the statement
        "creditor_id": bank.creditor_identifier,
        "currency": "EUR",
        "instrument": "CORE",
    }
    if bank.bic:
        config["BIC"] = bank.bic
    return config


def _end_to_end_id(invoice: Invoice) -> str:
    """DD-<invoice number>-<attempt>: unique, at most 35 characters, and what the
    statement gives back with the collection and its return."""
    attempt = DirectDebitCollection.objects.filter(invoice=invoice).count() + 1
    return f"DD-{invoice.number}-{attempt}"[:35]


def build_pain008(
    collection_date: datetime.date, message_id: str, items: list[tuple[Due, str, str]], schema: str = ""
) -> bytes:
    """The pain.008 file of (due, sequence, end-to-end id) items; sepaxml validates it
    against the schema's official XSD. DirectDebitError when the ISP's details do not
    fit the schema or the file does not validate (nothing is recorded then)."""
    schema = schema or getattr(settings, "DIRECT_DEBIT_SCHEMA", DEFAULT_SCHEMA)
    creditor = _creditor()
    if schema == "pain.008.001.02" and "BIC" not in creditor:
        raise DirectDebitError(_("pain.008.001.02 files need the ISP's BIC: enter it in its bank details."))
    sepa = SepaDD(creditor, schema=schema, clean=True)
    sepa.msg_id = message_id
    for due, sequence, end_to_end in items:
        payment = {
            "name": due.mandate.account_holder,
            "IBAN": due.mandate.iban,
            "amount": int(due.amount * 100),
            "type": sequence,
            "collection_date": collection_date,
            "mandate_id": due.mandate.reference,
            "mandate_date": due.mandate.signed_on,
            "description": _("Invoice %(number)s") % {"number": due.invoice.number},
            "endtoend_id": end_to_end,
        }
        if due.mandate.bic:
            payment["BIC"] = due.mandate.bic
        sepa.add_payment(payment)
    try:
        return bytes(sepa.export(validate=True))
    except SepaValidationError as error:
        raise DirectDebitError(
            _("The pain.008 file does not validate against its schema (%(error)s): no file was made.")
            % {"error": error.__cause__ or error}
        ) from None


def prepare_direct_debits(
    collection_date: datetime.date,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Build the pain.008 file of ``collection_date`` (see the module). Idempotent: the
    invoices already in a live collection are left out, so a second run makes no file."""
    result = RunResult(collection_date, dry_run=dry_run)
    with transaction.atomic():
        dues = due_collections(collection_date)
        result.dues = dues
        if not dues or dry_run:
            if dues:
                _creditor()  # a dry run says what is missing too
            return result
        lock_members(due.invoice.member_id for due in dues)
        dues = due_collections(collection_date)  # again, under the locks
        result.dues = dues
        if not dues:
            return result
        rank = DirectDebitBatch.objects.filter(collection_date=collection_date).count() + 1
        message_id = f"COIN-DD-{collection_date:%Y%m%d}-{rank}"
        sequences: dict[int, str] = {}
        items = []
        for index, due in enumerate(dues, start=1):
            sequence = sequences.get(due.mandate.pk) or sequence_for(due.mandate)
            # Later collections of the same mandate in the same file follow a first one.
            sequences[due.mandate.pk] = DirectDebitCollection.Sequence.RECURRENT
            items.append((due, sequence, _end_to_end_id(due.invoice)))
            if progress is not None:
                progress(
                    _("%(index)d/%(count)d: %(number)s, %(amount)s €, %(member)s (%(sequence)s)")
                    % {
                        "index": index,
                        "count": len(dues),
                        "number": due.invoice.number,
                        "amount": due.amount,
                        "member": due.invoice.member.username,
                        "sequence": sequence,
                    }
                )
        xml = build_pain008(collection_date, message_id, items)
        batch = DirectDebitBatch.objects.create(
            message_id=message_id, collection_date=collection_date, xml=xml.decode(), total=result.total
        )
        DirectDebitCollection.objects.bulk_create(
            DirectDebitCollection(
                batch=batch,
                mandate=due.mandate,
                invoice=due.invoice,
                amount=due.amount,
                sequence=sequence,
                end_to_end_id=end_to_end,
            )
            for due, sequence, end_to_end in items
        )
        result.batch = batch
    return result


# --- What the statement says -------------------------------------------------------------------


def collections_for_credits(end_to_end_ids: Iterable[str]) -> dict[str, DirectDebitCollection]:
    """The collections sent to the bank that statement credits pay, by end-to-end id
    (looked up CHUNK ids at a time: a statement may have many)."""
    ids = sorted({value for value in end_to_end_ids if value})
    found: dict[str, DirectDebitCollection] = {}
    for start in range(0, len(ids), CHUNK):
        rows = DirectDebitCollection.objects.filter(
            end_to_end_id__in=ids[start : start + CHUNK], status=DirectDebitCollection.Status.SENT
        ).select_related("invoice__member")
        found.update({row.end_to_end_id: row for row in rows})
    return found


def collection_by_mandate(
    mandate_reference: str, amount: Decimal, exclude: Iterable[int] = ()
) -> DirectDebitCollection | None:
    """The oldest collection sent under a mandate for this amount: how a credit is
    recognised when the bank drops the end-to-end id but keeps the mandate (MndtId)."""
    return (
        DirectDebitCollection.objects.filter(
            mandate__reference=mandate_reference, amount=amount, status=DirectDebitCollection.Status.SENT
        )
        .exclude(pk__in=list(exclude))
        .select_related("invoice__member")
        .order_by("batch__collection_date", "pk")
        .first()
    )


def collection_paid(collection: DirectDebitCollection, payment: Payment, key: str) -> None:
    """The statement shows the collection credited: ``payment`` (its member's, paid by
    direct debit) pays it; ``key`` (the line's import key) is kept for after a return."""
    DirectDebitCollection.objects.filter(pk=collection.pk).update(
        status=DirectDebitCollection.Status.PAID, payment=payment, credit_key=key
    )


def existing_credit_keys(keys: Iterable[str]) -> set[str]:
    """Import keys of credits that paid a collection since returned (their payment is
    gone): a later statement that repeats them must not book them again."""
    wanted = list(keys)
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        rows = DirectDebitCollection.objects.filter(credit_key__in=wanted[start : start + CHUNK]).order_by()
        found |= {key for key in rows.values_list("credit_key", flat=True) if key}
    return found


@dataclass(frozen=True)
class ReturnOutcome:
    collection: DirectDebitCollection | None
    reason: str


def record_return(
    *, end_to_end_id: str, mandate_id: str, amount: Decimal, day: datetime.date, reason: str, key: str
) -> ReturnOutcome:
    """A returned or rejected collection (R-transaction): the collection is marked
    returned with its reason code; if its credit had paid the invoice, that payment is
    removed, so the invoice is open again; the member and the admins are told (after
    commit). A return already recorded (same ``key``) changes nothing."""
    if DirectDebitCollection.objects.filter(return_key=key).exists():
        return ReturnOutcome(None, _("already recorded"))
    live = DirectDebitCollection.objects.exclude(status=DirectDebitCollection.Status.RETURNED)
    collection = live.filter(end_to_end_id=end_to_end_id).first() if end_to_end_id else None
    if collection is None and mandate_id:
        collection = live.filter(mandate__reference=mandate_id, amount=amount).order_by("-pk").first()
    if collection is None:
        return ReturnOutcome(None, _("no collection has this end-to-end id or mandate and amount"))
    return_collection(collection, reason=reason, day=day, key=key)
    return ReturnOutcome(collection, reason_text(reason))


def return_collection(
    collection: DirectDebitCollection, *, reason: str, day: datetime.date, key: str | None = None
) -> DirectDebitCollection:
    """Mark a collection returned (or rejected) with its ISO reason code: if its credit
    had paid the invoice, that payment is removed, so the invoice is open again and the
    next run collects it again; the member and the admins are told (after commit).
    ``key``: the import key of the statement's debit (None for a reject entered by hand,
    from the bank's reject report)."""
    with transaction.atomic():
        collection = DirectDebitCollection.objects.select_for_update().get(pk=collection.pk)
        if collection.status == DirectDebitCollection.Status.RETURNED:
            return collection
        payment = collection.payment
        collection.status = DirectDebitCollection.Status.RETURNED
        collection.return_reason = reason[:4]
        collection.returned_on = day
        collection.return_key = key
        collection.payment = None
        collection.save(update_fields=["status", "return_reason", "returned_on", "return_key", "payment"])
        if payment is not None:
            delete_payment(payment)
        mandate_revoked = collection.return_reason in MANDATE_ENDING_REASONS
        if mandate_revoked:
            revoke_mandate(collection.mandate, day)
        invoice = Invoice.objects.select_related("member").get(pk=collection.invoice_id)
        context = {
            "mandate_revoked": mandate_revoked,
            "billing_url": billing_page_url(),
            "member": invoice.member,
            "invoice": invoice,
            "collection": collection,
            "reason": reason_text(reason),
        }
        send_email_on_commit(
            "billing/direct_debit_returned",
            context,
            [invoice.member.email],
            language=invoice.member.preferred_language,
        )
        notify_admins_on_commit("billing/direct_debit_returned_admin", context)
    return collection


def iban_printed(mandate: Mandate) -> str:
    """The mandate's IBAN for the admin and the member's page (all of it: it is theirs)."""
    return format_iban(mandate.iban)
