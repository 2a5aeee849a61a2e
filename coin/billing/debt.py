"""What a member owes, and by when: for the member's dashboard and billing page."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from coin.billing.models import Invoice
from coin.billing.payments import balance, with_amounts
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


def member_debt(member: Member, today: datetime.date) -> Debt:
    """Debt of one member on ``today`` (three queries)."""
    owed = max(-balance(member), ZERO)
    rows = list(unpaid_invoices(member).values_list("number", "date_due", "remaining"))
    overdue = [(number, remaining) for number, due, remaining in rows if due < today]
    return Debt(
        owed=owed,
        unpaid=len(rows),
        next_due=rows[0][1] if rows else None,
        overdue=len(overdue),
        overdue_amount=sum((remaining for _number, remaining in overdue), ZERO),
        oldest_unpaid_number=rows[0][0] if rows else None,
    )
