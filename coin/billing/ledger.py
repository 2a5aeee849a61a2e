"""The ledger: what members owe and paid, and how their money pays their invoices.

A payment is money received from a member. It pays the member's oldest open
validated invoices first (by date, then number): each part is a PaymentAllocation.
An invoice whose remaining amount falls to zero is closed. Money left over stays
unallocated: it is the member's credit, used by the next invoices as soon as they are
validated. Disputed invoices get nothing until they are open again.

The balance is ``payments − (invoices − credit notes)``: negative when the member
owes money, positive when they have credit.

Every function that changes allocations locks the member's row first, so that two
payments (or a payment and a new invoice) of one member are allocated one after the
other, never twice with the same money.

This module sits below everything else of billing but the models: suspension,
reminders, documents and PDFs read it; ``payments.settle()`` (allocate, then resume
the service of members who paid) is the one way the payment paths use it.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from coin.billing.models import MONEY, CreditNote, Invoice, Payment, PaymentAllocation
from coin.billing.money import round_money
from coin.members.models import Member

ZERO = Decimal("0.00")


if TYPE_CHECKING:
    _MoneyExpression = ExpressionWrapper[Any]
else:  # Django's expressions are not subscriptable at run time
    _MoneyExpression = ExpressionWrapper


class Money(_MoneyExpression):
    """An amount computed in SQL, returned as Decimal rounded to the cent.

    SQLite computes sums and differences of decimals in floating point (30.00 − 29.99
    − 0.01 may come back as 3.6e-15): the value is rounded back to cents, which is
    exact since every stored amount is in cents. PostgreSQL's numeric is exact anyway.
    """

    def __init__(self, expression: Any) -> None:
        super().__init__(expression, output_field=DecimalField(**MONEY))

    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Callable[..., Any]]:
        return [*super().get_db_converters(connection), self._to_cents]

    @staticmethod
    def _to_cents(value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Decimal | None:
        return None if value is None else round_money(Decimal(value))


def _money_sum(queryset: QuerySet[Any], group: str, field: str) -> Money:
    """Correlated SUM of ``field`` over ``queryset`` (filtered on OuterRef(group)), 0 when empty."""
    total = queryset.order_by().values(group).annotate(s=Sum(field)).values("s")
    return Money(Coalesce(Subquery(total), Value(ZERO), output_field=DecimalField(**MONEY)))


def credited_sum() -> Money:
    return _money_sum(
        CreditNote.objects.filter(invoice=OuterRef("pk"), validated_at__isnull=False), "invoice", "amount"
    )


def paid_sum() -> Money:
    return _money_sum(PaymentAllocation.objects.filter(invoice=OuterRef("pk")), "invoice", "amount")


class InvoiceAmounts(TypedDict):
    """What ``with_amounts()`` annotates each invoice with."""

    credited: Decimal
    paid: Decimal
    remaining: Decimal


def with_amounts(invoices: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate invoices with ``credited`` (validated credit notes), ``paid``
    (allocations) and ``remaining`` (what is still to pay)."""
    annotated: QuerySet[Any] = invoices.annotate(credited=credited_sum(), paid=paid_sum()).annotate(
        remaining=Money(F("total") - F("credited") - F("paid"))
    )
    return annotated


def allocated_sum() -> Money:
    return _money_sum(PaymentAllocation.objects.filter(payment=OuterRef("pk")), "payment", "amount")


def with_unallocated(payments: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate payments with ``allocated`` and ``unallocated`` (the credit they hold)."""
    annotated: QuerySet[Any] = payments.annotate(allocated=allocated_sum()).annotate(
        unallocated=Money(F("amount") - F("allocated"))
    )
    return annotated


@dataclass(frozen=True)
class Balance:
    payments: Decimal
    invoices: Decimal
    credit_notes: Decimal

    @property
    def amount(self) -> Decimal:
        """Positive: the member has credit; negative: the member owes that much."""
        return self.payments - (self.invoices - self.credit_notes)


def _balance_parts(member: Member | OuterRef) -> dict[str, tuple[QuerySet[Any], str]]:
    """What a Balance adds up: each part's rows and summed field, for a member (or for
    ``OuterRef("pk")`` in a subquery over members)."""
    return {
        "payments": (Payment.objects.filter(member=member), "amount"),
        "invoices": (Invoice.objects.validated().filter(member=member), "total"),
        "credit_notes": (CreditNote.objects.filter(member=member, validated_at__isnull=False), "amount"),
    }


def balance_details(member: Member) -> Balance:
    def total(queryset: QuerySet[Any], field: str) -> Decimal:
        return round_money(queryset.aggregate(s=Sum(field))["s"] or ZERO)

    return Balance(**{name: total(rows, field) for name, (rows, field) in _balance_parts(member).items()})


def with_balances(members: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate members with ``balance_payments``, ``balance_invoices`` and
    ``balance_credit_notes`` (one query for a whole list); ``annotated_balance`` turns
    them into the member's Balance."""
    parts = _balance_parts(OuterRef("pk"))
    annotated: QuerySet[Any] = members.annotate(
        **{f"balance_{name}": _money_sum(rows, "member", field) for name, (rows, field) in parts.items()}
    )
    return annotated


def annotated_balance(member: Member) -> Balance:
    """The Balance of a member annotated by ``with_balances``."""
    return Balance(**{part.name: getattr(member, f"balance_{part.name}") for part in fields(Balance)})


def balance(member: Member) -> Decimal:
    """payments − (validated invoices − validated credit notes)."""
    return balance_details(member).amount


def lock_member(member: Member | int) -> None:
    """Serialize the allocations of one member (FOR NO KEY UPDATE on PostgreSQL, so that
    inserting rows that point at the member, such as a new invoice, is not blocked)."""
    member_id = member if isinstance(member, int) else member.pk
    lock_members([member_id])


def lock_members(member_ids: Iterable[int]) -> None:
    """lock_member() for several members in one query (a charge run's batch).

    Rows are locked in the order of their ids, the order in which settle() and charge
    runs take them one after the other, so that two transactions locking overlapping
    sets of members wait for each other instead of deadlocking.
    """
    ids = sorted(set(member_ids))
    if ids:
        locked = Member.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
        list(locked.values_list("pk"))


def members_with_credit(member_ids: Iterable[int]) -> set[int]:
    """Those of ``member_ids`` who have money not allocated yet (payments − allocations > 0).

    Two grouped sums for all of them, and the second only when some have paid at all:
    most members have no money waiting, and allocate() has nothing to do for them. Call
    it with the members locked, or a payment recorded meanwhile could be missed.
    """
    ids = set(member_ids)
    paid = dict(
        Payment.objects.filter(member_id__in=ids)
        .order_by()
        .values("member_id")
        .annotate(s=Sum("amount"))
        .values_list("member_id", "s")
    )
    if not paid:
        return set()
    allocated = dict(
        PaymentAllocation.objects.filter(payment__member_id__in=paid)
        .order_by()
        .values("payment__member_id")
        .annotate(s=Sum("amount"))
        .values_list("payment__member_id", "s")
    )
    return {member_id for member_id, s in paid.items() if round_money(s - allocated.get(member_id, ZERO)) > 0}


def _has_credit(member_id: int) -> bool:
    """Cheap test first: most members have no money waiting (two plain sums)."""
    return member_id in members_with_credit([member_id])


def allocate(member: Member | int) -> list[PaymentAllocation]:
    """Give the member's unallocated money to their oldest open invoices.

    Closes the invoices that end up fully paid (or whose credit notes left nothing to
    pay). Idempotent: with nothing to give or nothing to pay, it changes nothing.
    """
    member_id = member if isinstance(member, int) else member.pk
    with transaction.atomic():
        lock_member(member_id)
        if not _has_credit(member_id):
            return []
        open_invoices = list(
            with_amounts(Invoice.objects.validated().filter(member_id=member_id, status=Invoice.Status.OPEN))
            .order_by("date", "number")
            .values("pk", "remaining")
        )
        if not open_invoices:
            return []
        settled = [invoice["pk"] for invoice in open_invoices if invoice["remaining"] <= 0]
        due = [invoice for invoice in open_invoices if invoice["remaining"] > 0]
        credit = (
            list(
                with_unallocated(Payment.objects.filter(member_id=member_id))
                .filter(unallocated__gt=0)
                .order_by("date", "pk")
                .values("pk", "unallocated")
            )
            if due
            else []
        )
        allocations = []
        # Filtered again after rounding: SQLite may leave a float crumb above zero.
        payments = iter([payment for payment in credit if payment["unallocated"] > 0])
        payment = next(payments, None)
        for invoice in due:
            remaining = invoice["remaining"]
            while remaining > 0 and payment is not None:
                part = min(remaining, payment["unallocated"])
                allocations.append(
                    PaymentAllocation(payment_id=payment["pk"], invoice_id=invoice["pk"], amount=part)
                )
                remaining -= part
                payment["unallocated"] -= part
                if payment["unallocated"] <= 0:
                    payment = next(payments, None)
            if remaining <= 0:
                settled.append(invoice["pk"])
            if payment is None:
                break
        PaymentAllocation.objects.bulk_create(allocations)
        if settled:
            Invoice.objects.filter(pk__in=settled).update(status=Invoice.Status.CLOSED)
        return allocations


def allocate_to_invoice(payment_id: int, invoice_id: int) -> PaymentAllocation | None:
    """Give a payment to the one invoice it names (its creditor reference, or the
    direct debit that collected it) before the oldest-first rule of allocate() takes
    the rest. Nothing when the invoice is not the payment's member's, is not open, or
    the payment has no money left; closes the invoice when it is paid in full."""
    with transaction.atomic():
        payment = Payment.objects.filter(pk=payment_id).values("member_id").first()
        if payment is None or payment["member_id"] is None:
            return None
        lock_member(payment["member_id"])
        invoice = (
            with_amounts(
                Invoice.objects.validated().filter(
                    pk=invoice_id, member_id=payment["member_id"], status=Invoice.Status.OPEN
                )
            )
            .values("pk", "remaining")
            .first()
        )
        money = (
            with_unallocated(Payment.objects.filter(pk=payment_id))
            .values_list("unallocated", flat=True)
            .first()
        )
        if invoice is None or not money or money <= 0 or invoice["remaining"] <= 0:
            return None
        part = min(invoice["remaining"], money)
        allocation = PaymentAllocation.objects.create(
            payment_id=payment_id, invoice_id=invoice_id, amount=part
        )
        if part >= invoice["remaining"]:
            Invoice.objects.filter(pk=invoice_id).update(status=Invoice.Status.CLOSED)
        return allocation


def close_if_settled(invoices: QuerySet[Invoice]) -> None:
    """Close the open invoices of ``invoices`` that have nothing left to pay (an invoice
    paid in full, disputed, then open again)."""
    settled = with_amounts(invoices.filter(status=Invoice.Status.OPEN)).filter(remaining__lte=0)
    Invoice.objects.filter(pk__in=list(settled.values_list("pk", flat=True))).update(
        status=Invoice.Status.CLOSED
    )


def release(allocations: QuerySet[PaymentAllocation]) -> set[int]:
    """Undo allocations (a payment deleted, corrected or given to another member):
    the invoices they paid are open again. Returns the members concerned."""
    rows = list(allocations.values_list("pk", "invoice_id", "invoice__member_id"))
    if not rows:
        return set()
    PaymentAllocation.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
    Invoice.objects.filter(pk__in={invoice for _, invoice, _ in rows}, status=Invoice.Status.CLOSED).update(
        status=Invoice.Status.OPEN
    )
    return {member_id for _, _, member_id in rows}


def unpaid_invoices(today: datetime.date, min_days_overdue: int = 0) -> QuerySet[Any]:
    """Validated, open invoices with something left to pay, due at least
    ``min_days_overdue`` days before ``today``; annotated with ``remaining``."""
    limit = today - datetime.timedelta(days=min_days_overdue)
    return with_amounts(
        Invoice.objects.validated().filter(
            status=Invoice.Status.OPEN, date_due__isnull=False, date_due__lte=limit
        )
    ).filter(remaining__gt=0)


def payment_reference(invoice: Invoice) -> str:
    """What the member writes in the transfer label: the bank import matches on it."""
    return f"{invoice.number or ''} {invoice.member.username}".strip()
