"""The ip_pool fixture and the demo data."""

import io
import ipaddress

import pytest
from django.core.management import call_command

from coin.resources import demo
from coin.resources.allocation import allocate_subnet
from coin.resources.ip import end_key, start_key
from coin.resources.models import IPPool, IPSubnet, OfferIPPool

pytestmark = pytest.mark.django_db


def test_loaddata_ip_pool_on_a_fresh_database():
    call_command("loaddata", "ip_pool", stdout=io.StringIO())
    pools = list(IPPool.objects.all())
    assert [str(pool.inet) for pool in pools] == ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"]
    for pool in pools:  # key columns are derived, not in the fixture
        assert (pool.range_start, pool.range_end) == (start_key(pool.inet), end_key(pool.inet))
    v6 = IPPool.objects.get(name="IPv6 subscribers")
    assert allocate_subnet(v6).inet == ipaddress.ip_network("2001:db8::/56")
    call_command("loaddata", "ip_pool", stdout=io.StringIO())  # loading it again changes nothing
    assert IPPool.objects.count() == 3 and IPSubnet.objects.count() == 1
    new = IPPool(name="after the fixture", inet="203.0.113.0/24", default_subnetsize=32)
    new.save()  # the primary key sequence follows the fixture's ids


def test_demo_creates_pools_and_serves_the_vpn_offer(make_offer, make_subscription, member, other_member):
    offer = make_offer(reference="VPN")
    subscriptions = [make_subscription(offer), make_subscription(offer, owner=other_member)]
    out = io.StringIO()
    demo.load(out)
    assert IPPool.objects.count() == 3
    assert OfferIPPool.objects.filter(offer=offer).count() == 2
    for subscription in subscriptions:
        versions = sorted(s.inet.version for s in subscription.configuration.ip_subnet.all())
        assert versions == [4, 6]
    assert "IP pools attached, 4 subnet(s) allocated" in out.getvalue()
    new = make_subscription(offer)  # later subscriptions get theirs automatically
    assert new.configuration.ip_subnet.count() == 2


def test_demo_without_offers_only_creates_pools():
    demo.load(io.StringIO())
    demo.load(io.StringIO())
    assert IPPool.objects.count() == 3
    assert not OfferIPPool.objects.exists()
