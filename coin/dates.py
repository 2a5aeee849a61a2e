"""Calendar arithmetic shared by membership fees and billing."""

import calendar
import datetime
from collections.abc import Callable, Iterable
from typing import TypeVar

Step = TypeVar("Step", bound=int)


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


# A schedule's last step stays due this many days after its date (a missed run catches
# up with it); after that the thing is left to humans. Fee and invoice reminders both.
CATCH_UP_DAYS = 31


def catch_up_step(
    start: datetime.date,
    today: datetime.date,
    steps: Iterable[Step],
    step_date: Callable[[datetime.date, Step], datetime.date],
) -> Step | None:
    """The step of a schedule that is due ``today``: the latest one whose date
    (``step_date(start, step)``) has come, so that a run missed for a few days sends
    that one and skips the older ones. The last step stays due for CATCH_UP_DAYS days
    after its date, then None: nothing long forgotten is sent when a schedule is first
    installed or a step added. None too before the first step's date."""
    ordered = sorted(set(steps))
    past = [step for step in ordered if step_date(start, step) <= today]
    if not past:
        return None
    latest = past[-1]
    if latest == ordered[-1] and today > step_date(start, latest) + datetime.timedelta(days=CATCH_UP_DAYS):
        return None
    return latest
