"""Payments: the services that record, correct and assign them.

Each of them changes the ledger (ledger.py) and then calls ``settle()``: the members'
money is allocated to their invoices, and the service of members who paid is resumed
(suspension.py). ``settle()`` is the one place where "allocate, then resume" is
written: the admin, the API, bank imports and credit notes all go through it.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from coin.billing import suspension
from coin.billing.ledger import allocate, allocate_to_invoice, release
from coin.billing.models import Payment, PaymentAllocation
from coin.members.models import Member


def settle(member_ids: Iterable[int | None], targets: Iterable[tuple[int, int]] = ()) -> None:
    """Allocate, then let the suspension rules resume the service of members who paid.

    ``targets``: (payment id, invoice id) pairs of payments that name their invoice (an
    RF creditor reference, a direct-debit collection): each pays its invoice first."""
    for payment_id, invoice_id in targets:
        allocate_to_invoice(payment_id, invoice_id)
    for member_id in sorted({m for m in member_ids if m is not None}):
        allocate(member_id)
        suspension.resume_if_paid(Member.objects.get(pk=member_id))


def record_payment(
    member: Member | None,
    amount: Decimal,
    *,
    date: datetime.date | None = None,
    payment_mean: str = Payment.PaymentMean.TRANSFER,
    label: str = "",
) -> Payment:
    """Record money received and allocate it (a member of None: not matched yet)."""
    with transaction.atomic():
        payment = Payment(member=member, amount=amount, payment_mean=payment_mean, label=label)
        if date is not None:
            payment.date = date
        payment.full_clean()
        payment.save()
        settle([payment.member_id])
    return payment


def payment_saved(payment: Payment, previous: Payment | None) -> None:
    """After a payment was created or edited (admin): allocate it, and if its member or
    amount changed, take back what it paid before and allocate again."""
    with transaction.atomic():
        members = {payment.member_id}
        if previous is not None and (previous.member_id, previous.amount) != (
            payment.member_id,
            payment.amount,
        ):
            members |= release(PaymentAllocation.objects.filter(payment=payment))
            members.add(previous.member_id)
        settle(members)


def assign_payment(payment: Payment, member: Member) -> Payment:
    """Give an unmatched (imported) payment to its member and allocate it."""
    with transaction.atomic():
        previous = Payment.objects.select_for_update().get(pk=payment.pk)
        payment.member = member
        payment.save(update_fields=["member"])
        payment_saved(payment, previous)
    return payment


def delete_payment(payment: Payment) -> None:
    """Delete a payment entered by mistake: the invoices it paid are open again, and the
    member's other credit is allocated to them."""
    with transaction.atomic():
        members = release(PaymentAllocation.objects.filter(payment=payment)) | {payment.member_id}
        payment.delete()
        settle(members)
