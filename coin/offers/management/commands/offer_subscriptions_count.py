from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from coin.commands import parse_date_option
from coin.offers.models import OfferSubscription


class Command(BaseCommand):
    help = "Print how many subscriptions of each offer run on a day (today by default)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to count (YYYY-MM-DD).")

    def handle(self, *args, date=None, **options):
        day = parse_date_option(date, timezone.localdate())
        rows = (
            OfferSubscription.objects.running(day)
            .values("offer__reference", "offer__name")
            .annotate(count=Count("pk"))
            .order_by("offer__reference")
        )
        total = 0
        for row in rows:
            self.stdout.write(f"{row['offer__reference']}\t{row['count']}\t{row['offer__name']}")
            total += row["count"]
        self.stdout.write(f"TOTAL\t{total}\t{day}")
