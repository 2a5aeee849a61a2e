"""Benchmarks of the coa app: the member's traffic page and a full radius_sync.

    python -m tests.harness.postgres -- .venv/bin/python bench/bench_radius.py   (make bench)

Creates N RADIUS accounts (10,000 by default), each with an IPv4 /32 and an IPv6 /56
and an SSHA2-512 hash, then:

1. ``radius_sync`` into empty FreeRADIUS tables (read Coin's accounts, read the
   tables, write every row) against, in the same run, a bulk load of the very same
   rows (COPY on PostgreSQL, bulk_create on SQLite), the tables emptied between the two.
2. The member's configuration page (current session, 30 days and 12 months of
   traffic as SVG and tables) with 1,000,000 radacct rows (100 sessions for each of
   10,000 subscribers) and their daily rollup, against the same page with 1,000 rows
   (100 sessions for each of 10 subscribers). The measured member has the very same
   sessions in both. Rows are made by generate_series on PostgreSQL. p50 of R requests
   each; goal: ratio at most 1.5.
Without COIN_DATABASE_URL it runs on an in-memory SQLite database (smaller by default).
"""

import argparse
import datetime
import io
import ipaddress
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "thirdparty")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coin.settings_test")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from report import record  # noqa: E402  (bench/ is the script's folder)

from coa.models import (  # noqa: E402
    RADIUS_DATABASE_MODELS,
    RadAcct,
    RadCheck,
    RadiusAccount,
    RadiusGroup,
    RadiusTrafficDay,
    RadReply,
    RadUserGroup,
)
from coa.passwords import ssha512  # noqa: E402
from coa.sync import radius_sync, stored_state  # noqa: E402
from coin.members.models import Member  # noqa: E402
from coin.offers.models import Offer  # noqa: E402
from coin.offers.subscriptions import subscribe  # noqa: E402
from coin.resources.models import IPPool, IPSubnet  # noqa: E402


def login_of(index: int) -> str:
    return f"sub{index:05d}"


def populate(count: int) -> RadiusAccount:
    """Accounts without provisioning (the sync is what is measured); the first one's."""
    RadiusAccount.provisioners = []
    ipv4 = IPPool(name="bench v4", inet="10.0.0.0/16", default_subnetsize=32)
    ipv4.save()
    ipv6 = IPPool(name="bench v6", inet="2001:db8::/32", default_subnetsize=56)
    ipv6.save()
    offer = Offer.objects.create(
        name="Fibre via BNG", reference="BNG", configuration_type="coa.RadiusAccount"
    )
    RadiusGroup.objects.create(name="fibre-1g", offer=offer)
    members = [
        Member(username=f"m{i:06d}", first_name="Bench", last_name=str(i), status="member")
        for i in range(count)
    ]
    for member in members:
        member.set_unusable_password()
    Member.objects.bulk_create(members, batch_size=2000)
    password = ssha512("bench password")
    subnets = []
    with transaction.atomic():
        for index, member in enumerate(Member.objects.filter(username__startswith="m").order_by("username")):
            subscription = subscribe(member, offer)
            account = subscription.real_configuration  # created with the subscription
            account.login = login_of(index)
            account.password_hash = password
            account.save()
            # The subnets allocation would give (the allocation has its own benchmark).
            v4 = ipaddress.ip_address("10.0.0.0") + index
            v6 = ipaddress.ip_address("2001:db8::") + (index << 72)
            subnets.append(IPSubnet(ip_pool=ipv4, inet=f"{v4}/32", configuration=account))
            subnets.append(IPSubnet(ip_pool=ipv6, inet=f"{v6}/56", configuration=account))
        IPSubnet.objects.bulk_create(subnets, batch_size=5000)
    analyze()
    return RadiusAccount.objects.get(login=login_of(0))


def analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def empty_freeradius_tables() -> None:
    for model in (RadCheck, RadReply, RadUserGroup):
        model.objects.all().delete()


def bulk_load(rows: dict) -> None:
    """The reference: the same rows as radius_sync writes, loaded in bulk."""
    tables = {
        "radcheck": [(login, *row) for login, state in rows.items() for row in state["check"]],
        "radreply": [(login, *row) for login, state in rows.items() for row in state["reply"]],
        "radusergroup": [(login, *row) for login, state in rows.items() for row in state["groups"]],
    }
    if connection.vendor == "postgresql":
        columns = {
            "radcheck": "username, attribute, op, value",
            "radreply": "username, attribute, op, value",
            "radusergroup": "username, groupname, priority",
        }
        with transaction.atomic(), connection.cursor() as cursor:
            for table, values in tables.items():
                data = io.StringIO("".join("\t".join(map(str, value)) + "\n" for value in values))
                cursor.cursor.copy_expert(f"COPY {table} ({columns[table]}) FROM STDIN", data)
    else:
        with transaction.atomic():
            RadCheck.objects.bulk_create(
                [RadCheck(username=u, attribute=a, op=o, value=v) for u, a, o, v in tables["radcheck"]],
                batch_size=5000,
            )
            RadReply.objects.bulk_create(
                [RadReply(username=u, attribute=a, op=o, value=v) for u, a, o, v in tables["radreply"]],
                batch_size=5000,
            )
            RadUserGroup.objects.bulk_create(
                [RadUserGroup(username=u, groupname=g, priority=p) for u, g, p in tables["radusergroup"]],
                batch_size=5000,
            )


def bench_sync(count: int) -> None:
    report = radius_sync(dry_run=False)
    assert len(report.repaired) == count
    wanted = stored_state()
    empty_freeradius_tables()
    start = time.perf_counter()
    bulk_load(wanted)
    reference = time.perf_counter() - start
    assert stored_state() == wanted
    empty_freeradius_tables()
    start = time.perf_counter()
    report = radius_sync()
    elapsed = time.perf_counter() - start
    assert len(report.repaired) == count and stored_state() == wanted
    print(f"bulk load of the same rows:           {reference:8.2f} s")
    print(f"radius_sync into empty tables:        {elapsed:8.2f} s ({count / elapsed:,.0f} accounts/s)")
    print(f"ratio radius_sync / bulk load:        {elapsed / reference:8.2f}")
    record(f"radius_sync of {count:,} accounts", "bulk load of the same rows", elapsed / reference, 10)
    start = time.perf_counter()
    report = radius_sync()
    idle = time.perf_counter() - start
    assert not report.repaired
    print(f"radius_sync with nothing to change:   {idle:8.2f} s ({1e6 * idle / count:.0f} µs per account)")


def radius_database(name: str) -> str:
    """Another database with the FreeRADIUS tables and the rollups (RADIUS_DATABASE's
    alias, as an ISP with FreeRADIUS's own database has)."""
    alias = f"radius_{name}"
    base = connection.settings_dict
    if connection.vendor == "postgresql":
        dbname = f"{base['NAME']}_{name}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{dbname}"')
    else:
        dbname = str(Path(tempfile.mkdtemp(prefix="coin-bench-")) / f"{name}.sqlite3")
    connections.settings[alias] = {**base, "NAME": dbname}
    with connections[alias].schema_editor() as editor:
        for model in RADIUS_DATABASE_MODELS:
            editor.create_model(model)
    return alias


def fill_accounting(alias: str, subscribers: int, sessions: int) -> None:
    """``sessions`` daily sessions per subscriber (the latest one open) and their rollup;
    subscriber u's session k is the same whatever the number of subscribers."""
    total = subscribers * sessions
    target = connections[alias]
    if target.vendor == "postgresql":
        with target.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, nasportid,
                    acctstarttime, acctupdatetime, acctstoptime, acctsessiontime,
                    acctinputoctets, acctoutputoctets, acctterminatecause, framedipaddress)
                SELECT 's' || g, 'u' || g, 'sub' || lpad((g %% %(n)s)::text, 5, '0'), '192.0.2.1',
                    'port' || (g %% %(n)s),
                    date_trunc('day', now()) - ((g / %(n)s) || ' days')::interval + interval '2 hours',
                    date_trunc('day', now()) - ((g / %(n)s) || ' days')::interval + interval '20 hours',
                    CASE WHEN g / %(n)s > 0 THEN
                        date_trunc('day', now()) - ((g / %(n)s) || ' days')::interval + interval '20 hours'
                    END,
                    64800, (g %% %(n)s) * 1000 + (g / %(n)s) * 7, (g %% %(n)s) * 9000 + (g / %(n)s) * 70,
                    CASE WHEN g / %(n)s = 0 THEN NULL ELSE 'User-Request' END,
                    ('10.0.' || ((g %% %(n)s) / 256) || '.' || ((g %% %(n)s) %% 256))::inet
                FROM generate_series(0, %(total)s - 1) AS g
                """,
                {"n": subscribers, "total": total},
            )
            cursor.execute(
                """
                INSERT INTO coa_radiustrafficday (username, day, input_octets, output_octets)
                SELECT username, (acctupdatetime AT TIME ZONE %s)::date,
                    sum(acctinputoctets), sum(acctoutputoctets)
                FROM radacct GROUP BY 1, 2
                """,
                [timezone.get_current_timezone_name()],
            )
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does in production
    else:
        from coa.accounting import rollup

        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        rows = []
        for g in range(total):
            u, k = g % subscribers, g // subscribers
            start = today - datetime.timedelta(days=k) + datetime.timedelta(hours=2)
            end = start + datetime.timedelta(hours=18)
            rows.append(
                RadAcct(
                    acctsessionid=f"s{g}",
                    acctuniqueid=f"u{g}",
                    username=login_of(u),
                    nasipaddress="192.0.2.1",
                    acctstarttime=start,
                    acctupdatetime=end,
                    acctstoptime=None if k == 0 else end,
                    acctinputoctets=u * 1000 + k * 7,
                    acctoutputoctets=u * 9000 + k * 70,
                    framedipaddress=f"10.0.{u // 256}.{u % 256}",
                )
            )
        RadAcct.objects.using(alias).bulk_create(rows, batch_size=5000)
        with radius_database_in_use(alias):
            rollup()


def radius_database_in_use(alias: str):
    """Coin reads ``alias`` as its RADIUS database. Through override_settings, which
    tells coa.conf.setting() (it remembers values): a plain assignment to settings
    would go unnoticed, and both pages would read the default database."""
    return override_settings(RADIUS_DATABASE=alias)


def bench_page(account: RadiusAccount, subscribers: int, sessions: int, requests: int) -> None:
    """Both datasets side by side (two RADIUS databases), requests alternating between
    them, so that a busy machine slows both alike."""
    client = Client()
    client.force_login(account.offersubscription.member)
    url = reverse("radius:details", kwargs={"pk": account.pk})
    small_subscribers = 10
    small, large = radius_database("small"), radius_database("large")
    start = time.perf_counter()
    fill_accounting(small, small_subscribers, sessions)
    fill_accounting(large, subscribers, sessions)
    rows = {alias: RadAcct.objects.using(alias).count() for alias in (small, large)}
    days = RadiusTrafficDay.objects.using(large).count()
    made = time.perf_counter() - start
    print(f"({rows[large]:,} + {rows[small]:,} radacct rows, {days:,} daily rows: {made:.1f} s)")

    pages, times = {}, {small: [], large: []}
    for alias in (small, large):
        with radius_database_in_use(alias):
            response = client.get(url)
        assert response.status_code == 200
        pages[alias] = [line for line in response.content.decode().splitlines() if "csrf" not in line]
    assert pages[small] == pages[large], "the same member's page whatever the size of radacct"
    assert sum(line.count("<svg") for line in pages[large]) == 2 and any(
        "10.0.0.0" in x for x in pages[large]
    )
    for _ in range(requests):
        for alias in (small, large):
            with radius_database_in_use(alias):
                begin = time.perf_counter()
                response = client.get(url)
                times[alias].append(time.perf_counter() - begin)
            assert response.status_code == 200
    p50 = {alias: statistics.median(values) for alias, values in times.items()}
    ratio = p50[large] / p50[small]
    print(f"member page, {rows[small]:,} radacct rows:      p50 {1000 * p50[small]:7.2f} ms")
    print(f"member page, {rows[large]:,} radacct rows:  p50 {1000 * p50[large]:7.2f} ms")
    print(f"ratio:                                {ratio:8.2f}  (goal: at most 1.5)")
    record(
        f"member traffic page, {rows[large]:,} radacct rows ({subscribers:,} subscribers)",
        f"same page, {rows[small]:,} rows",
        ratio,
        1.5,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=100, help="sessions per subscriber")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    call_command("migrate", verbosity=0, stdout=io.StringIO())
    print(f"database: {connection.vendor}; {args.accounts:,} RADIUS accounts (IPv4 /32, IPv6 /56, SSHA2-512)")
    start = time.perf_counter()
    account = populate(args.accounts)
    print(f"(accounts created in {time.perf_counter() - start:.1f} s)")
    bench_sync(args.accounts)
    bench_page(account, args.accounts, args.sessions, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
