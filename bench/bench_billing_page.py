"""Benchmark of the member's billing page: its cost must not grow with the history.

    python -m tests.harness.postgres -- .venv/bin/python bench/bench_billing_page.py   (make bench)

Two members: one with 15 invoices and 15 payments (the reference), one with 500
invoices and 250 payments. Each one's /billing/ is fetched many times through
Django's test client (the whole view: queries, template, middleware); the goal is
a p50 ratio ≤ 1.3 (issue 14: the lists are paged, the balance is aggregated).
Without COIN_DATABASE_URL it runs on an in-memory SQLite database.
"""

import argparse
import datetime
import os
import statistics
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
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from report import record  # noqa: E402  (bench/ is the script's folder)

from coin.billing.models import Invoice, InvoiceDetail, Payment  # noqa: E402
from coin.isp_database.models import BankInfo, ISPInfo  # noqa: E402
from coin.members.models import Member  # noqa: E402

GOAL = 1.3


def member_with_history(
    username: str, invoices: int, payments: int, since: datetime.date, per_month: int
) -> Member:
    """``invoices`` validated invoices of 8 € from ``since`` on, ``per_month`` a month,
    and ``payments`` payments: written in bulk (the page is what is measured)."""
    member = Member.objects.create(username=username, first_name="Bench", last_name=username, status="member")
    now = timezone.now()
    rows = []
    for n in range(invoices):
        months = since.month - 1 + n // per_month
        on = since.replace(year=since.year + months // 12, month=months % 12 + 1)
        rows.append(
            Invoice(
                member=member,
                date=on,
                date_due=on + datetime.timedelta(days=30),
                number=f"{on:%Y-%m}-{username[:1]}{n:05d}",
                total=Decimal("8.00"),
                status=Invoice.Status.OPEN,
            )
        )
    with transaction.atomic():
        Invoice.objects.bulk_create(rows)
        InvoiceDetail.objects.bulk_create(
            [
                InvoiceDetail(invoice=invoice, label="VPN", amount=Decimal("8.00"))
                for invoice in Invoice.objects.filter(member=member)
            ]
        )
        # Drafts until their lines are in: a validated invoice takes no new line (trigger).
        Invoice.objects.filter(member=member).update_drafts(validated_at=now)
        Payment.objects.bulk_create(
            [
                Payment(member=member, amount=Decimal("8.00"), date=datetime.date(2020, 1, 1))
                for _ in range(payments)
            ]
        )
    return member


def p50(client: Client, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get("/billing/")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    isp = ISPInfo.objects.create(name="Bench ISP", email="bench@isp.example")
    BankInfo.objects.create(isp=isp, iban="FR7630006000011234567890189")
    large = member_with_history("large", 500, 250, datetime.date(2010, 1, 1), per_month=3)
    small = member_with_history("small", 15, 15, datetime.date(2024, 1, 1), per_month=1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    clients = {}
    for member in (small, large):
        clients[member.username] = Client()
        clients[member.username].force_login(member)
        p50(clients[member.username], 10)  # warm-up: templates, connections
    reference = p50(clients["small"], args.runs)
    measured = p50(clients["large"], args.runs)
    ratio = measured / reference
    print(
        f"database: {connection.vendor}; /billing/ p50: 15 invoices {reference * 1000:.1f} ms, "
        f"500 invoices + 250 payments {measured * 1000:.1f} ms, ratio {ratio:.2f} (goal ≤ {GOAL})"
    )
    met = record("billing page, 500 invoices + 250 payments", "15 invoices", ratio, GOAL)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
