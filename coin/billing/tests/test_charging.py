"""The billing rules of charge_subscriptions, without the database: blocks, prorata,
resignations, catch-up, fees."""

from decimal import Decimal

import pytest

from coin.billing.charging import Block, block, charge_for, periods_to_bill
from coin.billing.money import line_total, prorata, round_money
from coin.billing.tests.conftest import d


def spans(periods):
    return [(p.start.isoformat(), p.end.isoformat(), str(p.quantity)) for p in periods]


# --- Money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, quantity, tax, total",
    [
        ("10.00", "1", "0", "10.00"),
        ("0.125", "1", "0", "0.13"),  # half-up, not half-even (which gives 0.12)
        ("0.135", "1", "0", "0.14"),
        ("10.00", "0.5484", "0", "5.48"),
        ("10.00", "0.5485", "0", "5.49"),  # 5.485 → 5.49
        ("10.00", "1", "20", "12.00"),
        ("9.99", "0.3226", "5.5", "3.40"),  # 3.40002657
        ("33.33", "3", "0", "99.99"),
    ],
)
def test_line_total_rounds_half_up_to_cents(amount, quantity, tax, total):
    assert line_total(Decimal(amount), Decimal(quantity), Decimal(tax)) == Decimal(total)


def test_round_money_and_prorata_round_half_up():
    assert round_money(Decimal("2.675")) == Decimal("2.68")
    assert prorata(1, 32) == Decimal("0.0313")  # 0.03125: half-up
    assert prorata(10, 31) == Decimal("0.3226")
    assert prorata(31, 31) == Decimal("1.0000")
    with pytest.raises(ValueError):
        prorata(1, 0)


# --- Blocks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "since, months, number, start, end, days",
    [
        ("2025-03-15", 1, 0, "2025-03-01", "2025-03-31", 31),
        ("2025-03-15", 1, 1, "2025-04-01", "2025-04-30", 30),
        ("2025-01-31", 1, 1, "2025-02-01", "2025-02-28", 28),
        ("2024-01-31", 1, 1, "2024-02-01", "2024-02-29", 29),  # leap year
        ("2025-02-10", 3, 0, "2025-02-01", "2025-04-30", 89),
        ("2025-02-10", 3, 1, "2025-05-01", "2025-07-31", 92),
        ("2025-11-20", 3, 0, "2025-11-01", "2026-01-31", 92),  # across the new year
        ("2024-03-15", 12, 0, "2024-03-01", "2025-02-28", 365),
        ("2023-03-15", 12, 0, "2023-03-01", "2024-02-29", 366),  # holds 29 February 2024
    ],
)
def test_blocks_are_calendar_months_from_the_subscription_month(since, months, number, start, end, days):
    b = block(d(since), months, number)
    assert (b.start, b.end, b.days) == (d(start), d(end), days)


def test_a_billing_period_is_at_least_a_month():
    with pytest.raises(ValueError):
        block(d("2025-01-01"), 0, 0)


# --- First and last partial blocks ---------------------------------------------------------------


def test_subscription_from_the_first_of_the_month_bills_the_whole_month_in_advance():
    assert spans(periods_to_bill(d("2025-03-01"), None, 1, d("2025-03-01"))) == [
        ("2025-03-01", "2025-03-31", "1")
    ]


@pytest.mark.parametrize(
    "since, quantity",
    [
        ("2025-03-15", "0.5484"),  # 17 of 31 days
        ("2025-03-31", "0.0323"),  # the last day only
        ("2025-04-16", "0.5000"),  # 15 of 30
        ("2025-02-10", "0.6786"),  # 19 of 28
        ("2024-02-10", "0.6897"),  # 20 of 29 (leap year)
    ],
)
def test_first_partial_month_is_prorated_by_days(since, quantity):
    [period] = periods_to_bill(d(since), None, 1, d(since))
    assert period.start == d(since)
    assert period.quantity == Decimal(quantity)


def test_first_partial_quarter_and_year():
    [quarter] = periods_to_bill(d("2025-02-10"), None, 3, d("2025-02-10"))
    assert (quarter.end, quarter.quantity) == (d("2025-04-30"), Decimal("0.8989"))  # 80 / 89
    [year] = periods_to_bill(d("2024-03-15"), None, 12, d("2024-03-15"))
    assert (year.end, year.quantity) == (d("2025-02-28"), Decimal("0.9616"))  # 351 / 365


def test_last_partial_block_ends_the_day_before_the_resign_date():
    # Resigned before March was billed: March is billed up to the 19th.
    periods = periods_to_bill(
        d("2025-01-01"), d("2025-03-20"), 1, d("2025-03-01"), billed_until=d("2025-02-28")
    )
    assert spans(periods) == [("2025-03-01", "2025-03-19", "0.6129")]  # 19 / 31


def test_resign_date_on_the_first_of_a_block_bills_nothing_of_that_block():
    periods = periods_to_bill(
        d("2025-01-01"), d("2025-04-01"), 1, d("2025-04-01"), billed_until=d("2025-03-31")
    )
    assert periods == []


def test_subscription_and_resignation_in_the_same_month():
    periods = periods_to_bill(d("2025-03-10"), d("2025-03-20"), 1, d("2025-03-10"))
    assert spans(periods) == [("2025-03-10", "2025-03-19", "0.3226")]


def test_last_partial_quarter():
    periods = periods_to_bill(
        d("2025-01-01"), d("2025-05-16"), 3, d("2025-04-01"), billed_until=d("2025-03-31")
    )
    assert spans(periods) == [("2025-04-01", "2025-05-15", "0.4945")]  # 45 / 91


# --- Resignation after a block was billed ---------------------------------------------------------


def test_a_block_billed_in_full_is_not_refunded_by_a_later_resignation():
    # March billed on 1 March; the member resigns from 20 March on.
    periods = periods_to_bill(
        d("2025-01-01"), d("2025-03-20"), 1, d("2025-03-25"), billed_until=d("2025-03-31")
    )
    assert periods == []


def test_a_resign_date_moved_later_bills_the_days_not_billed_yet():
    # Billed up to 19 March (resigning on the 20th); the resignation is then cancelled.
    periods = periods_to_bill(d("2025-01-01"), None, 1, d("2025-04-01"), billed_until=d("2025-03-19"))
    assert spans(periods) == [("2025-03-20", "2025-03-31", "0.3871"), ("2025-04-01", "2025-04-30", "1")]


# --- Billing in advance and catching up -------------------------------------------------------


def test_nothing_to_bill_within_a_block_already_billed():
    assert periods_to_bill(d("2025-01-01"), None, 1, d("2025-03-15"), billed_until=d("2025-03-31")) == []


def test_the_next_block_is_billed_on_its_first_day():
    periods = periods_to_bill(d("2025-01-01"), None, 1, d("2025-04-01"), billed_until=d("2025-03-31"))
    assert spans(periods) == [("2025-04-01", "2025-04-30", "1")]
    assert periods_to_bill(d("2025-01-01"), None, 1, d("2025-03-31"), billed_until=d("2025-03-31")) == []


def test_missed_days_are_caught_up_block_by_block():
    periods = periods_to_bill(d("2025-01-15"), None, 1, d("2025-04-02"))
    assert spans(periods) == [
        ("2025-01-15", "2025-01-31", "0.5484"),
        ("2025-02-01", "2025-02-28", "1"),
        ("2025-03-01", "2025-03-31", "1"),
        ("2025-04-01", "2025-04-30", "1"),
    ]


def test_catch_up_of_quarters_and_years():
    quarters = periods_to_bill(d("2024-11-20"), None, 3, d("2025-05-01"), billed_until=d("2025-01-31"))
    assert spans(quarters) == [("2025-02-01", "2025-04-30", "1"), ("2025-05-01", "2025-07-31", "1")]
    years = periods_to_bill(d("2023-03-01"), None, 12, d("2025-03-01"))
    assert spans(years) == [
        ("2023-03-01", "2024-02-29", "1"),
        ("2024-03-01", "2025-02-28", "1"),
        ("2025-03-01", "2026-02-28", "1"),
    ]


def test_catch_up_after_the_resignation_bills_up_to_the_last_running_day():
    # Cron stopped after billing February; the subscription ended on 10 March.
    periods = periods_to_bill(
        d("2025-01-01"), d("2025-03-10"), 1, d("2025-05-01"), billed_until=d("2025-02-28")
    )
    assert spans(periods) == [("2025-03-01", "2025-03-09", "0.2903")]


def test_nothing_before_the_subscription_starts():
    assert periods_to_bill(d("2025-03-15"), None, 1, d("2025-03-14")) == []


# --- Fees and billability ---------------------------------------------------------------------


def charge(**overrides):
    fields = {
        "subscription_date": d("2025-03-01"),
        "resign_date": None,
        "billing_period": 1,
        "period_fees": Decimal("10"),
        "initial_fees": Decimal("0"),
        "non_billable": False,
        "on": d("2025-03-01"),
        "billed_until": None,
        "billed_before": False,
    }
    return charge_for(**{**fields, **overrides})


def test_non_billable_offers_are_never_billed_not_even_initial_fees():
    result = charge(non_billable=True, initial_fees=Decimal("50"))
    assert not result and result.periods == [] and not result.initial_fees


def test_zero_period_fees_give_no_line_but_initial_fees_are_billed_once():
    first = charge(period_fees=Decimal("0"), initial_fees=Decimal("50"))
    assert first.periods == [] and first.initial_fees
    assert not charge(period_fees=Decimal("0"), initial_fees=Decimal("50"), billed_before=True)
    assert not charge(period_fees=Decimal("0"))


def test_initial_fees_go_with_the_first_billing_only():
    first = charge(initial_fees=Decimal("50"))
    assert first.initial_fees and len(first.periods) == 1
    later = charge(
        initial_fees=Decimal("50"), on=d("2025-04-01"), billed_until=d("2025-03-31"), billed_before=True
    )
    assert not later.initial_fees and len(later.periods) == 1


def test_a_subscription_resigned_on_its_first_day_never_ran():
    assert not charge(resign_date=d("2025-03-01"), initial_fees=Decimal("50"))


def test_block_days_property():
    assert Block(d("2024-02-01"), d("2024-02-29")).days == 29
