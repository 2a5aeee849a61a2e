"""Payments pay the oldest open invoices; credit waits for the next ones; credit notes
lower what is due; the balance is payments − (invoices − credit notes)."""

import datetime
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from coin.billing.invoices import creditable_amount, issue_credit_note
from coin.billing.ledger import allocate, balance, balance_details, with_amounts, with_unallocated
from coin.billing.models import Invoice, Payment, PaymentAllocation
from coin.billing.payments import assign_payment, delete_payment, payment_saved, record_payment
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def state(member):
    """(number, status, remaining) of the member's invoices, oldest first."""
    return [
        (i.number, i.status, i.remaining)
        for i in with_amounts(Invoice.objects.validated().filter(member=member)).order_by("date", "number")
    ]


def credit(member) -> Decimal:
    return sum((p.unallocated for p in with_unallocated(Payment.objects.filter(member=member))), Decimal("0"))


def test_a_payment_pays_the_oldest_invoices_first(member, invoice_for, resumed):
    invoice_for(member, "10.00", "2025-01-10")
    invoice_for(member, "20.00", "2025-02-10")
    invoice_for(member, "30.00", "2025-02-10")
    record_payment(member, Decimal("25.00"), date=d("2025-03-01"))
    assert state(member) == [
        ("2025-01-000001", "closed", Decimal("0.00")),
        ("2025-02-000002", "open", Decimal("5.00")),
        ("2025-02-000003", "open", Decimal("30.00")),
    ]
    assert balance(member) == Decimal("-35.00")
    assert resumed == [member.pk]


def test_overpayment_stays_as_credit_for_the_next_invoices(member, invoice_for, resumed):
    invoice_for(member, "10.00", "2025-01-10")
    record_payment(member, Decimal("25.00"), date=d("2025-01-15"))
    assert credit(member) == Decimal("15.00") and balance(member) == Decimal("15.00")
    invoice_for(member, "10.00", "2025-02-10")
    third = invoice_for(member, "10.00", "2025-03-10")
    assert [s for _, s, _ in state(member)] == ["closed", "closed", "open"]
    assert state(member)[2][2] == Decimal("5.00")
    assert list(third.allocations.values_list("amount", flat=True)) == [Decimal("5.00")]
    assert credit(member) == 0 and balance(member) == Decimal("-5.00")


def test_disputed_invoices_wait(member, invoice_for, resumed):
    disputed = invoice_for(member, "10.00", "2025-01-10")
    Invoice.objects.filter(pk=disputed.pk).update(status=Invoice.Status.DISPUTED)
    invoice_for(member, "20.00", "2025-02-10")
    record_payment(member, Decimal("20.00"), date=d("2025-03-01"))
    assert [(s, r) for _, s, r in state(member)] == [
        ("disputed", Decimal("10.00")),
        ("closed", Decimal("0.00")),
    ]
    Invoice.objects.filter(pk=disputed.pk).update(status=Invoice.Status.OPEN)
    record_payment(member, Decimal("10.00"), date=d("2025-03-02"))
    assert [s for _, s, _ in state(member)] == ["closed", "closed"]


def test_drafts_and_other_members_invoices_are_not_paid(member, other_member, invoice_for, resumed):
    Invoice.objects.create(member=member, date=d("2025-01-01"))
    invoice_for(other_member, "10.00", "2025-01-10")
    record_payment(member, Decimal("10.00"), date=d("2025-01-15"))
    assert not PaymentAllocation.objects.exists()
    assert balance(member) == Decimal("10.00") and balance(other_member) == Decimal("-10.00")


def test_allocating_again_changes_nothing(member, invoice_for, resumed):
    invoice_for(member, "10.00", "2025-01-10")
    record_payment(member, Decimal("4.00"), date=d("2025-01-15"))
    assert allocate(member) == []
    assert PaymentAllocation.objects.count() == 1


def test_a_credit_note_lowers_what_is_due_and_can_close_the_invoice(member, invoice_for, resumed):
    invoice = invoice_for(member, "30.00", "2025-01-10")
    record_payment(member, Decimal("20.00"), date=d("2025-01-15"))
    issue_credit_note(invoice, Decimal("10.00"), "service down a week", d("2025-01-20"))
    assert state(member) == [("2025-01-000001", "closed", Decimal("0.00"))]
    assert balance(member) == Decimal("0.00")
    assert balance_details(member).credit_notes == Decimal("10.00")


def test_a_credit_note_on_a_paid_invoice_gives_the_money_back_as_credit(member, invoice_for, resumed):
    paid = invoice_for(member, "30.00", "2025-01-10")
    record_payment(member, Decimal("30.00"), date=d("2025-01-15"))
    later = invoice_for(member, "8.00", "2025-02-10")
    issue_credit_note(paid, Decimal("30.00"), "cancelled", d("2025-02-11"))
    # The 30 € paid the first invoice; now cancelled, they pay the second and 22 € remain.
    assert state(member) == [
        ("2025-01-000001", "closed", Decimal("0.00")),
        ("2025-02-000002", "closed", Decimal("0.00")),
    ]
    assert paid.allocations.count() == 0 and later.allocations.get().amount == Decimal("8.00")
    assert credit(member) == Decimal("22.00") == balance(member)


def test_a_credit_note_cannot_exceed_the_invoice(member, invoice_for, resumed):
    invoice = invoice_for(member, "30.00", "2025-01-10")
    issue_credit_note(invoice, Decimal("20.00"), "partly", d("2025-01-11"))
    with pytest.raises(ValidationError, match="10.00"):
        issue_credit_note(invoice, Decimal("10.01"), "too much", d("2025-01-12"))
    with pytest.raises(ValidationError, match="before its invoice"):
        issue_credit_note(invoice, Decimal("1"), "too early", d("2025-01-01"))
    draft = Invoice.objects.create(member=member, date=d("2025-01-10"))
    with pytest.raises(ValidationError, match="draft"):
        issue_credit_note(draft, Decimal("1"), "draft", d("2025-01-12"))


def test_deleting_a_payment_reopens_what_it_paid(member, invoice_for, resumed):
    invoice_for(member, "10.00", "2025-01-10")
    mistaken = record_payment(member, Decimal("10.00"), date=d("2025-01-15"))
    other = record_payment(member, Decimal("4.00"), date=d("2025-01-16"))
    delete_payment(mistaken)
    assert state(member) == [("2025-01-000001", "open", Decimal("6.00"))]
    assert other.allocations.get().amount == Decimal("4.00")


def test_correcting_a_payment_amount_allocates_again(member, invoice_for, resumed):
    invoice_for(member, "10.00", "2025-01-10")
    invoice_for(member, "10.00", "2025-01-11")
    payment = record_payment(member, Decimal("15.00"), date=d("2025-01-15"))
    previous = Payment.objects.get(pk=payment.pk)
    payment.amount = Decimal("20.00")
    payment.save()
    payment_saved(payment, previous)
    assert [s for _, s, _ in state(member)] == ["closed", "closed"]
    assert sum(a.amount for a in payment.allocations.all()) == Decimal("20.00")


def test_assigning_an_unmatched_payment_allocates_it(member, invoice_for, resumed):
    invoice_for(member, "10.00", "2025-01-10")
    payment = record_payment(None, Decimal("10.00"), date=d("2025-01-15"), label="VIR UNKNOWN")
    assert resumed == [] and balance(member) == Decimal("-10.00")
    assign_payment(payment, member)
    assert state(member)[0][1] == "closed"
    assert resumed == [member.pk]


def test_giving_a_payment_to_another_member_takes_it_back(member, other_member, invoice_for, resumed):
    mine = invoice_for(member, "10.00", "2025-01-10")
    payment = record_payment(member, Decimal("10.00"), date=d("2025-01-15"))
    assign_payment(payment, other_member)
    mine.refresh_from_db()
    assert mine.status == "open" and not mine.allocations.exists()
    assert balance(member) == Decimal("-10.00") and balance(other_member) == Decimal("10.00")


def test_a_payment_needs_a_positive_amount(member):
    with pytest.raises(ValidationError) as error:
        record_payment(member, Decimal("0"))
    assert "amount" in error.value.message_dict


# --- Property: whatever happens, the books balance ------------------------------------------------


def check_invariants(members, tally):
    for member in members:
        # The balance is what the test itself added up.
        assert balance(member) == tally[member.pk], member
        invoices = list(with_amounts(Invoice.objects.validated().filter(member=member)))
        payments = list(with_unallocated(Payment.objects.filter(member=member)))
        for invoice in invoices:
            assert 0 <= invoice.remaining <= invoice.total - invoice.credited
            assert (invoice.status == "closed") == (invoice.remaining == 0), invoice
        for payment in payments:
            assert 0 <= payment.unallocated <= payment.amount
        assert (
            not PaymentAllocation.objects.filter(payment__member=member)
            .exclude(invoice__member=member)
            .exists()
        )
        left = sum((p.unallocated for p in payments), Decimal("0"))
        due = sum((i.remaining for i in invoices), Decimal("0"))
        # Credit is never left beside an open invoice (no disputes in this run).
        assert left == 0 or due == 0
        assert left - due == tally[member.pk]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_balance_is_always_payments_minus_invoices_plus_credit_notes(
    member_factory, invoice_for, resumed, seed
):
    rng = random.Random(seed)
    members = [member_factory() for _ in range(2)]
    tally = {m.pk: Decimal("0") for m in members}
    day = d("2024-01-01")

    def cents(low, high):
        return Decimal(rng.randint(low, high)) / 100

    def pick(queryset):
        """A row chosen by the seeded generator among the rows in primary-key order
        (``order_by("?")`` would leave it to the database: not replayable)."""
        pks = list(queryset.order_by("pk").values_list("pk", flat=True))
        return queryset.get(pk=rng.choice(pks)) if pks else None

    for _step in range(40):
        day += datetime.timedelta(days=rng.randint(0, 3))
        member = rng.choice(members)
        action = rng.choice(["invoice", "invoice", "pay", "pay", "credit", "delete", "edit", "unmatched"])
        if action == "invoice":
            invoice = invoice_for(member, cents(1, 5000), day.isoformat())
            tally[member.pk] -= invoice.total
        elif action == "pay":
            amount = cents(1, 6000)
            record_payment(member, amount, date=day)
            tally[member.pk] += amount
        elif action == "credit":
            invoice = pick(Invoice.objects.validated().filter(member=member))
            if invoice is not None:
                available = creditable_amount(invoice)
                if available > 0:
                    amount = min(available, cents(1, 3000))
                    issue_credit_note(invoice, amount, "random", day)
                    tally[member.pk] += amount
        elif action == "delete":
            payment = pick(Payment.objects.filter(member=member))
            if payment is not None:
                delete_payment(payment)
                tally[member.pk] -= payment.amount
        elif action == "edit":
            payment = pick(Payment.objects.filter(member=member))
            if payment is not None:
                previous = Payment.objects.get(pk=payment.pk)
                payment.amount = cents(1, 6000)
                payment.save()
                payment_saved(payment, previous)
                tally[member.pk] += payment.amount - previous.amount
        elif action == "unmatched":
            amount = cents(1, 3000)
            payment = record_payment(None, amount, date=day)
            assign_payment(payment, member)
            tally[member.pk] += amount
        check_invariants(members, tally)
