"""What a member owes, and by when: for the member's dashboard and billing page."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Min, Q, QuerySet, Sum

from coin.billing.ledger import balance, with_amounts
from coin.billing.models import Invoice
from coin.billing.money import round_money
from coin.members.models import Member

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Debt:
    """``owed``: what the member must still pay (0 when their credit covers it);
    ``unpaid``: invoices to pay with something left; ``next_due``: the earliest due
    date among them; ``overdue``/``overdue_amount``: those past their due date."""

    owed: Decimal
    unpaid: int
    next_due: datetime.date | None
    overdue: int
    overdue_amount: Decimal
    oldest_unpaid_number: str | None


def unpaid_invoices(member: Member) -> QuerySet:
    """Validated invoices of the member still to pay (not disputed), oldest due first,
    annotated with ``remaining``."""
    return (
        with_amounts(Invoice.objects.validated().filter(member=member, status=Invoice.Status.OPEN))
        .filter(remaining__gt=0)
        .order_by("date_due", "number")
    )


def is_overdue(invoice: Invoice, today: datetime.date) -> bool:
    """An invoice to pay whose due date has passed (``remaining`` from with_amounts)."""
    return (
        invoice.is_validated
        and invoice.status == Invoice.Status.OPEN
        and invoice.date_due is not None
        and invoice.date_due < today
        and getattr(invoice, "remaining", ZERO) > 0
    )


def is_fully_credited(invoice: Invoice) -> bool:
    """A validated invoice that its credit notes cancel entirely (``credited`` from
    with_amounts): it is closed, but nobody paid it, so it reads "credited", not "paid"."""
    credited = getattr(invoice, "credited", None)
    return invoice.is_validated and credited is not None and credited >= invoice.total > 0


def member_debt(member: Member, today: datetime.date) -> Debt:
    """Debt of one member on ``today`` (five aggregate queries, no row per invoice)."""
    owed = max(-balance(member), ZERO)
    unpaid = unpaid_invoices(member)
    late = Q(date_due__lt=today)
    totals = unpaid.aggregate(
        unpaid=Count("pk"),
        next_due=Min("date_due"),
        overdue=Count("pk", filter=late),
        overdue_amount=Sum("remaining", filter=late),
    )
    return Debt(
        owed=owed,
        unpaid=totals["unpaid"],
        next_due=totals["next_due"],
        overdue=totals["overdue"],
        overdue_amount=round_money(totals["overdue_amount"] or ZERO),
        oldest_unpaid_number=unpaid.values_list("number", flat=True).first(),
    )
