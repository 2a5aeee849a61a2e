"""Live counts published in /isp.json."""

from django.utils import timezone

from coin.members.models import Member
from coin.offers.models import OfferSubscription


def member_count() -> int:
    return Member.objects.members().count()


def subscriber_count() -> int:
    """Members with at least one running subscription."""
    return OfferSubscription.objects.running(timezone.localdate()).values("member").distinct().count()
