"""Demo VPN accounts: the demo's VPN offers get this configuration type, their
subscribers get an account with an IPv4 address and an IPv6 /56 from the demo
pools (new subscriptions then get theirs automatically). Without an LDAP server
the pushes wait in the provisioning queue (visible in the admin)."""

from django.db import transaction

from coin.offers.models import Offer
from coin.resources.allocation import allocate_subnet
from coin.resources.models import IPPool, OfferIPPool
from vpn.models import VPNConfiguration

OFFERS = ["VPN", "VPN-AN"]
POOLS = ["IPv4 subscribers", "IPv6 subscribers"]
LABEL = VPNConfiguration._meta.label


def load(stdout) -> None:
    pools = [pool for name in POOLS if (pool := IPPool.objects.filter(name=name).first())]
    accounts = []
    with transaction.atomic():
        for offer in Offer.objects.filter(reference__in=OFFERS, configuration_type__in=["", LABEL]):
            offer.configuration_type = LABEL
            offer.save(update_fields=["configuration_type"])
            for order, pool in enumerate(pools):
                OfferIPPool.objects.get_or_create(offer=offer, pool=pool, defaults={"order": order})
            for subscription in offer.subscriptions.filter(configuration__isnull=True).select_related(
                "member"
            ):
                account = VPNConfiguration.objects.create(offersubscription=subscription)
                for pool in pools:
                    allocate_subnet(pool, configuration=account)
                accounts.append(account)
        for account in accounts:
            account.refresh_from_db()
            account.fill_default_endpoints()
            account.save()
    stdout.write(
        f"VPN accounts: {', '.join(account.login for account in accounts) or 'none new'} "
        "(members generate their password in the portal)"
    )
