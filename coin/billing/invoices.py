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
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coin.billing import documents, payments, suspension
from coin.billing.models import CreditNote, Invoice, InvoiceDetail, PaymentAllocation
from coin.billing.money import line_total, round_money
from coin.billing.numbering import CREDIT_NOTE_SERIES, INVOICE_SERIES, next_number
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


def _check_date(invoice_date: datetime.date, today: datetime.date) -> None:
    # A bill dated in the future would hold back every bill dated before it
    # (numbers follow dates): refuse it rather than block the year's numbering.
    if invoice_date > today:
        raise ValidationError(
            {"date": _("An invoice cannot be dated in the future (%(date)s).") % {"date": invoice_date}}
        )


def issue_invoice(member: Member, lines: list[Line], invoice_date: datetime.date | None = None) -> Invoice:
    """Create an invoice with its lines and validate it, all in one transaction.

    The lines go in first and the number is taken last: a failure on a line (such as a
    period billed meanwhile by another run) rolls everything back without a gap.
    """
    if not lines:
        raise ValidationError(_("An invoice needs at least one line."))
    invoice_date = invoice_date or timezone.localdate()
    _check_date(invoice_date, timezone.localdate())
    with transaction.atomic():
        invoice = Invoice.objects.create(member=member, date=invoice_date)
        InvoiceDetail.objects.bulk_create([line.detail(invoice) for line in lines])
        _number(invoice, sum((line.total for line in lines), Decimal("0")))
    return invoice


def validate_invoice(invoice: Invoice) -> Invoice:
    """Validate a draft: number it, fix its total and due date, make it immutable."""
    with transaction.atomic():
        # Locks in the same order everywhere: member, invoice, number sequence.
        payments.lock_member(invoice.member_id)
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.is_validated:
            raise ValidationError(_("Invoice %(number)s is already validated.") % {"number": locked.number})
        _check_date(locked.date, timezone.localdate())
        details = list(locked.details.all())
        if not details:
            raise ValidationError(_("An invoice needs at least one line."))
        total = sum((line_total(d.amount, d.quantity, d.tax) for d in details), Decimal("0"))
        if total < 0:
            raise ValidationError(_("An invoice cannot be negative: issue a credit note instead."))
        _number(locked, total)
    for field in ("number", "total", "date_due", "validated_at", "status"):
        setattr(invoice, field, getattr(locked, field))
    return invoice


def _number(invoice: Invoice, total: Decimal) -> None:
    """Number a draft created or locked in the current transaction, pay it from the
    member's credit, and hand it to the documents part (PDF, email)."""
    payments.lock_member(invoice.member_id)  # before the sequence: member, then sequence
    invoice.number = next_number(INVOICE_SERIES, invoice.date)
    invoice.total = total
    invoice.date_due = invoice.date_due or due_date(invoice.date)
    invoice.validated_at = timezone.now()
    invoice.status = Invoice.Status.CLOSED if total == 0 else Invoice.Status.OPEN
    updated = Invoice.objects.filter(pk=invoice.pk).update_drafts(
        number=invoice.number,
        total=invoice.total,
        date_due=invoice.date_due,
        validated_at=invoice.validated_at,
        status=invoice.status,
    )
    if updated != 1:
        raise ValidationError(_("This invoice was validated meanwhile."))
    payments.allocate(invoice.member_id)
    documents.on_invoice_validated(invoice)


def creditable_amount(invoice: Invoice) -> Decimal:
    """What credit notes may still cancel of an invoice."""
    credited = invoice.credit_notes.filter(validated_at__isnull=False).aggregate(s=Sum("amount"))["s"]
    return invoice.total - round_money(credited or Decimal("0"))


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
        payments.lock_member(invoice.member_id)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
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
        note = CreditNote(
            invoice=invoice, member_id=invoice.member_id, date=note_date, amount=amount, reason=reason
        )
        note.full_clean(exclude=["number", "validated_at"])
        note.number = next_number(CREDIT_NOTE_SERIES, note_date)
        note.validated_at = timezone.now()
        note.save()
        documents.on_credit_note_validated(note)
        _give_back_overpayment(invoice, available - amount)
        payments.allocate(invoice.member_id)
        suspension.resume_if_paid(Member.objects.get(pk=invoice.member_id))
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
