"""Calendar arithmetic shared by membership fees and billing."""

import calendar
import datetime


class DateOutOfRange(ValueError):
    """A computed date falls outside the calendar Python holds (years 1 to 9999)."""


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clamped to the end of shorter months:
    add_months(2026-01-31, 1) is 2026-02-28. Raises DateOutOfRange (a ValueError) past
    year 9999 or before year 1."""
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise DateOutOfRange(
            f"{day.isoformat()} {months:+d} months is out of the calendar "
            f"(years {datetime.MINYEAR} to {datetime.MAXYEAR})."
        )
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
