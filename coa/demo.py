"""Demo RADIUS subscribers: a "Fibre/DSL via BNG" offer with its RADIUS group (a
rate limit), the suspended group, a demo BNG, two subscribers with an IPv4 address
and an IPv6 /56 from the demo pools (password "demo-radius-pw"), and six weeks of
accounting (one session a day, the current one open) rolled up so the member's
traffic charts show something."""

import datetime
import random
import secrets

from django.db import transaction
from django.utils import timezone

from coa.accounting import rollup
from coa.conf import setting
from coa.models import BNG, RadAcct, RadiusAccount, RadiusGroup, RadiusGroupAttribute
from coa.radius import sync_group
from coin.members.models import Member
from coin.offers.models import Offer
from coin.offers.subscriptions import subscribe
from coin.resources.models import IPPool, OfferIPPool

REFERENCE = "BNG"
POOLS = ["IPv4 subscribers", "IPv6 subscribers"]
SUBSCRIBERS = ["lbernard", "cafeassociatiflarotonde"]
PASSWORD = "demo-radius-pw"  # noqa: S105 (the demo's, printed in the README)
DAYS = 42


def load(stdout) -> None:
    with transaction.atomic():
        offer, created = Offer.objects.get_or_create(
            reference=REFERENCE,
            defaults={
                "name": "Fibre/DSL via BNG",
                "configuration_type": RadiusAccount._meta.label,
                "period_fees": "30.00",
            },
        )
        if not created:
            stdout.write("RADIUS demo already loaded.")
            return
        for order, name in enumerate(POOLS):
            if pool := IPPool.objects.filter(name=name).first():
                OfferIPPool.objects.get_or_create(offer=offer, pool=pool, defaults={"order": order})
        group = RadiusGroup.objects.create(name="fibre-1g", offer=offer)
        RadiusGroupAttribute.objects.create(group=group, attribute="Mikrotik-Rate-Limit", value="1G/500M")
        suspended, _ = RadiusGroup.objects.get_or_create(name=setting("RADIUS_SUSPENDED_GROUP"))
        RadiusGroupAttribute.objects.create(group=suspended, attribute="Filter-Id", value="captive-portal")
        for each in (group, suspended):
            sync_group(each)
        bng = BNG.objects.create(
            name="bng-demo",
            # Loopback: the demo's CoA and Disconnect requests (sent when its
            # subscribers change) must not leave the machine.
            address="127.0.0.1",
            secret=secrets.token_urlsafe(16),
            vendor=BNG.Vendor.MIKROTIK,
        )
        accounts = []
        start = timezone.localdate() - datetime.timedelta(days=DAYS + 30)
        for username in SUBSCRIBERS:
            member = Member.objects.filter(username=username).first()
            if member is None:
                continue
            subscription = subscribe(member, offer, subscription_date=start)
            account = subscription.configuration
            assert isinstance(account, RadiusAccount)  # the offer's configuration type
            account.bng = bng
            account.set_password(PASSWORD)
            account.save()
            accounts.append(account)
        for n, account in enumerate(accounts):
            add_sessions(account, bng, random.Random(n))  # noqa: S311 (demo figures)
    rollup()
    rows = RadAcct.objects.using(setting("RADIUS_DATABASE")).count()
    stdout.write(
        f"RADIUS accounts (BNG): {', '.join(a.login for a in accounts) or 'none'} "
        f"(password {PASSWORD!r}), {rows} accounting rows"
    )


def add_sessions(account: RadiusAccount, bng: BNG, rng: random.Random) -> None:
    """One session a day for DAYS days, the last one still open."""
    address = next(
        (str(s.inet.network_address) for s in account.ip_subnet.all() if s.inet.version == 4), None
    )
    now = timezone.now()
    rows = []
    for back in range(DAYS, -1, -1):
        started = now - datetime.timedelta(days=back, hours=rng.randint(1, 6))
        open_session = back == 0
        ended = now if open_session else started + datetime.timedelta(hours=rng.randint(8, 20))
        gigabytes = rng.uniform(0.5, 6.0)
        rows.append(
            RadAcct(
                acctsessionid=f"demo-{account.pk}-{back}",
                acctuniqueid=f"demo-{account.pk}-{back}-{secrets.token_hex(4)}",
                username=account.login,
                nasipaddress=bng.accounting_address,
                nasportid=f"ge-0/0/{account.pk}.{100 + account.pk}",
                nasporttype="Ethernet",
                acctstarttime=started,
                acctupdatetime=ended,
                acctstoptime=None if open_session else ended,
                acctsessiontime=int((ended - started).total_seconds()),
                acctinputoctets=int(gigabytes * 0.15e9),
                acctoutputoctets=int(gigabytes * 1e9),
                acctterminatecause=None if open_session else "User-Request",
                framedipaddress=address,
                framedprotocol="PPP",
                servicetype="Framed-User",
            )
        )
    RadAcct.objects.using(setting("RADIUS_DATABASE")).bulk_create(rows)
