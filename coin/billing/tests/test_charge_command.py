"""manage.py charge_subscriptions against the database: one invoice per member,
idempotent, catch-up, fees, races reported without gaps, summary and dry run."""

from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from coin.billing import charge_run
from coin.billing.charge_run import charge_subscriptions, subscriptions_to_charge
from coin.billing.models import Invoice, InvoiceDetail, NumberSequence
from coin.billing.payments import record_payment
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def charge(on: str, *args) -> str:
    out = StringIO()
    call_command("charge_subscriptions", "--date", on, *args, stdout=out, stderr=out)
    return out.getvalue()


def lines_of(invoice):
    return [
        (line.period_from and line.period_from.isoformat(), line.quantity, line.total, line.is_initial_fee)
        for line in invoice.details.order_by("pk")
    ]


def test_first_run_bills_from_the_subscription_date_with_initial_fees(member, offer_factory, subscribe):
    offer = offer_factory(
        name="VPN", reference="VPN", period_fees=Decimal("10.00"), initial_fees=Decimal("15")
    )
    subscription = subscribe(member, offer, "2025-01-15")
    output = charge("2025-03-01")
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.member, invoice.date, invoice.date_due) == (
        "2025-03-000001",
        member,
        d("2025-03-01"),
        d("2025-03-31"),
    )
    assert lines_of(invoice) == [
        (None, Decimal("1"), Decimal("15.00"), True),
        ("2025-01-15", Decimal("0.5484"), Decimal("5.48"), False),
        ("2025-02-01", Decimal("1"), Decimal("10.00"), False),
        ("2025-03-01", Decimal("1"), Decimal("10.00"), False),
    ]
    assert invoice.total == Decimal("40.48")
    assert invoice.status == Invoice.Status.OPEN and invoice.is_validated
    period = invoice.details.get(period_from=d("2025-02-01"))
    assert (period.period_to, period.offersubscription) == (d("2025-02-28"), subscription)
    assert "REF-VPN-" in period.label
    assert "1 invoice(s) issued, 4 line(s), 40.48 in all" in output


def test_running_twice_bills_nothing_more(member, vpn, subscribe):
    subscribe(member, vpn, "2025-01-01")
    charge("2025-03-01")
    output = charge("2025-03-01")
    assert "0 invoice(s) issued" in output
    output = charge("2025-03-20")
    assert "0 invoice(s) issued" in output
    assert Invoice.objects.count() == 1
    assert InvoiceDetail.objects.count() == 3


def test_each_month_gets_its_invoice_and_numbers_follow(member, vpn, subscribe):
    subscribe(member, vpn, "2025-01-01")
    for on in ["2025-01-01", "2025-02-01", "2025-02-15", "2025-03-01"]:
        charge(on)
    assert list(Invoice.objects.order_by("number").values_list("number", "total")) == [
        ("2025-01-000001", Decimal("10.00")),
        ("2025-02-000002", Decimal("10.00")),
        ("2025-03-000003", Decimal("10.00")),
    ]


def test_all_of_a_members_lines_go_on_one_invoice(member, other_member, vpn, offer_factory, subscribe):
    quarterly = offer_factory(name="Fibre", reference="FTTH", billing_period=3, period_fees=Decimal("90"))
    subscribe(member, vpn, "2025-03-01")
    subscribe(member, quarterly, "2025-03-01")
    subscribe(other_member, vpn, "2025-03-10")
    charge("2025-03-10")
    mine, theirs = Invoice.objects.order_by("number")
    assert (mine.member, theirs.member) == (member, other_member)
    assert (mine.number, theirs.number) == ("2025-03-000001", "2025-03-000002")
    assert mine.details.count() == 2 and mine.total == Decimal("100.00")
    assert theirs.total == Decimal("7.10")  # 22/31 = 0.7097 × 10


def test_resignation_before_billing_bills_up_to_the_last_running_day(member, vpn, subscribe):
    subscription = subscribe(member, vpn, "2025-01-01")
    charge("2025-02-01")
    subscription.resign_date = d("2025-03-10")
    subscription.save(update_fields=["resign_date"])
    charge("2025-03-15")  # cron missed 1 March: still billed, up to 9 March
    last = Invoice.objects.order_by("-number").first()
    assert lines_of(last) == [("2025-03-01", Decimal("0.2903"), Decimal("2.90"), False)]
    assert "0 invoice(s)" in charge("2025-04-01")
    assert not subscriptions_to_charge(d("2025-04-01")).exists()


def test_a_block_billed_before_a_later_resignation_is_not_refunded(member, vpn, subscribe):
    subscription = subscribe(member, vpn, "2025-03-01")
    charge("2025-03-01")
    subscription.resign_date = d("2025-03-10")
    subscription.save(update_fields=["resign_date"])
    assert "0 invoice(s)" in charge("2025-04-01")
    assert Invoice.objects.get().total == Decimal("10.00")


def test_non_billable_and_free_offers_make_no_invoice(member, offer_factory, subscribe):
    subscribe(member, offer_factory(non_billable=True, initial_fees=Decimal("20")), "2025-01-01")
    subscribe(member, offer_factory(period_fees=Decimal("0")), "2025-01-01")
    assert "0 invoice(s)" in charge("2025-03-01")
    assert not Invoice.objects.exists()


def test_zero_period_fees_with_initial_fees_bill_them_once(member, offer_factory, subscribe):
    subscribe(member, offer_factory(period_fees=Decimal("0"), initial_fees=Decimal("25")), "2025-01-01")
    charge("2025-01-01")
    charge("2025-02-01")
    assert list(InvoiceDetail.objects.values_list("is_initial_fee", "total")) == [(True, Decimal("25.00"))]


def test_subscriptions_not_started_or_resigned_on_their_first_day_are_left_out(member, vpn, subscribe):
    subscribe(member, vpn, "2025-04-01")
    subscribe(member, vpn, "2025-01-01", resign="2025-01-01")
    assert "0 invoice(s)" in charge("2025-03-01")


def test_member_credit_pays_the_new_invoice(member, vpn, subscribe):
    record_payment(member, Decimal("25.00"), date=d("2025-02-20"))
    subscribe(member, vpn, "2025-03-01")
    charge("2025-03-01")
    invoice = Invoice.objects.get()
    assert invoice.status == Invoice.Status.CLOSED
    assert invoice.allocations.get().amount == Decimal("10.00")


def test_dry_run_bills_nothing_and_shows_the_lines(member, vpn, subscribe):
    subscribe(member, vpn, "2025-03-15")
    output = charge("2025-03-15", "--dry-run")
    assert "would be issued (dry run)" in output
    assert "camille" in output and "× 0.5484 = 5.48" in output
    assert not Invoice.objects.exists() and not NumberSequence.objects.exists()


def test_verbosity_lists_the_invoices(member, vpn, subscribe):
    subscribe(member, vpn, "2025-03-01")
    output = charge("2025-03-01", "--verbosity", "2")
    assert "2025-03-000001 camille: 10.00 (1 line(s))" in output


def test_a_period_billed_meanwhile_skips_that_member_without_a_gap(member, other_member, vpn, subscribe):
    """What a concurrent run looks like from the loser's side: it planned before the
    winner's line was in, so the unique constraint refuses its line of the same period;
    that member's invoice is rolled back whole, without using a number."""
    mine = subscribe(member, vpn, "2025-03-01")
    subscribe(other_member, vpn, "2025-03-01")
    planned = list(charge_run.plan(d("2025-03-01")))
    winner = Invoice.objects.create(member=member, date=d("2025-03-01"))
    InvoiceDetail.objects.create(
        invoice=winner,
        label="March",
        amount=Decimal("10"),
        period_from=d("2025-03-01"),
        period_to=d("2025-03-31"),
        offersubscription=mine,
    )
    with mock.patch.object(charge_run, "plan", return_value=iter(planned)):
        report = charge_subscriptions(d("2025-03-01"), keep_invoices=True)
    assert [charge.member for charge, _reason in report.skipped] == [member]
    assert [charge.member for charge in report.invoices] == [other_member]
    assert report.invoices[0].invoice.number == "2025-03-000001"  # no number lost
    assert Invoice.objects.validated().count() == 1
    assert InvoiceDetail.objects.filter(offersubscription=mine).count() == 1
    assert "1 member(s) skipped" in report.summary()


def test_a_date_before_the_last_invoice_stops_the_run(member, vpn, subscribe, invoice_for):
    invoice_for(member, "5", "2025-03-10")
    subscribe(member, vpn, "2025-03-01")
    with pytest.raises(CommandError, match="2025-03-10"):
        charge("2025-03-05")
    assert Invoice.objects.count() == 1


def test_a_future_date_is_refused(db):
    with pytest.raises(CommandError, match="future"):
        charge("2999-01-01")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        charge("01/03/2025")


def test_queries_do_not_grow_per_subscription(
    member_factory, vpn, offer_factory, subscribe, django_assert_max_num_queries
):
    """Planning is a few queries whatever the number of subscriptions; issuing costs a
    fixed number of queries per member (not per subscription)."""
    yearly = offer_factory(billing_period=12, period_fees=Decimal("100"))
    members = [member_factory() for _ in range(10)]
    for person in members:
        subscribe(person, vpn, "2024-06-15")
        subscribe(person, yearly, "2024-06-15")
    with django_assert_max_num_queries(3):  # jit off, the page, its offers (once per run)
        planned = list(charge_run.plan(d("2025-03-01")))
    assert len(planned) == 10 and all(len(c.lines) == 11 for c in planned)
    with django_assert_max_num_queries(10 * 14):
        charge_subscriptions(d("2025-03-01"))
    assert Invoice.objects.count() == 10
