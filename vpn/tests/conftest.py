import pytest


@pytest.fixture
def vpn_pools(db):
    from coin.resources.models import IPPool

    # Routed /32s: the first address of the pool is a subscriber's too.
    ipv4 = IPPool(
        name="VPN IPv4", inet="192.0.2.0/24", default_subnetsize=32, skip_network_and_broadcast=False
    )
    ipv4.save()
    ipv6 = IPPool(name="VPN IPv6", inet="2001:db8::/32", default_subnetsize=56)
    ipv6.save()
    blocks = IPPool(name="VPN blocks", inet="198.51.100.0/24", default_subnetsize=29)
    blocks.save()
    return {"ipv4": ipv4, "ipv6": ipv6, "blocks": blocks}


@pytest.fixture
def vpn_offer(vpn_pools):
    from coin.offers.models import Offer
    from coin.resources.models import OfferIPPool

    offer = Offer.objects.create(
        name="VPN", reference="VPN", configuration_type="vpn.VPNConfiguration", period_fees="8.00"
    )
    OfferIPPool.objects.create(offer=offer, pool=vpn_pools["ipv4"], order=0)
    OfferIPPool.objects.create(offer=offer, pool=vpn_pools["ipv6"], order=1)
    return offer


@pytest.fixture
def subscribe(vpn_offer, django_capture_on_commit_callbacks):
    """subscribe(member) -> the member's new VPN account (its subnets allocated,
    its provisioning run as after a commit)."""
    from coin.offers.subscriptions import subscribe

    def make(member, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            subscription = subscribe(member=member, offer=vpn_offer, **fields)
        return subscription.real_configuration

    return make


@pytest.fixture(autouse=True)
def autouse_english(english):
    """Every test of this folder in English (the root conftest's ``english``)."""
