"""Benchmark of automatic subnet allocation (coin.resources.allocation).

    python -m tests.harness.postgres -- .venv/bin/python bench/bench_allocation.py   (make bench)

Allocates subnets one by one, each in its own transaction as a new subscription
would, in an IPv6 /32 pool of /56s (16.7 million blocks) and in an IPv4 /16 pool
of /32s, and prints the time per allocation over the first and the last thousand.

The reference is a plain insert of the same rows (one ORM INSERT each: no search,
no lock, no check) into a twin pool of the same shape, measured in the same run,
interleaved with the allocations (one insert, one allocation, …) so that both see
the same machine load and the same table size. Times are medians per window (a
few slow outliers on a busy machine do not move them); means are in brackets.

What must hold: the last thousand cost about what the first thousand cost
(allocation does not slow down as the pool fills), and the IPv6 pool costs about
what the IPv4 pool costs (nor with the pool's size).

Then one allocation as the admin makes it (``full_clean()`` then ``save()``, the
pool object loaded once and reused, as a form or a script does) in a pool that
already holds 0, 20,000 and 200,000 subnets written by ``bulk_create`` (which must
leave the allocation hint right): its statements, its median time, and that time
against a plain insert at the same fill (at most 3: the checks of full_clean) and
against the empty pool's. Without COIN_DATABASE_URL it runs on an in-memory SQLite
database instead. The goals go to the table that ``make bench`` prints at the end
(bench/report.py).
"""

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "thirdparty")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coin.settings_test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from report import record  # noqa: E402  (bench/ is the script's folder)

from coin.resources.allocation import (  # noqa: E402
    allocatable_range,
    allocate_subnet,
    check_allocatable_subnet,
    save_subnet,
)
from coin.resources.ip import block_size, network_from_range  # noqa: E402
from coin.resources.models import IPPool, IPSubnet  # noqa: E402

# (title, pool allocated from, twin pool for the plain inserts, prefix length)
SCENARIOS = [
    ("IPv6 /32 pool of /56", "2001:db8::/32", "2001:db9::/32", 56),
    ("IPv4 /16 pool of /32", "10.0.0.0/16", "10.1.0.0/16", 32),
]
WINDOW = 1000
ADMIN_FILLS = (0, 20_000, 200_000)
ADMIN_SAMPLES = 500


def reset() -> None:
    """Empty the tables between scenarios, leaving no dead rows behind (PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE resources_ipsubnet, resources_ippool RESTART IDENTITY CASCADE")
            cursor.execute("VACUUM ANALYZE resources_ipsubnet")
            cursor.execute("VACUUM ANALYZE resources_ippool")
        else:
            cursor.execute("DELETE FROM resources_ipsubnet")
            cursor.execute("DELETE FROM resources_ippool")


def nth_block(pool: IPPool, index: int):
    version, size = pool.inet.version, pool.default_subnetsize
    return network_from_range(
        version, int(pool.inet.network_address) + index * block_size(version, size), size
    )


def run(network: str, twin: str, size: int, count: int) -> tuple[list[float], list[float]]:
    """(plain insert durations, allocation durations), interleaved."""
    reset()
    pool = IPPool.objects.create(name="allocated", inet=network, default_subnetsize=size)
    twin_pool = IPPool.objects.create(name="plain inserts", inet=twin, default_subnetsize=size)
    rows = [nth_block(twin_pool, index) for index in range(count)]
    plain, allocated = [], []
    gc.collect()
    for index in range(count):
        start = time.perf_counter()
        plain_insert(IPSubnet(ip_pool=twin_pool, inet=rows[index]))
        middle = time.perf_counter()
        allocate_subnet(pool)
        end = time.perf_counter()
        plain.append(middle - start)
        allocated.append(end - middle)
    last = pool.subnets.order_by("-range_start").first()
    first_address = allocatable_range(pool, size)[0]  # an IPv4 pool of /32s skips its network address
    expected = network_from_range(
        pool.inet.version, first_address + (count - 1) * block_size(pool.inet.version, size), size
    )
    assert pool.subnets.count() == count and last.inet == expected, "not lowest first"
    return plain, allocated


def plain_insert(subnet: IPSubnet) -> None:
    """One ORM INSERT: no search, no lock, no check, no hint (a plain QuerySet, not
    Coin's, whose bulk_create also moves the pool's hint)."""
    models.QuerySet(IPSubnet).bulk_create([subnet])


def prefill(pool: IPPool, count: int, batch: int = 5000) -> None:
    """``count`` subnets from the bottom of the pool, through Coin's bulk_create."""
    for offset in range(0, count, batch):
        blocks = range(offset, min(count, offset + batch))
        IPSubnet.objects.bulk_create(
            [IPSubnet(ip_pool=pool, inet=nth_block(pool, index)) for index in blocks]
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE resources_ipsubnet")


def admin_allocation(pool: IPPool) -> IPSubnet:
    subnet = IPSubnet(ip_pool=pool)
    check_allocatable_subnet(subnet)
    subnet.full_clean()
    return save_subnet(subnet)


def run_admin(filled: int, samples: int) -> tuple[list[float], list[float], list[int]]:
    """(plain insert durations, admin allocation durations, statements of each of 16 more)."""
    reset()
    pool = IPPool.objects.create(name="allocated", inet="2001:db8::/32", default_subnetsize=56)
    twin_pool = IPPool.objects.create(name="plain inserts", inet="2001:db9::/32", default_subnetsize=56)
    prefill(pool, filled)
    pool = IPPool.objects.get(pk=pool.pk)  # loaded once, then reused by every allocation
    plain, allocated = [], []
    gc.collect()
    for index in range(samples):
        start = time.perf_counter()
        plain_insert(IPSubnet(ip_pool=twin_pool, inet=nth_block(twin_pool, index)))
        middle = time.perf_counter()
        admin_allocation(pool)
        end = time.perf_counter()
        plain.append(middle - start)
        allocated.append(end - middle)
    counts = []
    for _ in range(16):  # allocation moves the stored hint once every few subnets: count the most
        with CaptureQueriesContext(connection) as context:
            last = admin_allocation(pool)
        counts.append(len(context.captured_queries))
    assert last.inet == nth_block(pool, filled + samples + 15), "not the lowest free block"
    return plain, allocated, counts


def median_us(durations: list[float]) -> float:
    return 1e6 * statistics.median(durations)


def mean_us(durations: list[float]) -> float:
    return 1e6 * statistics.fmean(durations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000, help="allocations per pool (default 20000)")
    parser.add_argument(
        "--fills", type=int, nargs="+", default=ADMIN_FILLS, help="pool fills for the admin allocation"
    )
    parser.add_argument("--samples", type=int, default=ADMIN_SAMPLES, help="admin allocations per fill")
    args = parser.parse_args()
    count, fills, samples = args.count, args.fills, args.samples
    window = min(WINDOW, count // 2)
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; {count} subnets per pool; medians [means] per window of {window}")
    results = {}
    for title, network, twin, size in SCENARIOS:
        plain, allocated = run(network, twin, size, count)
        results[title] = (plain, allocated)
        print(f"\n{title}\n  {'':14} {'plain insert':>22} {'allocation':>22} {'ratio':>7}")
        for label, part in (("first", slice(0, window)), ("last", slice(-window, None))):
            p, a = plain[part], allocated[part]
            ratio = median_us(a) / median_us(p)
            print(
                f"  {label + ' ' + str(window):14} {median_us(p):8.0f} µs [{mean_us(p):7.0f}] "
                f"{median_us(a):10.0f} µs [{mean_us(a):7.0f}] {ratio:6.2f}×"
            )
        growth_plain = median_us(plain[-window:]) / median_us(plain[:window])
        growth_alloc = median_us(allocated[-window:]) / median_us(allocated[:window])
        print(f"  {'last / first':14} {growth_plain:21.2f}× {growth_alloc:21.2f}×")
        record(
            f"allocation vs plain insert, {title}: last {window} / first {window}",
            "the same when emptier",
            growth_alloc / growth_plain,
            1.2,
        )
    (v6_plain, v6_alloc), (v4_plain, v4_alloc) = results.values()
    alloc_v6_v4 = median_us(v6_alloc[-window:]) / median_us(v4_alloc[-window:])
    plain_v6_v4 = median_us(v6_plain[-window:]) / median_us(v4_plain[-window:])
    print(
        f"\nIPv6 /56 in a /32 against IPv4 /32 in a /16, last {window}: allocation "
        f"{alloc_v6_v4:.2f}×, plain insert {plain_v6_v4:.2f}×"
    )
    # Each against its own plain inserts: the machine's drift between the two runs cancels out.
    record(
        "allocation vs plain insert, IPv6 /56 in a /32",
        "the same, IPv4 /32 in a /16",
        alloc_v6_v4 / plain_v6_v4,
        1.2,
    )

    print(
        f"\nOne allocation as the admin makes it (full_clean + save), IPv6 /32 pool of /56, {samples} samples"
    )
    print(
        f"  {'subnets already':16} {'statements (mean)':>17} {'plain insert':>14} "
        f"{'allocation':>12} {'ratio':>7}"
    )
    empty_ratio = None
    for filled in fills:
        plain, allocated, counts = run_admin(filled, samples)
        statements = max(counts)
        alloc_us = median_us(allocated)
        ratio = alloc_us / median_us(plain)
        empty_ratio = ratio if empty_ratio is None else empty_ratio
        print(
            f"  {filled:16,} {statements:10} ({statistics.fmean(counts):.1f}) {median_us(plain):11.0f} µs "
            f"{alloc_us:9.0f} µs {ratio:6.2f}×"
        )
        label = f"admin allocation at {filled:,} subnets"
        if (
            connection.vendor == "postgresql"
        ):  # the goals are PostgreSQL's (SQLite adds BEGIN, COMMIT, a lock)
            record(f"{label}: statements (most)", "budget", statements, 8, unit="statements")
            # Against the plain insert of the same fill, not a time in ms: this
            # machine's speed varies from run to run, the ratio does not.
            record(f"{label}: median time", "a plain insert, same fill", ratio, 3)
        if filled:
            record(f"{label}: vs plain insert", "the same in an empty pool", ratio / empty_ratio, 1.2)
    reset()


if __name__ == "__main__":
    main()
