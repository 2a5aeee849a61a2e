"""Benchmark of ``charge_subscriptions`` (coin.billing.charge_run).

    python -m tests.harness.postgres -- .venv/bin/python bench/bench_charge.py   (make bench)

Creates N members (10,000 by default), each with a running monthly subscription,
and times one run that bills them all: one validated, numbered invoice per member,
each in its own transaction (lines first, number last), credit allocated. PDFs and
emails are left out (the documents hook is replaced by a no-op): they happen in the
background worker, after the run.

The reference, measured in the same run on the same database, is a plain bulk insert
of the same invoices and lines (INSERT … VALUES in batches, then one UPDATE marking
them validated), rolled back afterwards. The ratio says what the guarantees cost:
gapless numbering under a lock, per-member atomicity, duplicate detection by
constraint, credit allocation. A second run, with nothing left to bill, shows the
cost of the daily run on a day without a new period. Without COIN_DATABASE_URL it
runs on an in-memory SQLite database instead.
"""

import argparse
import datetime
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "thirdparty")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coin.settings_test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from report import record  # noqa: E402  (bench/ is the script's folder)

from coin.billing import charge_run, documents  # noqa: E402
from coin.billing.invoices import due_date  # noqa: E402
from coin.billing.models import Invoice, InvoiceDetail  # noqa: E402
from coin.billing.numbering import INVOICE_SERIES, format_number  # noqa: E402
from coin.members.models import Member  # noqa: E402
from coin.offers.models import Offer, OfferSubscription  # noqa: E402

ON = datetime.date(2025, 3, 1)


def populate(count: int) -> None:
    offer = Offer.objects.create(name="VPN", reference="VPN", billing_period=1, period_fees=Decimal("10.00"))
    members = [
        Member(username=f"member{i:06d}", first_name="Bench", last_name=f"Member {i}", status="member")
        for i in range(count)
    ]
    for member in members:
        member.set_unusable_password()
    Member.objects.bulk_create(members, batch_size=2000)
    members = list(Member.objects.filter(username__startswith="member").order_by("pk"))
    # bulk_create: billing needs no configuration nor addresses (no provisioning here).
    OfferSubscription.objects.bulk_create(
        [OfferSubscription(member=m, offer=offer, subscription_date=ON) for m in members], batch_size=2000
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def reference_bulk_insert() -> float:
    """The same invoices and lines, inserted in bulk with no check, then rolled back."""
    plan = list(charge_run.plan(ON))
    start = time.perf_counter()
    with transaction.atomic():
        invoices = [
            Invoice(
                member=charge.member,
                date=ON,
                date_due=due_date(ON),
                number=format_number(INVOICE_SERIES, ON, index),
                total=charge.total,
            )
            for index, charge in enumerate(plan, start=1)
        ]
        Invoice.objects.bulk_create(invoices, batch_size=1000)
        InvoiceDetail.objects.bulk_create(
            [
                line.detail(invoice)
                for invoice, charge in zip(invoices, plan, strict=True)
                for line in charge.lines
            ],
            batch_size=1000,
        )
        Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update_drafts(validated_at=timezone.now())
        elapsed = time.perf_counter() - start
        transaction.set_rollback(True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()
    # Without PDFs: the documents part would only queue background work here.
    documents.on_invoice_validated = lambda invoice: None

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; {args.members} members with a monthly subscription; date {ON}")
    populate(args.members)

    reference = reference_bulk_insert()
    print(f"plain bulk insert of the invoices and lines: {reference:8.2f} s")

    start = time.perf_counter()
    report = charge_run.charge_subscriptions(ON)
    elapsed = time.perf_counter() - start
    assert len(report.invoices) == args.members and not report.skipped and not report.failed, report.summary()
    assert Invoice.objects.validated().count() == args.members
    print(
        f"charge_subscriptions:                        {elapsed:8.2f} s "
        f"({args.members / elapsed:,.0f} invoices/s, {1000 * elapsed / args.members:.2f} ms per member)"
    )
    print(f"ratio charge_subscriptions / bulk insert:    {elapsed / reference:8.1f}")
    record(
        f"charge_subscriptions, {args.members:,} members",
        "bulk insert of the same invoices",
        elapsed / reference,
        2,
    )

    start = time.perf_counter()
    again = charge_run.charge_subscriptions(ON + datetime.timedelta(days=1))
    idle = time.perf_counter() - start
    assert not again.invoices
    print(f"next day's run, nothing to bill:             {idle:8.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
