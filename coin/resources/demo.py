"""Demo IP pools (documentation ranges). Offers of the offers demo that have a
configuration type get pools (the VPN offer, and the white-label DSL line which
also routes addresses to its subscriber); their existing subscriptions get their
subnets, as new ones will automatically."""

from coin.configuration.models import configuration_model
from coin.offers.models import Offer
from coin.resources.allocation import allocate_subnet
from coin.resources.models import IPPool, OfferIPPool

POOLS = [
    ("IPv4 subscribers", "192.0.2.0/24", 32, "One public IPv4 address per subscriber."),
    ("IPv4 routed blocks", "198.51.100.0/24", 29, "Small IPv4 blocks for members who host services."),
    ("IPv6 subscribers", "2001:db8::/32", 56, "One IPv6 /56 per subscriber."),
]
OFFER_POOLS = {
    "VPN": ["IPv4 subscribers", "IPv6 subscribers"],
    "DSL": ["IPv4 subscribers", "IPv6 subscribers"],
}


def load(stdout) -> None:
    pools = {}
    for name, network, size, description in POOLS:
        pool = IPPool.objects.filter(name=name).first()
        if pool is None:
            pool = IPPool(name=name, inet=network, default_subnetsize=size, description=description)
            pool.save()
        pools[name] = pool
    stdout.write(f"IP pools: {', '.join(str(pool) for pool in pools.values())}")
    for reference, names in OFFER_POOLS.items():
        offer = Offer.objects.filter(reference=reference).first()
        if offer is None:
            continue
        if configuration_model(offer.configuration_type) is None:
            stdout.write(f"Offer {reference}: its configuration app is not installed, no IP pool attached.")
            continue
        for order, name in enumerate(names):
            OfferIPPool.objects.get_or_create(offer=offer, pool=pools[name], defaults={"order": order})
        allocated = 0
        for subscription in offer.subscriptions.select_related("configuration"):
            configuration = getattr(subscription, "configuration", None)
            if configuration is None:
                continue
            for name in names:
                if not configuration.ip_subnet.filter(ip_pool=pools[name]).exists():
                    allocate_subnet(pools[name], configuration=configuration)
                    allocated += 1
        stdout.write(f"Offer {reference}: IP pools attached, {allocated} subnet(s) allocated.")
