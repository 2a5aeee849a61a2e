"""Which periods of a subscription to bill, and for how much: the rules of
``manage.py charge_subscriptions``, as plain functions without the database.

Blocks. A subscription whose offer has a billing period of N months is cut into
blocks of N calendar months counted from the first day of the month of its
subscription date: a 3-month subscription taken on 2026-02-10 has the blocks
February–April, May–July… The first block starts on the subscription date and the
last ends the day before the resign date (the first day not running), so a line bills
exactly the running days of its block.

Billing in advance. A run on day D bills every block part that starts on or before D
and is not billed yet: a run on the first day of a block bills the whole block, and a
run after missed days (cron down, subscription entered late with a past date) catches
up every block since.

Prorata. A full block has quantity 1. A partial block (first, last, or the rest of a
block after a resign date was moved later) has quantity = its running days / the days
of the full block, rounded half-up to 4 decimals; its unit amount is still the period
fees.

Already billed. Billing goes on from the day after the last billed day of the
subscription (``billed_until``). A block billed in full before a later resignation is
therefore not refunded (a credit note does that), and a resign date moved later bills
the days that were not billed. Days before ``billed_until`` are never billed again,
even if the subscription date is later moved back: that is a manual invoice.

Fees. ``initial_fees`` are billed once, with the first billing of the subscription
(the database keeps one initial-fee line per subscription). Non-billable offers are
never billed, not even their initial fees. A zero period fee gives no line: a free
offer creates no invoice. Beware that an offer whose period fees go from zero to a
price bills its subscriptions' running days since their last billed day (since their
start if never billed) at the new price: give paying subscribers a new offer instead.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from coin.billing.money import prorata
from coin.dates import add_months
from coin.offers.models import MAX_BILLING_PERIOD, MIN_BILLING_PERIOD

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Block:
    """N calendar months, both ends included."""

    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Period:
    """The part of a block to bill: ``start``–``end`` (included) of ``block``."""

    start: datetime.date
    end: datetime.date
    block: Block

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def quantity(self) -> Decimal:
        if self.days == self.block.days:
            return Decimal("1")
        return prorata(self.days, self.block.days)


def first_block_start(subscription_date: datetime.date) -> datetime.date:
    return subscription_date.replace(day=1)


def block_number(subscription_date: datetime.date, billing_period: int, day: datetime.date) -> int:
    """Index (from 0) of the block holding ``day``."""
    origin = first_block_start(subscription_date)
    months = (day.year - origin.year) * 12 + (day.month - origin.month)
    return months // billing_period


def block(subscription_date: datetime.date, billing_period: int, number: int) -> Block:
    """Block ``number`` (from 0) of a subscription. Raises ValueError for a billing
    period out of its bounds (1 to 120 months) or a block beyond year 9999."""
    if not MIN_BILLING_PERIOD <= billing_period <= MAX_BILLING_PERIOD:
        raise ValueError(
            f"the billing period is {billing_period} months: it must be from "
            f"{MIN_BILLING_PERIOD} to {MAX_BILLING_PERIOD} months"
        )
    origin = first_block_start(subscription_date)
    start = add_months(origin, number * billing_period)
    return Block(start, add_months(origin, (number + 1) * billing_period) - ONE_DAY)


def periods_to_bill(
    subscription_date: datetime.date,
    resign_date: datetime.date | None,
    billing_period: int,
    on: datetime.date,
    billed_until: datetime.date | None = None,
) -> list[Period]:
    """The periods to bill on day ``on``, oldest first.

    ``billed_until`` is the last day already billed for the subscription (None: never
    billed). Each period lies in one block, covers running days only, starts after
    ``billed_until`` and on or before ``on``.
    """
    first_day = subscription_date
    if billed_until is not None:
        first_day = max(first_day, billed_until + ONE_DAY)
    last_day = resign_date - ONE_DAY if resign_date is not None else None
    periods = []
    number = block_number(subscription_date, billing_period, first_day)
    while True:
        current = block(subscription_date, billing_period, number)
        start = max(current.start, first_day)
        end = current.end if last_day is None else min(current.end, last_day)
        if start > on or start > end:
            break
        periods.append(Period(start, end, current))
        number += 1
    return periods


def needs_initial_fees(initial_fees: Decimal, billed_before: bool) -> bool:
    """Initial fees go on the first invoice of a subscription, never again."""
    return initial_fees > 0 and not billed_before


@dataclass(frozen=True)
class SubscriptionCharge:
    """What a run bills for one subscription."""

    periods: list[Period]
    initial_fees: bool

    def __bool__(self) -> bool:
        return bool(self.periods) or self.initial_fees


def charge_for(
    *,
    subscription_date: datetime.date,
    resign_date: datetime.date | None,
    billing_period: int,
    period_fees: Decimal,
    initial_fees: Decimal,
    non_billable: bool,
    on: datetime.date,
    billed_until: datetime.date | None,
    billed_before: bool,
) -> SubscriptionCharge:
    """Everything to bill for a subscription on day ``on`` (see the module's rules).

    ``billed_before`` tells whether the subscription has any invoice line yet (periods
    or initial fees).
    """
    if non_billable or subscription_date > on:
        return SubscriptionCharge([], False)
    if resign_date is not None and resign_date <= subscription_date:
        return SubscriptionCharge([], False)  # resigned before it ever ran
    periods = []
    if period_fees > 0:
        periods = periods_to_bill(subscription_date, resign_date, billing_period, on, billed_until)
    return SubscriptionCharge(periods, needs_initial_fees(initial_fees, billed_before))
