"""Receipts of membership fees and donations: their own gapless series R-YYYY-NNNNNN."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from coin.billing.ledger import balance
from coin.billing.models import ImmutableRecordError, Receipt
from coin.billing.receipts import create_donation_receipt, create_fee_receipt
from coin.billing.tests.conftest import d
from coin.members.models import MembershipFee

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_a_fee_gets_one_numbered_receipt(member):
    fee = MembershipFee.objects.create(member=member, amount=Decimal("20.00"), start_date=d("2025-01-15"))
    receipt = create_fee_receipt(fee, d("2025-01-20"))
    assert (receipt.number, receipt.kind, receipt.member, receipt.amount) == (
        "R-2025-000001",
        Receipt.Kind.MEMBERSHIP_FEE,
        member,
        Decimal("20.00"),
    )
    assert "01/15/2025" in receipt.label and "01/14/2026" in receipt.label  # the language's short dates
    assert create_fee_receipt(fee) == receipt  # once per fee
    assert balance(member) == 0  # a receipt is not a debt


def test_series_runs_over_the_year_and_restarts(member):
    numbers = [
        create_donation_receipt(member, Decimal("5"), receipt_date=d(day)).number
        for day in ["2024-12-30", "2024-12-31", "2025-01-02"]
    ]
    assert numbers == ["R-2024-000001", "R-2024-000002", "R-2025-000001"]


def test_free_fees_get_no_receipt_and_receipts_do_not_change(member):
    free = MembershipFee.objects.create(member=member, amount=Decimal("0"), start_date=d("2025-01-15"))
    with pytest.raises(ValidationError):
        create_fee_receipt(free)
    receipt = create_donation_receipt(member, Decimal("5"), receipt_date=d("2025-01-02"))
    receipt.amount = Decimal("50")
    with pytest.raises(ImmutableRecordError):
        receipt.save()
    receipt.refresh_from_db()
    receipt.pdf.name = "receipts/R-2025-000001.pdf"
    receipt.save()
