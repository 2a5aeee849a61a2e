"""coin.dates: the calendar arithmetic and the catch-up schedule that fee reminders
(months after a membership's end) and invoice reminders (days after a due date)
share."""

import datetime

import pytest

from coin.dates import CATCH_UP_DAYS, add_months, catch_up_step

START = datetime.date(2026, 1, 31)
DAY = datetime.timedelta(days=1)


def in_days(start: datetime.date, step: int) -> datetime.date:
    return start + datetime.timedelta(days=step)


def test_catch_up_days_is_one_month():
    assert CATCH_UP_DAYS == 31


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (START + 6 * DAY, None),  # before the first step
        (START + 7 * DAY, 7),
        (START + 20 * DAY, 7),  # a missed run still sends the latest step whose day came
        (START + 21 * DAY, 21),
        (START + 44 * DAY, 21),
        (START + 45 * DAY, 45),
        (START + (45 + CATCH_UP_DAYS) * DAY, 45),  # the last step stays due this long
        (START + (45 + CATCH_UP_DAYS + 1) * DAY, None),  # then it is left to humans
    ],
)
def test_the_due_step_is_the_latest_whose_day_has_come(today, due):
    assert catch_up_step(START, today, [21, 7, 45, 7], in_days) == due


def test_steps_before_the_start_and_months():
    offsets = [-1, 0, 1, 3]
    assert catch_up_step(START, add_months(START, -1) - DAY, offsets, add_months) is None
    assert catch_up_step(START, add_months(START, -1), offsets, add_months) == -1
    assert catch_up_step(START, START, offsets, add_months) == 0
    assert catch_up_step(START, add_months(START, 2), offsets, add_months) == 1
    last = add_months(START, 3)  # 2026-04-30: clamped to the month's end
    assert last == datetime.date(2026, 4, 30)
    assert catch_up_step(START, last + CATCH_UP_DAYS * DAY, offsets, add_months) == 3
    assert catch_up_step(START, last + (CATCH_UP_DAYS + 1) * DAY, offsets, add_months) is None


def test_no_steps_nothing_due():
    assert catch_up_step(START, START + 100 * DAY, [], in_days) is None
