import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from coin.billing.direct_debit import default_collection_date, prepare_direct_debits


class Command(BaseCommand):
    help = (
        "Build the SEPA Direct Debit (Core) file, pain.008, of the open invoices due by the "
        "collection date of members with a mandate in force; the file is stored (admin: direct "
        "debit files) for you to upload to your bank. Safe to run twice: an invoice already "
        "in a file is not collected again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            help="Collection date, YYYY-MM-DD. Default: today plus DIRECT_DEBIT_LEAD_DAYS (5).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would be collected, make no file."
        )

    def handle(self, *args, date=None, dry_run=False, verbosity=1, **options):
        collection_date = date or default_collection_date()
        progress = self.stdout.write if verbosity >= 1 else None
        try:
            result = prepare_direct_debits(collection_date, dry_run=dry_run, progress=progress)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if dry_run:
            for due in result.dues:
                self.stdout.write(
                    f"would collect: {due.invoice.number}, {due.amount}, {due.invoice.member.username}"
                )
        self.stdout.write(result.summary())
