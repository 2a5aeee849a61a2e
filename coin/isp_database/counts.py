"""Live counts published in /isp.json."""

from django.apps import apps
from django.utils import timezone

from coin.members.models import Member


def member_count() -> int:
    return Member.objects.members().count()


def subscriber_count() -> int:
    """Members with at least one running subscription (0 until offers are installed)."""
    if not apps.is_installed("coin.offers"):
        return 0
    from coin.offers.models import OfferSubscription

    return OfferSubscription.objects.running(timezone.localdate()).values("member").distinct().count()
