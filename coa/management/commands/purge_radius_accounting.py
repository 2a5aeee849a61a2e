import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coa.accounting import purge
from coa.conf import setting
from coin.resources.history import RetentionError, purge_cutoff


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--before: {value!r} is not a date (YYYY-MM-DD).") from error


class Command(BaseCommand):
    help = (
        "Delete the RADIUS connection data (closed radacct sessions and daily traffic) older than "
        "RADIUS_ACCOUNTING_RETENTION_DAYS (or before --before DATE, which may not cut into that "
        "period). Open sessions are kept. Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", type=_date, help="Purge data ended before this date (YYYY-MM-DD).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted, delete nothing."
        )

    def handle(self, *args, before=None, dry_run=False, **options):
        days = setting("RADIUS_ACCOUNTING_RETENTION_DAYS")
        try:
            cutoff = purge_cutoff(timezone.now(), days, before)
        except RetentionError as error:
            raise CommandError(str(error)) from error
        report = purge(cutoff, dry_run=dry_run)
        when = timezone.localtime(cutoff).strftime("%Y-%m-%d %H:%M")
        counts = f"{report.sessions} session(s) ended and {report.days} day(s) of traffic before {when}"
        if dry_run:
            self.stdout.write(f"[dry run] {counts} would be deleted.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{counts} deleted."))
