"""Two runs at once, on PostgreSQL: no period billed twice, no gap in the numbers.

Each run is a thread with its own database connection; a barrier starts them
together. The test database is real (transactional_db), as in production.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from coin.billing import charge_run
from coin.billing.charge_run import charge_subscriptions
from coin.billing.invoices import Line, issue_invoice
from coin.billing.models import Invoice, InvoiceDetail
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def run_together(target, count: int = 2) -> list:
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def worker(index):
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def assert_gapless(numbers: list[str], year: int) -> None:
    counters = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert counters == list(range(1, len(numbers) + 1))
    assert all(number.startswith(f"{year}-") for number in numbers)


def test_two_charge_runs_at_once_bill_each_period_once(member_factory, vpn, offer_factory, subscribe):
    quarterly = offer_factory(billing_period=3, period_fees=Decimal("27"), initial_fees=Decimal("5"))
    members = [member_factory() for _ in range(30)]
    for person in members:
        subscribe(person, vpn, "2025-01-20")
        subscribe(person, quarterly, "2025-02-10")

    reports = run_together(lambda _i: charge_subscriptions(d("2025-03-01")))

    issued = sum(report.issued for report in reports)
    skipped = sum(len(report.skipped) for report in reports)
    assert not any(report.failed for report in reports)
    # Each member is invoiced once. The other run skipped the members it had planned
    # too (when both planned before either committed) or found nothing left to bill
    # (when it planned after the first run committed): timing decides, not the rules.
    assert issued == 30 and 30 <= issued + skipped <= 60
    assert Invoice.objects.count() == 30  # the losers' drafts were rolled back
    assert sorted(Invoice.objects.values_list("member", flat=True)) == sorted(m.pk for m in members)
    # Each (subscription, period) once: January, February, March and the quarter, and initial fees.
    assert InvoiceDetail.objects.count() == 30 * 5
    assert_gapless(list(Invoice.objects.values_list("number", flat=True)), 2025)


def test_concurrent_validations_share_one_gapless_series(member_factory):
    members = [member_factory() for _ in range(4)]

    def issue_many(index):
        return [
            issue_invoice(members[index], [Line("x", Decimal("1"))], d("2025-03-01")).number
            for _ in range(15)
        ]

    numbers = [n for batch in run_together(issue_many, count=4) for n in batch]
    assert len(set(numbers)) == 60
    assert_gapless(numbers, 2025)


def test_two_runs_in_small_batches_race_batch_by_batch(
    member_factory, vpn, offer_factory, subscribe, monkeypatch
):
    """Batches of a few members, so that the runs meet in many batches: a batch that
    meets the other run's lines waits for it, then skips those members without using
    a number."""
    monkeypatch.setattr(charge_run, "BATCH_SIZE", 4)
    quarterly = offer_factory(billing_period=3, period_fees=Decimal("27"), initial_fees=Decimal("5"))
    members = [member_factory() for _ in range(30)]
    for person in members:
        subscribe(person, vpn, "2025-01-20")
        subscribe(person, quarterly, "2025-02-10")

    reports = run_together(lambda _i: charge_subscriptions(d("2025-03-01")))

    assert not any(report.failed for report in reports)
    assert sum(report.issued for report in reports) == 30
    assert sum(len(report.skipped) for report in reports) <= 30  # as many as both runs planned
    assert Invoice.objects.count() == 30
    assert InvoiceDetail.objects.count() == 30 * 5
    assert_gapless(list(Invoice.objects.values_list("number", flat=True)), 2025)


def test_two_runs_reading_small_pages_race_page_by_page(
    member_factory, vpn, offer_factory, subscribe, monkeypatch
):
    """Pages of 5 subscriptions (two per member: a page ends inside a member) and
    batches of 3 members: each run plans a page while the other issues, so one plans
    members the other has just billed (it finds nothing left, or is refused by the
    constraints and skips them); still each period once, numbers gapless, no member
    failed, and a skipped member's draft rolled back whole."""
    monkeypatch.setattr(charge_run, "PAGE_SIZE", 5)
    monkeypatch.setattr(charge_run, "BATCH_SIZE", 3)
    quarterly = offer_factory(billing_period=3, period_fees=Decimal("27"), initial_fees=Decimal("5"))
    members = [member_factory() for _ in range(24)]
    for person in members:
        subscribe(person, vpn, "2025-01-20")
        subscribe(person, quarterly, "2025-02-10")

    reports = run_together(lambda _i: charge_subscriptions(d("2025-03-01")))

    assert not any(report.failed or report.failed_subscriptions for report in reports)
    assert sum(report.issued for report in reports) == 24
    assert Invoice.objects.count() == 24 and not Invoice.objects.drafts().exists()
    assert sorted(Invoice.objects.values_list("member", flat=True)) == sorted(m.pk for m in members)
    assert InvoiceDetail.objects.count() == 24 * 5
    assert_gapless(list(Invoice.objects.values_list("number", flat=True)), 2025)


def test_a_run_and_single_invoices_of_the_same_members_share_the_series(member_factory, vpn, subscribe):
    """A batch locks its members (by id), then the sequence; issue_invoice locks its
    member, then the sequence: the same order, so they wait for each other without
    deadlock and the numbers stay gapless."""
    members = [member_factory() for _ in range(40)]
    for person in members:
        subscribe(person, vpn, "2025-03-01")

    def work(index):
        if index == 0:
            return charge_subscriptions(d("2025-03-01"))
        for person in reversed(members[::3]):
            issue_invoice(person, [Line("Hardware", Decimal("30"))], d("2025-03-01"))
        return None

    report, _ = run_together(work)
    assert report.issued == 40 and not report.failed and not report.skipped
    assert Invoice.objects.count() == 40 + len(members[::3])
    assert_gapless(list(Invoice.objects.values_list("number", flat=True)), 2025)
