from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from coin.billing.suspension import (
    due_suspensions,
    members_with_open_suspensions,
    resumable,
    resume_if_paid,
    suspend,
)
from coin.commands import parse_date_option, progress


class Command(BaseCommand):
    help = (
        "Suspend the service of members with an invoice unpaid SUSPEND_SERVICE_AFTER_DAYS days after "
        "its due date, and resume those who paid since (payments resume them at once; this is the "
        "safety net). Run it daily; it is idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="List what would change, change nothing.")

    def handle(self, *args, date=None, dry_run=False, verbosity=1, **options):
        days = settings.SUSPEND_SERVICE_AFTER_DAYS
        if days is None:
            self.stdout.write("Suspension is off (SUSPEND_SERVICE_AFTER_DAYS is None): nothing to do.")
            return
        today = parse_date_option(date, timezone.localdate())

        resumed_members = resumed = 0
        for member in members_with_open_suspensions():
            if not resumable(member, today):
                continue
            if dry_run:
                resumed_members += 1
                self.stdout.write(f"would resume: {member.username}")
                continue
            closed = resume_if_paid(member, today)
            if closed:
                resumed_members += 1
                resumed += len(closed)
                if verbosity >= 2:
                    self.stdout.write(f"resumed: {member.username} ({len(closed)} subscription(s))")

        due = due_suspensions(today, int(days))
        suspended_members = suspended = 0
        for item in progress(due, len(due), "Suspensions", enabled=verbosity >= 1):
            # Overdue invoices are validated, hence numbered.
            invoices = ", ".join(invoice.number for invoice in item.invoices if invoice.number)
            references = ", ".join(subscription.reference for subscription in item.subscriptions)
            line = f"{item.member.username}: unpaid {invoices}; {references}"
            if dry_run:
                suspended_members += 1
                suspended += len(item.subscriptions)
                self.stdout.write(f"would suspend: {line}")
                continue
            created = suspend(item)
            if created:
                suspended_members += 1
                suspended += len(created)
                if verbosity >= 2:
                    self.stdout.write(f"suspended: {line}")
        if dry_run:
            self.stdout.write(
                f"{today}: would suspend {suspended} subscription(s) of {suspended_members} member(s) "
                f"and resume the subscriptions of {resumed_members} member(s) (dry run)."
            )
        else:
            self.stdout.write(
                f"{today}: {suspended} subscription(s) of {suspended_members} member(s) suspended, "
                f"{resumed} subscription(s) of {resumed_members} member(s) resumed."
            )
