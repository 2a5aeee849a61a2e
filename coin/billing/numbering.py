"""Gapless, chronological numbers for invoices, credit notes and receipts.

French accounting rules want bill numbers that are unique, continuous (no gap, no
reuse) and in the order of the bills' dates. So a number is taken only when a bill is
validated, inside the transaction that stores it, from a ``NumberSequence`` row that
stays locked (``SELECT … FOR UPDATE``) until that transaction ends: two validations
never get the same number, and a transaction that rolls back gives its number back,
so that no gap is left.

Formats (the counter restarts at 1 each calendar year):

- invoices: ``YYYY-MM-NNNNNN`` (year and month of the invoice date);
- credit notes: ``AV-YYYY-MM-NNNNNN``;
- receipts: ``R-YYYY-NNNNNN``.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from coin.billing.models import NumberSequence

INVOICE_SERIES = "invoice"
CREDIT_NOTE_SERIES = "credit_note"
RECEIPT_SERIES = "receipt"

FORMATS = {
    INVOICE_SERIES: "{date:%Y-%m}-{value:06d}",
    CREDIT_NOTE_SERIES: "AV-{date:%Y-%m}-{value:06d}",
    RECEIPT_SERIES: "R-{date:%Y}-{value:06d}",
}

# An invoice number as it appears in a bank transfer's label.
INVOICE_NUMBER_RE = re.compile(r"(?<![\d-])(\d{4})-(0[1-9]|1[0-2])-(\d{6})(?![\d-])")


class ChronologyError(ValidationError):
    """A bill dated before the last numbered bill of its year and series.

    Numbers must follow the dates: a bill dated earlier than the last one numbered
    would get a higher number than a bill it precedes.
    """


def format_number(series: str, day: datetime.date, value: int) -> str:
    return FORMATS[series].format(date=day, value=value)


def _locked_sequence(series: str, year: int) -> NumberSequence:
    """The year's sequence row, locked until the end of the current transaction.

    The row is created the first time a year is numbered. get_or_create is safe when
    two transactions race to create it: the loser's INSERT waits for the winner, fails
    on the unique constraint inside a savepoint, and reads the winner's row.
    """
    locked = NumberSequence.objects.select_for_update()
    try:
        return locked.get(series=series, year=year)
    except NumberSequence.DoesNotExist:
        NumberSequence.objects.get_or_create(series=series, year=year)
        return locked.get(series=series, year=year)


def next_number(series: str, day: datetime.date) -> str:
    """Take the next number of ``series`` for a bill dated ``day``.

    Must be called inside the transaction that stores the number on the bill: the
    sequence row stays locked until it commits, and a rollback gives the number back.
    Raises ChronologyError when ``day`` is before the last numbered bill of the year.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that stores the number.")
    sequence = _locked_sequence(series, day.year)
    if sequence.last_date is not None and day < sequence.last_date:
        raise ChronologyError(
            _(
                "This bill is dated %(date)s, before the last numbered one (%(last)s): "
                "numbers must follow the dates. Date it %(last)s or later."
            )
            % {"date": day.isoformat(), "last": sequence.last_date.isoformat()},
            code="chronology",
        )
    sequence.last_value += 1
    sequence.last_date = day
    NumberSequence.objects.filter(pk=sequence.pk).update(
        last_value=sequence.last_value, last_date=sequence.last_date
    )
    return format_number(series, day, sequence.last_value)
