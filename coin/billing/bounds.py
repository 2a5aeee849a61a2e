"""The bounds of what billing stores: money that fits its column, dates in range,
periods in order. One function per rule.

The models use them as field validators and in clean(), so the admin, the portal and
the API (whose serializers validate with the models' fields and clean()) refuse what
is out of bounds. The paths that skip full_clean() (the bulk inserts of the charge
run, ``invoices.insert_drafts`` and of bank imports) call the same functions through
``check_fields`` and ``check_period``. The database holds the last line: numeric
precision on PostgreSQL, CHECK constraints on both (``money_within_column``,
``period_in_order``).

It imports no model: models.py uses it.
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from coin.billing.money import MONEY

# No payment is dated before this day: an older date is a typing or parsing error
# (0001-01-01, 1900…), not a payment Coin could have recorded.
EARLIEST_PAYMENT_DATE = datetime.date(2000, 1, 1)


def money_limit(max_digits: int, decimal_places: int) -> Decimal:
    """The largest amount a DecimalField(max_digits, decimal_places) holds: 12, 2 → 9999999999.99."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(10) ** -decimal_places


def money_within_column(
    field: str, max_digits: int, decimal_places: int, name: str
) -> models.CheckConstraint:
    """A CHECK that ``field`` fits its digits: PostgreSQL's numeric does it already,
    SQLite stores any number, which then cannot be read back (decimal.InvalidOperation)."""
    limit = money_limit(max_digits, decimal_places)
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__lte": limit, f"{field}__gte": -limit}), name=name
    )


def period_in_order(start: str, end: str, name: str) -> models.CheckConstraint:
    """A CHECK that a period's start is not after its end (either may be empty)."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{start}__isnull": True})
        | models.Q(**{f"{end}__isnull": True})
        | models.Q(**{f"{start}__lte": models.F(end)}),
        name=name,
    )


def validate_not_in_future(day: datetime.date) -> None:
    """A bill or a payment is dated today at the latest."""
    today = timezone.localdate()
    if day > today:
        raise ValidationError(
            _("%(date)s is in the future: the latest possible date is today, %(today)s."),
            code="future",
            params={"date": day.isoformat(), "today": today.isoformat()},
        )


def validate_payment_date(day: datetime.date) -> None:
    """A payment is dated between EARLIEST_PAYMENT_DATE and today."""
    validate_not_in_future(day)
    if day < EARLIEST_PAYMENT_DATE:
        raise ValidationError(
            _("%(date)s is too early: a payment is dated %(floor)s or later."),
            code="too_early",
            params={"date": day.isoformat(), "floor": EARLIEST_PAYMENT_DATE.isoformat()},
        )


def check_period(
    start: datetime.date | None,
    end: datetime.date | None,
    *,
    start_field: str = "period_from",
    end_field: str = "period_to",
) -> None:
    """Raise ValidationError on ``end_field`` when the period ends before it starts."""
    if start is not None and end is not None and end < start:
        raise ValidationError(
            {
                end_field: _("The period ends (%(end)s) before it starts (%(start)s, %(field)s).")
                % {"end": end.isoformat(), "start": start.isoformat(), "field": start_field}
            }
        )


def check_fields(model: type[models.Model], values: Mapping[str, object]) -> None:
    """Run the validators of ``model``'s fields on ``values`` (field name → value), as
    full_clean() does: digits of amounts, minimum values, date bounds. For the bulk
    inserts, which skip full_clean(). Raises one ValidationError naming every field at
    fault."""
    errors: dict[str, list[ValidationError]] = {}
    for name, value in values.items():
        try:
            field = model._meta.get_field(name)
            assert isinstance(field, models.Field)  # a column of the inserted rows, not a reverse relation
            field.run_validators(value)
        except ValidationError as error:
            errors[name] = error.error_list
    if errors:
        raise ValidationError(errors)


def _fits_money_column(total: Decimal) -> None:
    """The check of an amount column (``MONEY``), as its field's validator runs it."""
    validators.DecimalValidator(**MONEY)(total)


def check_line_total(total: Decimal) -> None:
    """An invoice line's total (amount × quantity × tax) fits the column of totals."""
    try:
        _fits_money_column(total)
    except ValidationError as error:
        raise ValidationError(
            {
                "amount": _("This line's total (%(total)s) does not fit: %(error)s")
                % {"total": total, "error": " ".join(error.messages)}
            }
        ) from None


def check_invoice_total(total: Decimal) -> None:
    """An invoice's total (the sum of its lines) fits its column."""
    try:
        _fits_money_column(total)
    except ValidationError as error:
        raise ValidationError(
            {
                "lines": _("The invoice's total (%(total)s) does not fit: %(error)s")
                % {"total": total, "error": " ".join(error.messages)}
            }
        ) from None


def check_not_before_last_bill(day: datetime.date, last: datetime.date | None) -> None:
    """A bill (invoice, credit note) is not dated before ``last``, the date of the last
    numbered bill of its series whatever the year (``NumberSequence.objects.last_date``):
    numbers follow the dates. An early check for the forms and the API; numbering
    checks again under its lock (numbering.next_numbers)."""
    if last is not None and day < last:
        raise ValidationError(
            {
                "date": _(
                    "%(date)s is before the last numbered bill of its series (%(last)s): "
                    "numbers must follow the dates. Date it %(last)s or later."
                )
                % {"date": day.isoformat(), "last": last.isoformat()}
            }
        )
