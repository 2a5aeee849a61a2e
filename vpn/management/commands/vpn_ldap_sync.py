from django.core.management.base import BaseCommand

from coin.ldap.commands import connect_or_fail, repair_with_progress, report_repair
from vpn import directory, sync


class Command(BaseCommand):
    help = (
        "Compare the VPN accounts of the database with their LDAP entries and repair the "
        "drift: add missing entries, fix changed ones, delete entries of accounts that no "
        "longer exist. Safe to run again (e.g. daily from cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show the drift without repairing it.")

    def handle(self, *args, dry_run=False, verbosity=1, **options):
        connection = connect_or_fail()
        try:
            wanted = sync.wanted_accounts()
            current = directory.read_all(connection)
            drift = sync.compare(wanted, current)
            if dry_run or verbosity >= 2:
                for line in drift.describe():
                    self.stdout.write(("would repair " if dry_run else "") + line)
            summary = (
                f"{len(wanted)} account(s), {len(current)} LDAP entries: {len(drift.missing)} missing, "
                f"{len(drift.changed)} changed, {len(drift.extra)} extra, {drift.unchanged} in sync"
            )
            if dry_run:
                self.stdout.write(f"{summary}; nothing repaired (dry run).")
                return
            repaired, failures = repair_with_progress(connection, drift, sync.repair, verbosity)
        finally:
            connection.unbind_s()
        report_repair(self, summary, repaired, failures)
