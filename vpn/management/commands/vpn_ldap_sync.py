from django.core.management.base import BaseCommand, CommandError

from coin.commands import progress
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
        try:
            connection = directory.connect()
        except Exception as error:
            raise CommandError(f"Cannot reach the LDAP server: {error}") from error
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
            bar = progress(range(drift.total), drift.total, "Repairing", enabled=verbosity >= 1)
            repaired, failures = sync.repair(connection, drift, on_item=lambda _login: next(bar, None))
            for _rest in bar:
                pass
        finally:
            connection.unbind_s()
        for login, error in failures:
            self.stderr.write(f"failed: {login}: {error}")
        self.stdout.write(f"{summary}; {repaired} repaired, {len(failures)} failed.")
        if failures:
            raise CommandError(f"{len(failures)} entries could not be repaired: run it again.")
