"""Who is on the members' mailing lists (here, above members, because the filters
read the subscriptions)."""

import datetime
from collections.abc import Iterator

from django.utils import timezone

from coin.members.models import Member
from coin.offers.models import OfferSubscription


def member_emails(
    subscribers: bool = False,
    offer_reference: str | None = None,
    within_commitment: bool = False,
    on: datetime.date | None = None,
) -> Iterator[str]:
    """Emails of members (the ``status`` field decides, not the fees), sorted and
    without duplicates or blanks. The filters keep members with a subscription
    running on the day (``subscribers``), to one offer (``offer_reference``), or
    still within its commitment period (``within_commitment``)."""
    members = Member.objects.members().exclude(email="")
    if subscribers or offer_reference or within_commitment:
        on = on or timezone.localdate()
        running = OfferSubscription.objects.running(on)
        if offer_reference:
            running = running.filter(offer__reference=offer_reference)
        if within_commitment:
            committed = running.filter(commitment__gt=0).only(
                "pk", "member_id", "subscription_date", "commitment"
            )
            member_ids = {s.member_id for s in committed if s.commitment_end >= on}
            members = members.filter(pk__in=member_ids)
        else:
            members = members.filter(pk__in=running.values("member_id"))
    emails = members.values_list("email", flat=True)
    # An address made of spaces only is blank too: strip before dropping blanks.
    yield from sorted({email.strip().lower() for email in emails} - {""})
