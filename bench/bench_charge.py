"""Benchmark of ``charge_subscriptions`` (coin.billing.charge_run).

    python -m tests.harness.postgres -- .venv/bin/python bench/bench_charge.py   (make bench)
    ... bench/bench_charge.py --members 10000                    (one size only, about a minute)

For each size (10,000 and 100,000 members by default, each in a process of its own so
that its memory is its own), creates the members, each with a running monthly
subscription (one INSERT … SELECT FROM generate_series on PostgreSQL), and times a
run that bills them all: one validated, numbered invoice per member, issued by
batches of members (lines first, numbers last), credit allocated, and the PDFs and
emails queued for the background worker as in production (the database task
backend: queueing is part of the run; rendering and sending happen in the worker,
after it).

The reference, measured in the same process on the same database, is a plain bulk
insert of the same invoices and lines (bulk_create in batches of 1,000, then one
UPDATE marking them validated), rolled back afterwards; what it inserts is planned
before its clock starts. The ratio says what the run costs over that floor: reading
and planning the subscriptions, gapless numbering under a lock, per-member
atomicity, duplicate detection by constraint, credit allocation, queueing. Each of
``--rounds`` rounds empties the billing tables and measures both; the ratio is of
the best of each (a busy machine slows some rounds, not the code).

Also printed: the statements per batch of members, the peak memory the run adds to
the process (resident set, sampled), and a second run with nothing left to bill (the
cost of the daily run on a day without a new period). Without COIN_DATABASE_URL it
runs on an in-memory SQLite database instead (one size at a time).
"""

import argparse
import datetime
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "thirdparty")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coin.settings_test")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

# Tasks are queued in the database, as in production (settings_base), not run at once
# as in the tests: the run pays for queueing, the worker for rendering. Set before
# django.setup(), which may already reach the task backends (and keep their settings).
settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
django.setup()
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from report import record  # noqa: E402  (bench/ is the script's folder)

from coin.billing import charge_run  # noqa: E402
from coin.billing.invoices import due_date  # noqa: E402
from coin.billing.models import Invoice, InvoiceDetail  # noqa: E402
from coin.billing.numbering import INVOICE_SERIES, format_number  # noqa: E402
from coin.members.models import Member  # noqa: E402
from coin.offers.models import Offer, OfferSubscription  # noqa: E402

ON = datetime.date(2025, 3, 1)
SIZES = (10_000, 100_000)
# The floor's batches: what bulk_create does best here (larger ones gain nothing).
REFERENCE_BATCH = 1000


# --- The database ---------------------------------------------------------------------------


def truncate(*tables: str) -> None:
    """Empty ``tables``. On PostgreSQL their statistics become unknown again, as after
    migrate; an ANALYZE of the empty billing tables would have the planner believe
    them empty for the whole run and look up each line's invoice (the immutability
    trigger) by a sequential scan, a run's time growing with the square of its size."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


BILLING_TABLES = (
    "billing_invoicedetail",
    "billing_invoice",
    "billing_numbersequence",
    "django_tasks_database_dbtaskresult",
)


def insert_select(model, source: str, computed: dict[str, str], params: tuple = ()) -> None:
    """INSERT INTO model's table SELECT … ``source``: the ``computed`` columns (field
    name → SQL), every other column its field's default, as the ORM would store it."""
    columns, values, constants = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.name not in computed:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in computed:
            values.append(computed[field.name])
        else:
            values.append("%s")
            constants.append(field.get_db_prep_save(field.get_default(), connection))
    # The defaults come first in the statement's parameters, then the source's.
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants, *params])


def populate(count: int) -> None:
    """``count`` members (status member), each with the monthly VPN from ON."""
    offer = Offer.objects.create(name="VPN", reference="VPN", billing_period=1, period_fees=Decimal("10.00"))
    if connection.vendor == "postgresql":
        insert_select(
            Member,
            "FROM generate_series(1, %s) AS i",
            {
                "username": "'member' || lpad(i::text, 6, '0')",
                "password": "'!' || md5(i::text)",  # unusable, as set_unusable_password()
                "first_name": "'Bench'",
                "last_name": "'Member ' || i",
                "status": "'member'",
            },
            (count,),
        )
        insert_select(
            OfferSubscription,
            "FROM members_member m WHERE m.username LIKE 'member%%' ORDER BY m.id",
            # our own constants, not input: written in the statement
            {"member": "m.id", "offer": str(int(offer.pk)), "subscription_date": f"DATE '{ON.isoformat()}'"},
        )
    else:
        members = [
            Member(username=f"member{i:06d}", first_name="Bench", last_name=f"Member {i}", status="member")
            for i in range(count)
        ]
        for member in members:
            member.set_unusable_password()
        Member.objects.bulk_create(members, batch_size=2000)
        OfferSubscription.objects.bulk_create(
            [
                OfferSubscription(member_id=pk, offer=offer, subscription_date=ON)
                for pk in Member.objects.order_by("pk").values_list("pk", flat=True)
            ],
            batch_size=2000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("members_member", "offers_offer", "offers_offersubscription"):
                cursor.execute(f"VACUUM ANALYZE {table}")


# --- The floor ------------------------------------------------------------------------------


def reference_bulk_insert() -> float:
    """The same invoices and lines, inserted in bulk with no check, then rolled back.

    Planned a chunk at a time (not timed), inserted by bulk_create (timed, with the
    building of the rows), so that the floor holds no more in memory than the run."""
    charges = charge_run.plan(ON)
    index = 0
    elapsed = 0.0
    with transaction.atomic():
        invoice_ids = []
        while chunk := list(islice(charges, 10 * REFERENCE_BATCH)):
            start = time.perf_counter()
            invoices = [
                Invoice(
                    member=charge.member,
                    date=ON,
                    date_due=due_date(ON),
                    number=format_number(INVOICE_SERIES, ON, index + offset),
                    total=charge.total,
                )
                for offset, charge in enumerate(chunk, start=1)
            ]
            Invoice.objects.bulk_create(invoices, batch_size=REFERENCE_BATCH)
            InvoiceDetail.objects.bulk_create(
                [
                    line.detail(invoice)
                    for invoice, charge in zip(invoices, chunk, strict=True)
                    for line in charge.lines
                ],
                batch_size=REFERENCE_BATCH,
            )
            invoice_ids += [invoice.pk for invoice in invoices]
            index += len(chunk)
            elapsed += time.perf_counter() - start
        start = time.perf_counter()
        Invoice.objects.filter(pk__in=invoice_ids).update_drafts(validated_at=timezone.now())
        elapsed += time.perf_counter() - start
        transaction.set_rollback(True)
    return elapsed


# --- The run --------------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """The largest resident set of the process while it runs, sampled every 5 ms."""

    def __init__(self) -> None:
        self.peak = self.start = 0
        self._stop = threading.Event()

    def __enter__(self) -> "PeakMemory":
        gc.collect()
        self.peak = self.start = rss_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def added(self) -> int:
        return self.peak - self.start


class CountStatements:
    """Statements sent to the database (an execute wrapper: nothing kept per statement)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed_run(members: int) -> tuple[float, int, int]:
    """(seconds, statements, bytes of memory added) of one run billing every member."""
    counter = CountStatements()
    with PeakMemory() as memory, connection.execute_wrapper(counter):
        start = time.perf_counter()
        report = charge_run.charge_subscriptions(ON)
        elapsed = time.perf_counter() - start
    assert report.issued == members and not report.skipped and not report.has_failures, report.summary()
    assert not report.invoices  # nothing kept: the memory does not grow with the members
    assert Invoice.objects.validated().count() == members
    from django_tasks_db.models import DBTaskResult

    batches = -(-members // charge_run.BATCH_SIZE)
    assert DBTaskResult.objects.count() == 2 * batches, "two background tasks per batch"
    return elapsed, counter.count, memory.added


def bench(members: int, rounds: int) -> dict:
    truncate("members_member", "offers_offer", *BILLING_TABLES)
    start = time.perf_counter()
    populate(members)
    print(f"\n{members:,} members with a monthly subscription, date {ON} ({connection.vendor})")
    print(f"  created in {time.perf_counter() - start:.1f} s")
    runs, references = [], []
    statements = memory = 0
    for round_ in range(rounds):
        truncate(*BILLING_TABLES)
        elapsed, statements, added = timed_run(members)
        memory = memory or added  # the first run's: later ones reuse the floor's freed memory
        runs.append(elapsed)
        if round_ == 0:
            start = time.perf_counter()
            idle = charge_run.charge_subscriptions(ON + datetime.timedelta(days=1))
            idle_time = time.perf_counter() - start
            assert not idle.issued
        truncate(*BILLING_TABLES)
        references.append(reference_bulk_insert())
        print(f"  round {round_ + 1}: run {elapsed:7.2f} s, bulk insert {references[-1]:7.2f} s")
    run, reference = min(runs), min(references)
    batches = -(-members // charge_run.BATCH_SIZE)
    figures = {
        "members": members,
        "run_s": run,
        "reference_s": reference,
        "ratio": run / reference,
        "ms_per_member": 1000 * run / members,
        "floor_ms_per_member": 1000 * reference / members,
        "statements": statements,
        "batches": batches,
        "statements_per_batch": statements / batches,
        "peak_memory_mb": memory / 2**20,
        "idle_s": idle_time,
    }
    print(
        f"  charge_subscriptions (best of {rounds}): {run:7.2f} s,"
        f" {figures['ms_per_member']:.3f} ms per member"
        f"\n  bulk insert floor (best of {rounds}):   {reference:7.2f} s,"
        f" {figures['floor_ms_per_member']:.3f} ms per member"
        f"\n  ratio:                               {figures['ratio']:7.2f}"
        f"\n  statements: {statements} for {batches} batches of {charge_run.BATCH_SIZE} members"
        f" ({figures['statements_per_batch']:.1f} per batch, pages of subscriptions included)"
        f"\n  memory added by the run (peak resident set): {figures['peak_memory_mb']:.1f} MB"
        f"\n  next day's run, nothing to bill: {idle_time:.2f} s"
    )
    record(
        f"charge_subscriptions, {members:,} members", "bulk insert of the same invoices", run / reference, 2
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--members", type=int, nargs="+", default=SIZES, help="sizes to run (default: 10000 100000)"
    )
    parser.add_argument("--rounds", type=int, default=None, help="rounds per size (default 3, 1 from 50,000)")
    parser.add_argument("--figures", help="write the figures of the size as JSON to this file")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if len(args.members) == 1 or connection.vendor != "postgresql":
        figures = [bench(size, args.rounds or (1 if size >= 50_000 else 3)) for size in args.members]
        if args.figures:
            Path(args.figures).write_text(json.dumps(figures))
        return 0
    # One process per size: each one's memory is its own.
    figures = []
    for size in args.members:
        with tempfile.NamedTemporaryFile(suffix=".json") as output:
            command = [sys.executable, __file__, "--members", str(size), "--figures", output.name]
            if args.rounds:
                command += ["--rounds", str(args.rounds)]
            subprocess.run(command, check=True)
            figures += json.loads(Path(output.name).read_text())
    smallest, largest = figures[0], figures[-1]
    growth = largest["peak_memory_mb"] / max(smallest["peak_memory_mb"], 1.0)
    print(
        f"\nmemory added by the run: {smallest['peak_memory_mb']:.1f} MB at {smallest['members']:,} members,"
        f" {largest['peak_memory_mb']:.1f} MB at {largest['members']:,}"
    )
    record(
        f"charge_subscriptions peak memory, {largest['members']:,} members",
        f"the same, {smallest['members']:,} members",
        growth,
        1.5,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
