"""Benchmark of ``manage.py vpn_ldap_sync`` against a private slapd.

    python -m tests.harness.postgres -- .venv/bin/python bench/bench_vpn_sync.py   (make bench)

Creates N VPN accounts (10,000 by default), each with an IPv4 address and an IPv6
/56 and a real Argon2id password hash, and times a full sync into an empty
directory (read the database, read the directory, add every entry). The reference,
measured in the same run against the same slapd, is ``ldapadd`` of the very same
entries from an LDIF file (one connection, one add per entry: what an admin would
do by hand). The directory is emptied between the two. A second sync, with nothing
to change, shows the cost of the daily drift check. Without COIN_DATABASE_URL it
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
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from report import record  # noqa: E402  (bench/ is the script's folder)

from coin.members.models import Member  # noqa: E402
from coin.offers.models import Offer  # noqa: E402
from coin.offers.subscriptions import subscribe  # noqa: E402
from coin.resources.allocation import allocate_subnet  # noqa: E402
from coin.resources.models import IPPool  # noqa: E402
from tests.harness.slapd import private_slapd  # noqa: E402
from vpn import directory, sync  # noqa: E402
from vpn.models import VPNConfiguration  # noqa: E402
from vpn.passwords import hash_password  # noqa: E402


def populate(count: int) -> None:
    """Accounts without provisioning (the sync is what is measured)."""
    VPNConfiguration.provisioners = []
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
    Member.objects.bulk_create(members, batch_size=2000)
    password = hash_password("bench password", "{ARGON2}")
    with transaction.atomic():
        for member in Member.objects.filter(username__startswith="m").order_by("pk"):
            subscription = subscribe(member=member, offer=offer)
            account = subscription.real_configuration  # created with the subscription
            allocate_subnet(ipv4, configuration=account)
            allocate_subnet(ipv6, configuration=account)
            account.password = password
            account.fill_default_endpoints()
            account.save()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


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
            f"({1e6 * idle / args.accounts:.0f} µs per account)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
