"""Money arithmetic: Decimal only, rounded half-up to the cent once per line.

Rounding each line (not the invoice total) is what a reader of the PDF can check by
hand: every printed line total is exact, and the invoice total is their plain sum.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict


class MoneyDigits(TypedDict):
    max_digits: int
    decimal_places: int


# Every amount column: up to 9,999,999,999.99.
MONEY: MoneyDigits = {"max_digits": 12, "decimal_places": 2}

CENT = Decimal("0.01")
QUANTITY_STEP = Decimal("0.0001")
HUNDRED = Decimal("100")


def round_money(value: Decimal) -> Decimal:
    """Half-up to the cent: 0.125 → 0.13 (banks and invoices round half up, not to even)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(amount: Decimal, quantity: Decimal, tax: Decimal = Decimal("0")) -> Decimal:
    """amount × quantity × (1 + tax/100), rounded half-up to cents."""
    amount, quantity, tax = Decimal(amount), Decimal(quantity), Decimal(tax)
    return round_money(amount * quantity * (1 + tax / HUNDRED))


def prorata(days: int, of_days: int) -> Decimal:
    """Share of a period, 4 decimals, half-up: 10 days of a 31-day month → 0.3226."""
    if of_days <= 0:
        raise ValueError("a period has at least one day")
    return (Decimal(days) / Decimal(of_days)).quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)
