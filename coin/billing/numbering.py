"""Gapless, chronological numbers for invoices, credit notes and receipts.

French accounting rules want bill numbers that are unique, continuous (no gap, no
reuse) and in the order of the bills' dates. So a number is taken only when a bill is
validated, inside the transaction that stores it, from a ``NumberSequence`` row that
the UPDATE taking the number locks until that transaction ends: two validations never
get the same number, and a transaction that rolls back gives its number back, so that
no gap is left. A charge run takes the numbers of a batch of invoices at once
(next_numbers), by the same rules.

Formats (the counter restarts at 1 each calendar year):

- invoices: ``YYYY-MM-NNNNNN`` (year and month of the invoice date);
- credit notes: ``AV-YYYY-MM-NNNNNN``;
- receipts: ``R-YYYY-NNNNNN``.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, F, Q, QuerySet
from django.utils.translation import gettext as _

from coin.billing.models import CREDIT_NOTE_SERIES, INVOICE_SERIES, RECEIPT_SERIES, NumberSequence

FORMATS = {
    INVOICE_SERIES: "{date:%Y-%m}-{value:06d}",
    CREDIT_NOTE_SERIES: "AV-{date:%Y-%m}-{value:06d}",
    RECEIPT_SERIES: "R-{date:%Y}-{value:06d}",
}

# An invoice number as it appears in a bank transfer's label.
INVOICE_NUMBER_RE = re.compile(r"(?<![\d-])(\d{4})-(0[1-9]|1[0-2])-(\d{6})(?![\d-])")


class ChronologyError(ValidationError):
    """A bill dated before the last numbered bill of its series (of any year).

    Numbers must follow the dates: a bill dated earlier than the last one numbered
    would get a higher number than a bill it precedes.
    """

    field = "date"  # what the error is about (coin.validation.messages_by_field)


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
    Raises ChronologyError when ``day`` is before the last numbered bill of the series,
    of this year or a later one.
    """
    return next_numbers(series, day, 1)[0]


def next_numbers(series: str, day: datetime.date, count: int) -> list[str]:
    """Take the next ``count`` numbers of ``series``, in order, for bills dated ``day``.

    The same rules as next_number(), for a batch of bills stored in one transaction
    (a charge run): the caller gives them out in the order of the list.

    The numbers are taken by one UPDATE that adds ``count`` to the counter, on the
    condition that ``day`` is not before the last numbered day. The UPDATE locks the row
    until the transaction ends. On PostgreSQL (read committed, Django's default) an UPDATE
    that waited for another transaction's lock evaluates its condition and
    ``last_value + count`` again on the row that transaction committed, so no number is
    given twice; SQLite runs one writing transaction at a time. The new counter is then
    read back (the row is ours): a plain UPDATE and SELECT rather than UPDATE … RETURNING,
    which SQLite only has from 3.35. When the UPDATE changes no row, either the year has
    no row yet or the day is too early: the slow path below tells which, under the lock.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that stores the number.")
    if count < 1:
        return []
    sequence = NumberSequence.objects.filter(series=series, year=day.year)
    if not _advance(sequence, series, day, count):
        locked = _locked_sequence(series, day.year)
        last = max(filter(None, [locked.last_date, NumberSequence.objects.last_date(series)]), default=None)
        if last is not None and day < last:
            raise ChronologyError(
                _(
                    "This bill is dated %(date)s, before the last numbered one (%(last)s): "
                    "numbers must follow the dates. Date it %(last)s or later."
                )
                % {"date": day.isoformat(), "last": last.isoformat()},
                code="chronology",
            )
        _advance(sequence, series, day, count)  # cannot miss now: the row exists, is ours, and day is on time
    last_value = sequence.values_list("last_value", flat=True).get()
    return [format_number(series, day, value) for value in range(last_value - count + 1, last_value + 1)]


def _advance(sequence: QuerySet, series: str, day: datetime.date, count: int) -> bool:
    """Add ``count`` to the counter unless a bill after ``day`` was numbered, in this
    year or a later one (a 1999 invoice after the 2026 ones); False when no row changed
    (no row for the year, or ``day`` too early).

    A later year's row is read, not locked: only a transaction numbering that later year
    at the same moment can slip through, and its numbers still sort after ours."""
    on_time = Q(last_date__isnull=True) | Q(last_date__lte=day)
    later = NumberSequence.objects.filter(series=series, year__gt=day.year, last_date__gt=day)
    return (
        sequence.filter(on_time, ~Exists(later)).update(last_value=F("last_value") + count, last_date=day)
        == 1
    )
