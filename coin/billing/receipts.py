"""Receipts: the acknowledgement of a membership fee or a donation that was paid.

A receipt is not a debt: it stays out of invoices, payments and the balance. It has
its own gapless number series ``R-YYYY-NNNNNN`` (numbering.py), taken when it is
issued, and never changes afterwards.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from coin.billing import documents
from coin.billing.models import Receipt
from coin.billing.numbering import RECEIPT_SERIES, next_number
from coin.members.models import Member, MembershipFee


def issue_receipt(
    *,
    member: Member,
    kind: str,
    amount: Decimal,
    label: str,
    receipt_date: datetime.date | None = None,
    membership_fee: MembershipFee | None = None,
) -> Receipt:
    """Number and store a receipt."""
    receipt_date = receipt_date or timezone.localdate()
    with transaction.atomic():
        receipt = Receipt(
            member=member,
            kind=kind,
            amount=amount,
            label=label,
            date=receipt_date,
            membership_fee=membership_fee,
        )
        receipt.full_clean(exclude=["number"])
        receipt.number = next_number(RECEIPT_SERIES, receipt_date)
        receipt.save()
        documents.on_receipt_issued(receipt)
    return receipt


def create_fee_receipt(fee: MembershipFee, receipt_date: datetime.date | None = None) -> Receipt:
    """The receipt of a paid membership fee (one per fee; the existing one if issued)."""
    existing = Receipt.objects.filter(membership_fee=fee).first()
    if existing is not None:
        return existing
    if fee.amount <= 0:
        raise ValidationError(_("A free membership fee gets no receipt."))
    label = _("Membership fee from %(start)s to %(end)s") % {
        "start": date_format(fee.start_date, "SHORT_DATE_FORMAT"),
        "end": date_format(fee.end_date, "SHORT_DATE_FORMAT"),
    }
    return issue_receipt(
        member=fee.member,
        kind=Receipt.Kind.MEMBERSHIP_FEE,
        amount=fee.amount,
        label=label,
        receipt_date=receipt_date,
        membership_fee=fee,
    )


def create_donation_receipt(
    member: Member, amount: Decimal, label: str = "", receipt_date: datetime.date | None = None
) -> Receipt:
    return issue_receipt(
        member=member,
        kind=Receipt.Kind.DONATION,
        amount=amount,
        label=label or _("Donation"),
        receipt_date=receipt_date,
    )
