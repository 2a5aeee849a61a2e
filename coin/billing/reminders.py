"""When unpaid-invoice reminders go out.

INVOICE_REMINDERS lists the days after an invoice's due date at which the member is
reminded, e.g. [7, 21, 45]. A reminder is identified by (invoice, step) and recorded
in InvoiceReminder, whose unique constraint makes it impossible to send twice, even
when two runs overlap.

On a given day the one reminder due for an invoice is the latest step whose day has
come: a run missed for a few days catches up with that one and skips the older ones
(one reminder is enough). The last step stays due for CATCH_UP_DAYS (``coin.dates``) after its day;
after that an invoice gets no more automatic reminders (a human takes over), so that
installing Coin, or adding a step, does not remind members of long-forgotten bills.

Only validated invoices that are open (not paid, not disputed) and have something
left to pay (total − payments − credit notes) are reminded.
"""

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction

from coin.billing.emails import invoice_reminder_email
from coin.billing.ledger import unpaid_invoices
from coin.billing.models import Invoice, InvoiceReminder
from coin.dates import CATCH_UP_DAYS, catch_up_step


def step_date(date_due: datetime.date, days_after_due: int) -> datetime.date:
    return date_due + datetime.timedelta(days=days_after_due)


def due_step(date_due: datetime.date, today: datetime.date, steps: Sequence[int]) -> int | None:
    """The step (days after the due date) whose reminder is due today, or None
    (``coin.dates.catch_up_step``)."""
    return catch_up_step(date_due, today, steps, step_date)


@dataclass(frozen=True)
class DueInvoiceReminder:
    invoice: Invoice
    days_after_due: int

    @property
    def remaining(self) -> Decimal:
        """What is left to pay (the invoice comes annotated by ``ledger.unpaid_invoices``)."""
        remaining: Decimal = getattr(self.invoice, "remaining")  # noqa: B009 (an annotation)
        return remaining


def due_invoice_reminders(
    today: datetime.date, steps: Sequence[int] | None = None
) -> Iterator[DueInvoiceReminder]:
    """Reminders due today and not sent yet, oldest due date first."""
    steps = settings.INVOICE_REMINDERS if steps is None else steps
    if not steps:
        return
    # Only due dates that can have a step due today (the last step's catch-up window).
    earliest_due = today - datetime.timedelta(days=max(steps) + CATCH_UP_DAYS)
    invoices = (
        unpaid_invoices(today, min(steps))
        .filter(date_due__gte=earliest_due)
        .exclude(member__email="")
        .select_related("member")
        .order_by("date_due", "number")
    )
    sent = set(
        InvoiceReminder.objects.filter(invoice__in=invoices.values("pk")).values_list(
            "invoice_id", "days_after_due"
        )
    )
    for invoice in invoices:
        step = due_step(invoice.date_due, today, steps)
        if step is not None and (invoice.pk, step) not in sent:
            yield DueInvoiceReminder(invoice, step)


def build_invoice_reminder(due: DueInvoiceReminder) -> EmailMultiAlternatives:
    return invoice_reminder_email(due.invoice, due.remaining, due.days_after_due)


def send_invoice_reminder(due: DueInvoiceReminder, today: datetime.date) -> bool:
    """Record and send one reminder. False when another run already sent it, or when
    the invoice was paid meanwhile.

    The record is written first and the email sent inside the same transaction: if
    sending fails, the record is rolled back and the next run tries again.
    """
    try:
        with transaction.atomic():
            InvoiceReminder.objects.create(invoice=due.invoice, days_after_due=due.days_after_due)
            if not unpaid_invoices(today).filter(pk=due.invoice.pk).exists():
                transaction.set_rollback(True)
                return False
            build_invoice_reminder(due).send()
    except IntegrityError:
        return False
    return True
