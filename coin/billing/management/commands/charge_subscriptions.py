import sys
from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coin.billing.charge_run import MemberCharge, charge_subscriptions
from coin.commands import parse_date_option, progress


class Command(BaseCommand):
    help = (
        "Invoice the subscriptions' periods that start on or before today and are not billed yet "
        "(one invoice per member). Run it daily: it catches up missed days and never bills a "
        "period twice, even when two runs overlap. A subscription or member that cannot be billed "
        "(e.g. an offer's billing period out of 1-120 months, an amount too large for its column) is "
        "reported on stderr with its reason, the others are billed, and the command exits non-zero "
        "with a summary (with --dry-run too)."
    )

    def _progress(self, items: Iterable[MemberCharge], total: int) -> Iterator[MemberCharge]:
        return progress(items, total, "Invoices")

    def _list(self, charge: MemberCharge, verbosity: int, dry_run: bool) -> None:
        number = charge.invoice.number if charge.invoice else "(dry run)"
        self.stdout.write(f"{number} {charge.member.username}: {charge.total} ({len(charge.lines)} line(s))")
        if verbosity >= 3 or dry_run:
            for line in charge.lines:
                self.stdout.write(f"    {line.label}: {line.amount} × {line.quantity} = {line.total}")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Bill as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would be billed, bill nothing.")

    def handle(self, *args, date=None, dry_run=False, verbosity=1, **options):
        on = parse_date_option(date, timezone.localdate())
        if on > timezone.localdate() and not dry_run:
            raise CommandError(f"--date {on} is in the future: invoices cannot be dated in the future.")
        # Each invoice is written as its batch commits: nothing is kept for the end.
        listing = verbosity >= 2 or dry_run
        try:
            report = charge_subscriptions(
                on,
                dry_run=dry_run,
                # Counting the members costs a query: only for a progress bar that shows.
                progress=self._progress if verbosity >= 1 and sys.stderr.isatty() else None,
                on_issued=(lambda charge: self._list(charge, verbosity, dry_run)) if listing else None,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        for charge, reason in report.skipped:
            self.stdout.write(f"skipped {charge.member.username}: already billed by another run ({reason})")
        for subscription, reason in report.failed_subscriptions:
            self.stderr.write(
                f"failed subscription {subscription.reference} ({subscription.member.username}, "
                f"offer {subscription.offer.reference}): {reason}"
            )
        for charge, reason in report.failed:
            self.stderr.write(f"failed {charge.member.username}: {reason}")
        self.stdout.write(report.summary())
        if report.has_failures:
            raise CommandError(
                f"{len(report.failed)} member(s) and {len(report.failed_subscriptions)} subscription(s) "
                "could not be billed (see above); the others were. The next run tries them again."
            )
