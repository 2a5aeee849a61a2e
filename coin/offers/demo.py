"""Demo offers (the ``offers`` fixture), subscriptions and a pending request."""

import datetime

from django.core.management import call_command
from django.utils import timezone

from coin.dates import add_months
from coin.members.models import Member
from coin.offers.models import Offer, OfferSubscription, SubscriptionRequest
from coin.offers.subscriptions import subscribe


def load(stdout) -> None:
    call_command("loaddata", "offers", verbosity=0)
    today = timezone.localdate()
    vpn, dsl, yearly = (Offer.objects.get(reference=r) for r in ("VPN", "DSL", "VPN-AN"))
    plans = [
        ("cmartin", vpn, -14, None),
        ("cmartin", dsl, -3, None),
        ("lbernard", yearly, -20, None),
        ("ddurand", vpn, -30, -2),
        ("cafeassociatiflarotonde", dsl, -8, None),
    ]
    for username, offer, months_ago, resigned_months_ago in plans:
        member = Member.objects.filter(username=username).first()
        if member is None:
            continue
        start = add_months(today, months_ago).replace(day=1)
        resign = add_months(today, resigned_months_ago) if resigned_months_ago else None
        subscribe(member=member, offer=offer, subscription_date=start, resign_date=resign, commitment=12)
    requester = Member.objects.filter(username="spetit").first()
    if requester:
        SubscriptionRequest.objects.create(
            member=requester,
            offer=dsl,
            comment="Ligne au 3 rue Haute, numéro 04 00 00 00 00",
            created_at=timezone.now() - datetime.timedelta(days=2),
        )
    stdout.write(f"Offers: {Offer.objects.count()}, subscriptions: {OfferSubscription.objects.count()}")
