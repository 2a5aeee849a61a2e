from django.core.management.base import BaseCommand

from coa.sync import radius_sync
from coin.commands import progress


class Command(BaseCommand):
    help = "Make FreeRADIUS's radcheck/radreply/radusergroup rows match Coin's RADIUS accounts."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only list what would be repaired.")

    def handle(self, *args, dry_run=False, **options):
        report = radius_sync(
            dry_run=dry_run,
            progress=lambda items, total: progress(items, total, "Accounts", stream=self.stderr._out),
        )
        verb = "would repair" if dry_run else "repaired"
        for login in report.repaired:
            self.stdout.write(f"{verb}: {login}")
        for login in report.removed:
            self.stdout.write(f"{'would remove' if dry_run else 'removed'}: {login}")
        self.stdout.write(
            f"{report.checked} accounts checked, {len(report.repaired)} {verb}, "
            f"{len(report.removed)} unknown logins {'to remove' if dry_run else 'removed'}."
        )
