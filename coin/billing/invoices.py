"""Issuing bills: validating invoices, correcting them with credit notes.

A draft invoice can be edited freely. Validation gives it its number (numbering.py),
fixes its total and due date, and makes it immutable; it then pays itself from the
member's credit if there is some, and the documents part renders and sends it.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Field, Sum, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from coin.billing import documents, ledger
from coin.billing.bounds import (
    check_fields,
    check_invoice_total,
    check_line_total,
    check_period,
    validate_not_in_future,
)
from coin.billing.models import CreditNote, Invoice, InvoiceDetail, PaymentAllocation
from coin.billing.money import line_total, round_money
from coin.billing.numbering import CREDIT_NOTE_SERIES, INVOICE_SERIES, next_number, next_numbers
from coin.billing.payments import settle
from coin.members.models import Member


def due_date(invoice_date: datetime.date) -> datetime.date:
    """The invoice date plus PAYMENT_DELAY days."""
    return invoice_date + datetime.timedelta(days=int(settings.PAYMENT_DELAY))


@dataclass(frozen=True)
class Line:
    """What an invoice line says, before it is stored."""

    label: str
    amount: Decimal
    quantity: Decimal = Decimal("1")
    tax: Decimal = Decimal("0")
    period_from: datetime.date | None = None
    period_to: datetime.date | None = None
    offersubscription_id: int | None = None
    is_initial_fee: bool = False

    @property
    def total(self) -> Decimal:
        return line_total(self.amount, self.quantity, self.tax)

    def detail(self, invoice: Invoice) -> InvoiceDetail:
        return InvoiceDetail(
            invoice=invoice,
            label=self.label[:255],
            amount=self.amount,
            quantity=self.quantity,
            tax=self.tax,
            period_from=self.period_from,
            period_to=self.period_to,
            offersubscription_id=self.offersubscription_id,
            is_initial_fee=self.is_initial_fee,
            total=self.total,
        )


def _check_date(invoice_date: datetime.date) -> None:
    # A bill dated in the future would hold back every bill dated before it
    # (numbers follow dates): refuse it rather than block the year's numbering. A date
    # before the last numbered invoice is refused by the numbering, under its lock.
    try:
        validate_not_in_future(invoice_date)
    except ValidationError as error:
        raise ValidationError({"date": error.messages}) from None


def check_lines(lines: list[Line]) -> None:
    """The bounds of an invoice's lines, as full_clean() checks an InvoiceDetail and an
    Invoice (the bulk inserts skip it): each amount, quantity and tax fits its column,
    each period is in order, each line's total and the invoice's total fit theirs.
    The error names the line (from 1) and the field."""
    errors = []
    for index, line in enumerate(lines, start=1):
        try:
            check_fields(InvoiceDetail, {"amount": line.amount, "quantity": line.quantity, "tax": line.tax})
            check_period(line.period_from, line.period_to)
            check_line_total(line.total)
        except ValidationError as error:
            errors += [
                _("Line %(n)d, %(field)s: %(message)s") % {"n": index, "field": field, "message": message}
                for field, messages in error.message_dict.items()
                for message in messages
            ]
    if errors:
        raise ValidationError({"lines": errors})
    check_invoice_total(lines_total(lines))


def lines_total(lines: list[Line]) -> Decimal:
    """What an invoice of these lines asks: the sum of the lines, each rounded."""
    return sum((line.total for line in lines), Decimal("0"))


def issue_invoice(member: Member, lines: list[Line], invoice_date: datetime.date | None = None) -> Invoice:
    """Create an invoice with its lines and validate it, all in one transaction.

    The lines go in first and the number is taken last: a failure on a line (such as a
    period billed meanwhile by another run) rolls everything back without a gap.
    """
    invoice_date = invoice_date or timezone.localdate()
    with transaction.atomic():
        [invoice] = insert_drafts([(member, lines)], invoice_date)
        number_drafts([(invoice, lines_total(lines))])
    return invoice


def insert_drafts(
    bills: list[tuple[Member, list[Line]]], invoice_date: datetime.date, *, lines_checked: bool = False
) -> list[Invoice]:
    """Store one draft invoice with its lines per (member, lines), in two INSERTs
    whatever the number of bills; number_drafts() validates them.

    The first half of issuing: call it inside the transaction that numbers the drafts,
    so that a line refused by a constraint (a period billed meanwhile) rolls its draft
    back before any number is taken. Returns the drafts in the order of ``bills``.
    The lines' bounds are checked (check_lines) unless the caller did (``lines_checked``:
    a charge run checks them when it plans, subscription by subscription).
    """
    if any(not lines for _member, lines in bills):
        raise ValidationError(_("An invoice needs at least one line."))
    if not lines_checked:
        for _member, lines in bills:
            check_lines(lines)
    if any(lines_total(lines) < 0 for _member, lines in bills):
        raise ValidationError(_("An invoice cannot be negative: issue a credit note instead."))
    _check_date(invoice_date)
    invoices = [Invoice(member=member, date=invoice_date) for member, _lines in bills]
    if connection.features.can_return_rows_from_bulk_insert:
        Invoice.objects.bulk_create(invoices)
    else:  # SQLite before 3.35 cannot give the new ids back from a bulk INSERT
        for invoice in invoices:
            invoice.save(force_insert=True)
    details = [
        line.detail(invoice)
        for invoice, (_member, lines) in zip(invoices, bills, strict=True)
        for line in lines
    ]
    InvoiceDetail.objects.bulk_create(details)
    return invoices


def validate_invoice(invoice: Invoice) -> Invoice:
    """Validate a draft: number it, fix its total and due date, make it immutable."""
    with transaction.atomic():
        # Locks in the same order everywhere: member, invoice, number sequence.
        ledger.lock_member(invoice.member_id)
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.is_validated:
            raise ValidationError(_("Invoice %(number)s is already validated.") % {"number": locked.number})
        _check_date(locked.date)
        details = list(locked.details.all())
        if not details:
            raise ValidationError(_("An invoice needs at least one line."))
        total = sum((line_total(d.amount, d.quantity, d.tax) for d in details), Decimal("0"))
        if total < 0:
            raise ValidationError(_("An invoice cannot be negative: issue a credit note instead."))
        check_invoice_total(total)
        number_drafts([(locked, total)])
    for field in ("number", "total", "date_due", "validated_at", "status"):
        setattr(invoice, field, getattr(locked, field))
    return invoice


def number_drafts(drafts: list[tuple[Invoice, Decimal]]) -> None:
    """Validate drafts created or locked in the current transaction, all of one date,
    each with its total: number them in the order given, fix their total and due date,
    pay them from their members' credit, and hand them to the documents part at once (PDFs,
    emails: two background tasks for the lot).

    The second half of issuing, and the same for one draft or a charge run's batch: a
    fixed number of statements whatever the number of drafts (locks, numbers, one UPDATE,
    one look for credit), plus allocate() for the few members who have money waiting.
    Locks in the same order everywhere: members, then the number sequence.
    """
    if not drafts:
        return
    invoice_date = drafts[0][0].date
    if any(invoice.date != invoice_date for invoice, _total in drafts):
        raise ValueError("number_drafts() numbers drafts of one date at a time.")
    member_ids = [invoice.member_id for invoice, _total in drafts]
    ledger.lock_members(member_ids)
    numbers = next_numbers(INVOICE_SERIES, invoice_date, len(drafts))
    validated_at = timezone.now()
    for (invoice, total), number in zip(drafts, numbers, strict=True):
        invoice.number = number
        invoice.total = total
        invoice.date_due = invoice.date_due or due_date(invoice.date)
        invoice.validated_at = validated_at
        invoice.status = Invoice.Status.CLOSED if total == 0 else Invoice.Status.OPEN
    invoices = [invoice for invoice, _total in drafts]
    updated = Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).update_drafts(
        **{name: _per_invoice(invoices, name) for name in ("number", "total", "date_due", "status")},
        validated_at=validated_at,
    )
    if updated != len(invoices):
        raise ValidationError(_("This invoice was validated meanwhile."))
    # Members locked above: a payment recorded meanwhile waits, then allocates itself.
    for member_id in sorted(ledger.members_with_credit(member_ids)):
        ledger.allocate(member_id)
    documents.on_invoices_validated(invoices)


def _per_invoice(invoices: list[Invoice], name: str) -> Value | RawSQL:
    """The value of field ``name`` for each invoice, for one UPDATE of them all: a plain
    value when they share it (a charge run's due date and status), else
    ``CASE id WHEN … THEN … END``. Written out rather than Case(When(pk=…)), which costs
    a filter resolution per invoice, a tenth of a millisecond: a good part of a charge
    run's time per member. The values go as parameters, prepared by the field."""
    field = Invoice._meta.get_field(name)
    assert isinstance(field, Field)  # a column of the invoice, not a relation to it
    first = getattr(invoices[0], name)
    if all(getattr(invoice, name) == first for invoice in invoices):
        return Value(first, output_field=field)
    params = []
    for invoice in invoices:
        params += [invoice.pk, field.get_db_prep_value(getattr(invoice, name), connection)]
    pk_column = Invoice._meta.pk.column
    assert pk_column is not None  # a concrete primary key
    pk = connection.ops.quote_name(pk_column)
    return RawSQL(f"CASE {pk}{' WHEN %s THEN %s' * len(invoices)} END", params, output_field=field)


def creditable_amount(invoice: Invoice) -> Decimal:
    """What credit notes may still cancel of an invoice."""
    credited = invoice.credit_notes.filter(validated_at__isnull=False).aggregate(s=Sum("amount"))["s"]
    return invoice.total - round_money(credited or Decimal("0"))


def check_credit_note(invoice: Invoice, amount: Decimal, note_date: datetime.date) -> Decimal:
    """The rule of a credit note, with its messages (the admin form shows them before
    issuing, ``issue_credit_note`` checks again under the member's lock): only a
    validated invoice, for a positive amount no larger than what is not credited yet,
    dated no earlier than the invoice. Returns what may still be credited; raises a
    ValidationError naming the field (invoice, amount, date)."""
    if not invoice.is_validated:
        raise ValidationError(
            {"invoice": _("A draft invoice is corrected by editing it, not by a credit note.")}
        )
    if amount <= 0:
        raise ValidationError({"amount": _("A credit note is for a positive amount.")})
    available = creditable_amount(invoice)
    if amount > available:
        raise ValidationError(
            {
                "amount": _("At most %(available)s can still be credited on invoice %(number)s.")
                % {"available": available, "number": invoice.number}
            }
        )
    if note_date < invoice.date:
        raise ValidationError({"date": _("A credit note cannot be dated before its invoice.")})
    return available


def issue_credit_note(
    invoice: Invoice, amount: Decimal, reason: str, note_date: datetime.date | None = None
) -> CreditNote:
    """Cancel ``amount`` of a validated invoice with a numbered credit note.

    It lowers what the invoice asks. What had already been paid beyond the new amount
    goes back to the member's credit, and that credit pays their other open invoices.
    """
    note_date = note_date or timezone.localdate()
    amount = Decimal(amount)
    with transaction.atomic():
        ledger.lock_member(invoice.member_id)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        available = check_credit_note(invoice, amount, note_date)
        note = CreditNote(
            invoice=invoice, member_id=invoice.member_id, date=note_date, amount=amount, reason=reason
        )
        note.full_clean(exclude=["number", "validated_at"])
        note.number = next_number(CREDIT_NOTE_SERIES, note_date)
        note.validated_at = timezone.now()
        note.save()
        documents.on_credit_note_validated(note)
        _give_back_overpayment(invoice, available - amount)
        settle([invoice.member_id])
    return note


def _give_back_overpayment(invoice: Invoice, still_due: Decimal) -> None:
    """Reduce the invoice's allocations (latest first) to what it still asks, and close
    it when nothing is left to pay."""
    allocations = list(PaymentAllocation.objects.filter(invoice=invoice).order_by("-payment__date", "-pk"))
    paid = sum((a.amount for a in allocations), Decimal("0"))
    excess = paid - still_due
    for allocation in allocations:
        if excess <= 0:
            break
        if allocation.amount <= excess:
            excess -= allocation.amount
            allocation.delete()
        else:
            allocation.amount -= excess
            allocation.save(update_fields=["amount"])
            excess = Decimal("0")
    if paid >= still_due and invoice.status != Invoice.Status.CLOSED:
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.CLOSED)
