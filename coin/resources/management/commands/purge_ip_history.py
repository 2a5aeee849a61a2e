import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coin.resources.history import RetentionError, purge, purge_cutoff


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--before: {value!r} is not a date (YYYY-MM-DD).") from error


class Command(BaseCommand):
    help = (
        "Delete the IP assignment history entries that ended more than IP_HISTORY_RETENTION_DAYS ago "
        "(or before --before DATE, which may not cut into that period). Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", type=_date, help="Purge entries ended before this date (YYYY-MM-DD).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted, delete nothing."
        )

    def handle(self, *args, before=None, dry_run=False, **options):
        days = settings.IP_HISTORY_RETENTION_DAYS
        try:
            cutoff = purge_cutoff(timezone.now(), days, before)
        except RetentionError as error:
            raise CommandError(str(error)) from error
        count = purge(cutoff, dry_run=dry_run)
        when = timezone.localtime(cutoff).strftime("%Y-%m-%d %H:%M")
        if dry_run:
            self.stdout.write(f"[dry run] {count} history entr(y/ies) ended before {when} would be deleted.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{count} history entr(y/ies) ended before {when} deleted."))
