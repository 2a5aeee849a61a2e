"""Benchmark of ``manage.py vpn_ldap_sync`` against a private slapd.

    python -m tests.harness.postgres -- .venv/bin/python bench/bench_vpn_sync.py   (make bench)

Creates N VPN accounts (10,000 by default; written with bulk inserts, and one
checked against what the models would push), each with an IPv4 address and an
IPv6 /56 and a real Argon2id password hash, and times a full sync into an empty
directory (read the database and, in parallel, the directory with one paged
search; add every entry with pipelined asynchronous adds). The reference,
measured in the same run against the same slapd, is ``ldapadd`` of the very same
entries from an LDIF file (one connection, one add per entry: what an admin would
do by hand). The directory is emptied between the two. A second sync, with nothing
to change, shows the cost of the daily drift check (recorded against the same
ldapadd: goal at most 1×). Without COIN_DATABASE_URL it
runs on an in-memory SQLite database.
"""

import argparse
import base64
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "thirdparty")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coin.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from report import record  # noqa: E402  (bench/ is the script's folder)

from coin.configuration.models import Configuration  # noqa: E402
from coin.members.models import Member  # noqa: E402
from coin.offers.models import Offer, OfferSubscription  # noqa: E402
from coin.resources.ip import block_size, network_from_range  # noqa: E402
from coin.resources.models import IPPool, IPSubnet  # noqa: E402
from tests.harness.slapd import private_slapd  # noqa: E402
from vpn import directory, sync  # noqa: E402
from vpn.models import VPNConfiguration  # noqa: E402
from vpn.passwords import hash_password  # noqa: E402
from vpn.provisioning import wanted_state  # noqa: E402


def populate(count: int) -> None:
    """Accounts written in bulk, without provisioning (the sync is what is measured):
    members, subscriptions, the configurations' two tables (multi-table inheritance,
    which Django's bulk_create refuses for the child: one executemany), and their
    subnets through Coin's bulk_create (which keeps the pools' hints right)."""
    ipv4 = IPPool(name="bench v4", inet="10.0.0.0/16", default_subnetsize=32)
    ipv4.save()
    ipv6 = IPPool(name="bench v6", inet="2001:db8::/32", default_subnetsize=56)
    ipv6.save()
    offer = Offer.objects.create(name="VPN", reference="VPN", configuration_type="vpn.VPNConfiguration")
    members = [
        Member(username=f"m{i:06d}", first_name="Bench", last_name=str(i), status="member")
        for i in range(count)
    ]
    for member in members:
        member.set_unusable_password()
    password = hash_password("bench password", "{ARGON2}")
    content_type = ContentType.objects.get_for_model(VPNConfiguration, for_concrete_model=False)
    with transaction.atomic():
        Member.objects.bulk_create(members, batch_size=2000)
        members = list(Member.objects.filter(username__startswith="m").order_by("pk"))
        OfferSubscription.objects.bulk_create(
            [OfferSubscription(member=member, offer=offer) for member in members], batch_size=2000
        )
        subscriptions = (
            OfferSubscription.objects.filter(offer=offer).order_by("pk").values_list("pk", flat=True)
        )
        Configuration.objects.bulk_create(
            [Configuration(offersubscription_id=pk, polymorphic_ctype=content_type) for pk in subscriptions],
            batch_size=2000,
        )
        parents = list(
            Configuration.objects.filter(offersubscription__offer=offer)
            .order_by("offersubscription__member__username")
            .values_list("pk", "offersubscription__member__username")
        )
        v4, v6 = [], []
        rows = []
        for index, (pk, username) in enumerate(parents):
            network4 = nth_block(ipv4, index)
            network6 = nth_block(ipv6, index)
            v4.append(IPSubnet(ip_pool=ipv4, inet=network4, configuration_id=pk))
            v6.append(IPSubnet(ip_pool=ipv6, inet=network6, configuration_id=pk))
            rows.append(
                (pk, f"{username}-vpn1", password, True, str(network4.network_address),
                 str(network6.network_address + 1))
            )  # fmt: skip
        IPSubnet.objects.bulk_create(v4 + v6, batch_size=2000)
        table = connection.ops.quote_name(VPNConfiguration._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (configuration_ptr_id, login, password, activated, "  # noqa: S608
                "ipv4_endpoint, ipv6_endpoint) VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def nth_block(pool: IPPool, index: int):
    """The pool's ``index``-th block of its default size."""
    version, size = pool.inet.version, pool.default_subnetsize
    return network_from_range(
        version, int(pool.inet.network_address) + index * block_size(version, size), size
    )


def ldif(accounts: dict) -> str:
    blocks = []
    for account in accounts.values():
        lines = [f"dn: {directory.account_dn(account['login'])}"]
        for name, values in directory.entry_for(account).items():
            for value in values:
                text = value.decode()
                if text.isascii() and text.isprintable() and not text.startswith((" ", ":", "<")):
                    lines.append(f"{name}: {text}")
                else:
                    lines.append(f"{name}:: {base64.b64encode(value).decode()}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; {args.accounts} VPN accounts (IPv4 /32, IPv6 /56, Argon2id hash)")
    start = time.perf_counter()
    populate(args.accounts)
    print(f"(accounts created in {time.perf_counter() - start:.1f} s)")

    with private_slapd() as server:
        for name, value in server.env.items():
            setattr(settings, name, value)
        wanted = sync.wanted_accounts()
        assert len(wanted) == args.accounts
        sample = VPNConfiguration.objects.order_by("?").first()  # bulk rows = what the models want
        assert wanted_state(sample) == wanted[sample.login], (wanted_state(sample), wanted[sample.login])
        with tempfile.NamedTemporaryFile("w", suffix=".ldif") as file:
            file.write(ldif(wanted))
            file.flush()
            start = time.perf_counter()
            server.tool("ldapadd", "-f", file.name)
            reference = time.perf_counter() - start
        assert len(server.entries()) == args.accounts
        print(f"ldapadd of the same entries (LDIF):  {reference:8.2f} s")
        server.clear()
        assert not server.entries()

        start = time.perf_counter()
        call_command("vpn_ldap_sync", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        elapsed = time.perf_counter() - start
        entries = server.entries()
        assert len(entries) == args.accounts
        print(
            f"vpn_ldap_sync into an empty LDAP:    {elapsed:8.2f} s "
            f"({args.accounts / elapsed:,.0f} entries/s)"
        )
        print(f"ratio vpn_ldap_sync / ldapadd:       {elapsed / reference:8.2f}  (goal: at most 2)")
        record(
            f"vpn_ldap_sync of {args.accounts:,} accounts",
            "ldapadd of the same entries",
            elapsed / reference,
            2,
        )

        start = time.perf_counter()
        call_command("vpn_ldap_sync", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        idle = time.perf_counter() - start
        print(
            f"vpn_ldap_sync with nothing to change: {idle:7.2f} s "
            f"({1e6 * idle / args.accounts:.0f} µs per account; {idle / reference:.2f} × ldapadd)"
        )
        record(
            f"vpn_ldap_sync of {args.accounts:,} accounts, nothing to change",
            "ldapadd of the same entries",
            idle / reference,
            1,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
