from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coin.billing.reminders import due_invoice_reminders, send_invoice_reminder
from coin.commands import parse_date_option, progress


class Command(BaseCommand):
    help = (
        "Email the unpaid-invoice reminders due today (see INVOICE_REMINDERS, in days after "
        "the due date). Run it daily: it catches up a missed day and never sends a reminder twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="List the reminders without sending them.")

    def handle(self, *args, date=None, dry_run=False, verbosity=1, **options):
        today = parse_date_option(date, timezone.localdate())
        if not settings.INVOICE_REMINDERS:
            self.stdout.write("INVOICE_REMINDERS is empty: no reminder to send.")
            return
        due = list(due_invoice_reminders(today))
        sent = skipped = failed = 0
        for reminder in progress(due, len(due), "Reminders", enabled=verbosity >= 1):
            invoice = reminder.invoice
            line = (
                f"{invoice.number} {invoice.member.username} <{invoice.member.email}>: "
                f"{reminder.remaining} € unpaid, due {invoice.date_due}, "
                f"reminder +{reminder.days_after_due} d"
            )
            if dry_run:
                self.stdout.write(f"would send: {line}")
                continue
            try:
                if send_invoice_reminder(reminder, today):
                    sent += 1
                    if verbosity >= 2:
                        self.stdout.write(f"sent: {line}")
                else:
                    skipped += 1
            except Exception as error:  # one bad address must not stop the others
                failed += 1
                self.stderr.write(f"failed: {line}: {error}")
        if dry_run:
            self.stdout.write(f"{today}: {len(due)} invoice reminder(s) due, none sent (dry run).")
        else:
            self.stdout.write(
                f"{today}: {sent} invoice reminder(s) sent, {skipped} skipped (sent by another run "
                f"or paid meanwhile), {failed} failed."
            )
        if failed:
            raise CommandError(f"{failed} reminder(s) failed: the next run will try them again.")
