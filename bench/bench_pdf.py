"""Benchmark of invoice PDF rendering (coin.billing.pdf.render_invoice_pdf).

    python -m tests.harness.postgres -- .venv/bin/python bench/bench_pdf.py   (make bench)

Renders invoices of three lines one after the other in one process (so the figures
are per core), as the background worker does, and prints invoices per second. The
reference, measured in the same run, is WeasyPrint rendering a minimal one-line HTML
page: the ratio says what Coin's template, its database reads and (second line)
Factur-X's PDF/A-3 and XML add to WeasyPrint's own fixed cost. Without
COIN_DATABASE_URL it runs on an in-memory SQLite database.

Then (PostgreSQL only: the processes share the database) a batch of --batch invoices
(1,000 by default) goes through the batch task's renderer on every core
(pdf_batch.render_invoice_pdfs), with the peak memory of the processes. The figures
before issue 17 (one core, flex layout, stylesheet parsed at each render) are
printed beside the new ones: 6.6 invoices per second, 12.5 minimal pages each.
"""

import argparse
import datetime
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
import warnings
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "thirdparty")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coin.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import Context, Engine  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from report import record  # noqa: E402  (bench/ is the script's folder)

from coin.billing.models import Invoice, InvoiceDetail  # noqa: E402
from coin.billing.money import line_total  # noqa: E402
from coin.billing.pdf import LocalOnlyFetcher, invoice_context, render_invoice_pdf  # noqa: E402
from coin.billing.pdf_batch import freeze_start_up_objects  # noqa: E402
from coin.isp_database.models import BankInfo, ISPInfo, RegisteredOffice  # noqa: E402
from coin.members.models import Member  # noqa: E402

MINIMAL = "<!DOCTYPE html><html><body><p>Facture</p></body></html>"
BEFORE_TEMPLATES = Path(__file__).resolve().parent / "pdf_before"  # the templates before issue 17
BEFORE_RATE = 6.6  # invoices per second per core before issue 17 (its measure)
BEFORE_RATIO = 12.5  # minimal pages per invoice before issue 17


def make_invoices(count: int, first: int = 0) -> list[int]:
    """An ISP with its identity, one member, ``count`` validated invoices of 3 lines
    (numbered from ``first``; the ISP and member are made once)."""
    if first:
        return _invoices(Member.objects.get(username="camille"), count, first)
    isp = ISPInfo.objects.create(name="Association Réseau Libre du Plateau", email="contact@arlp.example")
    RegisteredOffice.objects.create(
        isp=isp, street_address="12 rue des Lilas", postal_code="69100", locality="Villeurbanne",
        region="Auvergne-Rhône-Alpes", country_name="France", siret="12345678900017",
    )  # fmt: skip
    BankInfo.objects.create(isp=isp, iban="FR7630006000011234567890189", bic="AGRIFRPP")
    member = Member.objects.create(
        username="camille", first_name="Camille", last_name="Martin", address="3 place de la Mairie",
        postal_code="69003", city="Lyon",
    )  # fmt: skip
    return _invoices(member, count, first)


def _invoices(member: Member, count: int, first: int) -> list[int]:
    ids = []
    day = datetime.date(2026, 1, 1)
    for index in range(first, first + count):
        invoice = Invoice.objects.create(member=member, date=day)
        lines = [
            ("Accès VPN — REF-VPN-12", Decimal("8.00"), Decimal("1")),
            ("Fibre FTTH — REF-FTTH-7", Decimal("30.00"), Decimal("0.5161")),
            ("Frais d'accès au service", Decimal("50.00"), Decimal("1")),
        ]
        for label, amount, quantity in lines:
            InvoiceDetail.objects.create(
                invoice=invoice, label=label, amount=amount, quantity=quantity,
                period_from=day, period_to=day + datetime.timedelta(days=30),
            )  # fmt: skip
        Invoice.objects.filter(pk=invoice.pk).update(
            number=f"2026-01-{index + 1:06d}",
            total=sum(line_total(amount, quantity) for _, amount, quantity in lines),
            date_due=day + datetime.timedelta(days=30),
            validated_at=timezone.now(),
        )
        ids.append(invoice.pk)
    return ids


def rate(durations: list[float]) -> float:
    """Documents per second, from the median time (robust to a GC pause or two)."""
    return 1 / statistics.median(durations)


def interleaved(operations: dict, count: int) -> dict[str, list[float]]:
    """Time each operation ``count`` times, taking turns, so that a change in the
    machine's load (other processes) weighs on all of them alike and the ratios hold."""
    gc.collect()
    durations: dict[str, list[float]] = {name: [] for name in operations}
    for index in range(count):
        for name, operation in operations.items():
            start = time.perf_counter()
            operation(index)
            durations[name].append(time.perf_counter() - start)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60, help="documents per measure (default 60)")
    parser.add_argument(
        "--batch", type=int, default=1000, help="invoices of the parallel batch (default 1000)"
    )
    arguments = parser.parse_args()
    count = arguments.count
    warnings.simplefilter("ignore", ResourceWarning)
    settings.PRIVATE_STORAGE_ROOT = Path(tempfile.mkdtemp(prefix="coin-bench-pdf-"))
    call_command("migrate", verbosity=0)
    from weasyprint import HTML, __version__

    ids = make_invoices(count)
    freeze_start_up_objects()  # as the batch's worker processes do once set up

    def minimal(_index) -> bytes:
        return HTML(string=MINIMAL, url_fetcher=LocalOnlyFetcher()).write_pdf()

    before = Engine(dirs=[str(BEFORE_TEMPLATES)]).get_template("billing/pdf/invoice.html")

    def invoice_before(pk: int) -> bytes:
        """As before issue 17: its templates (flex boxes, the stylesheet in each page),
        a new font configuration and a stylesheet parse at each render."""
        bill = Invoice.objects.select_related("member").get(pk=pk)
        with translation.override("fr"):
            html = before.render(Context(invoice_context(bill)))
        base = BEFORE_TEMPLATES.joinpath("billing", "pdf").as_uri() + "/"
        return HTML(string=html, base_url=base, url_fetcher=LocalOnlyFetcher()).write_pdf()

    def invoice(pk: int) -> bytes:
        # Read from the database each time, as the worker's task does.
        return render_invoice_pdf(Invoice.objects.select_related("member").get(pk=pk))

    def facturx(pk: int) -> bytes:
        settings.INVOICE_FACTURX = True
        try:
            return invoice(pk)
        finally:
            settings.INVOICE_FACTURX = False

    # Warm up: fonts, templates, WeasyPrint's caches.
    for _ in range(3):
        minimal(0)
        invoice_before(ids[0])
        invoice(ids[0])
        facturx(ids[0])

    measures = interleaved(
        {
            "minimal one-line page (reference)": minimal,
            "invoice, 3 lines, before issue 17": lambda index: invoice_before(ids[index]),
            "invoice, 3 lines": lambda index: invoice(ids[index]),
            "invoice, 3 lines, Factur-X": lambda index: facturx(ids[index]),
        },
        count,
    )

    print(f"database: {connection.vendor}; WeasyPrint {__version__}; {count} documents per measure, one core")
    print(f"{'':34} {'per second':>11} {'ms each':>9} {'ratio':>7}")
    reference, old, plain, with_facturx = (rate(durations) for durations in measures.values())
    for label, durations in measures.items():
        per_second = rate(durations)
        print(f"{label:34} {per_second:11.1f} {1000 / per_second:9.1f} {reference / per_second:6.2f}×")
    print(
        f"\nInvoices per second per core: {plain:.1f} ({with_facturx:.1f} with Factur-X); "
        f"a minimal page: {reference:.1f}; the invoice costs {reference / plain:.1f} minimal pages."
    )
    print(
        f"Before issue 17, measured now: {old:.1f} per second, {reference / old:.1f} minimal pages each "
        f"(issue 17 measured {BEFORE_RATE} and {BEFORE_RATIO}); after: {plain:.1f} per second, "
        f"{reference / plain:.1f} minimal pages: {plain / old:.2f}× faster."
    )
    # Issue 17's goal: three times faster than the 12.5 minimal pages it cost.
    record("invoice PDF, 3 lines", "a minimal WeasyPrint page", reference / plain, BEFORE_RATIO / 3)
    record("invoice PDF, 3 lines, time", "the same invoice before issue 17", old / plain, 1 / 3)
    size = len(invoice(ids[0]))
    print(f"One invoice PDF weighs {size / 1024:.0f} KiB.")
    if connection.vendor == "postgresql" and arguments.batch:
        batch(arguments.batch)


def batch(size: int) -> None:
    """A batch through pdf_batch on every core: invoices per second (wall clock, and
    per CPU second of the processes, which a machine shared with other work does not
    skew), peak memory of the processes."""
    from coin.billing import pdf_batch

    ids = make_invoices(size, first=10**6)
    processes = pdf_batch.processes_for(size)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    names, failed = pdf_batch.render_invoice_pdfs(ids, processes)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert not failed and all(names), "every invoice of the batch gets its PDF"
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    peak = after.ru_maxrss / 1024
    print(
        f"\nBatch of {size} invoices on {processes} processes: {size / elapsed:.1f} per second "
        f"({elapsed:.0f} s; before issue 17, one core: {BEFORE_RATE} per second; goal ≥ 15); "
        f"{size / cpu:.1f} per CPU second of the processes, so {processes * size / cpu:.1f} per second "
        f"on {processes} idle cores; largest process: {peak:.0f} MiB."
    )
    record(
        f"batch of {size} invoice PDFs, {processes} processes",
        "15 invoices per second",
        15 / (size / elapsed),
        1,
    )


if __name__ == "__main__":
    main()
