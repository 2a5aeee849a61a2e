from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coin.commands import parse_date_option, progress
from coin.members.reminders import due_reminders, send_reminder


class Command(BaseCommand):
    help = (
        "Email the membership fee reminders due today (see MEMBERSHIP_FEE_REMINDERS). "
        "Run it daily: it catches up a missed day and never sends a reminder twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="List the reminders without sending them.")

    def handle(self, *args, date=None, dry_run=False, verbosity=1, **options):
        today = parse_date_option(date, timezone.localdate())
        due = list(due_reminders(today))
        copy_to = (
            settings.NOTIFICATION_EMAILS
            if settings.MEMBERSHIP_FEE_REMINDERS_COPY_TO_NOTIFICATION_EMAILS
            else []
        )
        sent = skipped = failed = 0
        for reminder in progress(due, len(due), "Reminders", enabled=verbosity >= 1):
            line = (
                f"{reminder.member.username} <{reminder.member.email}>: membership ends "
                f"{reminder.membership_end}, reminder {reminder.offset_months:+d} month(s)"
            )
            if dry_run:
                self.stdout.write(f"would send: {line}")
                continue
            try:
                if send_reminder(reminder, copy_to):
                    sent += 1
                    if verbosity >= 2:
                        self.stdout.write(f"sent: {line}")
                else:
                    skipped += 1
            except Exception as error:  # one bad address must not stop the others
                failed += 1
                self.stderr.write(f"failed: {line}: {error}")
        if dry_run:
            self.stdout.write(f"{today}: {len(due)} reminder(s) due, none sent (dry run).")
        else:
            self.stdout.write(
                f"{today}: {sent} reminder(s) sent, {skipped} already sent by another run, {failed} failed."
            )
        if failed:
            # CommandError, not SystemExit: manage.py still exits with status 1, and
            # callers of call_command (tasks, schedulers) get an ordinary exception.
            raise CommandError(f"{failed} reminder(s) failed: the next run will try them again.")
