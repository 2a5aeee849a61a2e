from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coin.commands import parse_date_option
from coin.offers.mailing import member_emails
from coin.offers.models import Offer


class Command(BaseCommand):
    help = (
        "Print the email address of every member (status 'member'), one per line, for mailing-list "
        "software. Filters narrow it to subscribers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--subscribers", action="store_true", help="Only members with a running subscription."
        )
        parser.add_argument("--offer", metavar="REF", help="Only subscribers of this offer (its reference).")
        parser.add_argument(
            "--commitment",
            action="store_true",
            help="Only subscribers still within the commitment period of a subscription.",
        )
        parser.add_argument("--date", help="Day on which subscriptions must run (YYYY-MM-DD, default today).")

    def handle(self, *args, subscribers=False, offer=None, commitment=False, date=None, **options):
        if offer and not Offer.objects.filter(reference=offer).exists():
            raise CommandError(f"--offer: no offer has the reference '{offer}'.")
        day = parse_date_option(date, timezone.localdate())
        for email in member_emails(subscribers, offer, commitment, day):
            self.stdout.write(email)
