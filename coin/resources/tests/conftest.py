"""Fixtures of the IP resources tests.

Tests marked postgres_only check what only PostgreSQL guarantees (cidr columns,
exclusion constraints, row locks under real concurrency): on SQLite they are
deselected by the root conftest.py, which says so in the run header.
"""

import pytest


@pytest.fixture(autouse=True)
def autouse_english(english):
    """Every test of this folder in English (the root conftest's ``english``)."""


@pytest.fixture
def make_pool(db):
    from coin.resources.models import IPPool

    def make(inet: str, size: int, name: str | None = None, **fields) -> IPPool:
        # These tests were written for pools routed as /32s (the first address handed
        # out is the pool's own); test_pool_addresses.py checks the default.
        fields.setdefault("skip_network_and_broadcast", False)
        pool = IPPool(name=name or f"pool {inet}", inet=inet, default_subnetsize=size, **fields)
        pool.full_clean()
        pool.save()
        return pool

    return make


@pytest.fixture
def pool_v4(make_pool):
    return make_pool("192.0.2.0/24", 32, name="IPv4 subscribers")


@pytest.fixture
def pool_v6(make_pool):
    return make_pool("2001:db8::/32", 56, name="IPv6 subscribers")


@pytest.fixture
def make_offer(db):
    from coin.offers.models import Offer

    counter = {"n": 0}

    def make(configuration_type: str = "simple_dsl.SimpleDSL", pools=(), **fields) -> Offer:
        from coin.resources.models import OfferIPPool

        counter["n"] += 1
        offer = Offer.objects.create(
            name=fields.pop("name", f"Offer {counter['n']}"),
            reference=fields.pop("reference", f"OFF{counter['n']}"),
            configuration_type=configuration_type,
            **fields,
        )
        for order, pool in enumerate(pools):
            OfferIPPool.objects.create(offer=offer, pool=pool, order=order)
        return offer

    return make


@pytest.fixture
def make_subscription(db, member):
    from coin.offers.models import OfferSubscription
    from coin.offers.subscriptions import subscribe

    def make(offer, owner=None) -> OfferSubscription:
        return subscribe(member=owner or member, offer=offer)

    return make


@pytest.fixture
def configuration(make_offer, make_subscription):
    """A SimpleDSL configuration of ``member`` (its offer has no pool)."""
    return make_subscription(make_offer()).configuration


@pytest.fixture
def other_configuration(make_offer, make_subscription, other_member):
    return make_subscription(make_offer(), owner=other_member).configuration


@pytest.fixture
def subnet_events(monkeypatch):
    """Records the pk of each configuration whose subnet_event() is called."""
    from coin.configuration.models import Configuration

    calls: list[int] = []
    original = Configuration.subnet_event

    def spy(self):
        calls.append(self.pk)
        original(self)

    monkeypatch.setattr(Configuration, "subnet_event", spy)
    return calls


@pytest.fixture
def zone_settings(settings):
    settings.REVERSE_DNS_NAMESERVERS = ["ns1.isp.example", "ns2.isp.example"]
    settings.REVERSE_DNS_SOA_RNAME = "hostmaster@isp.example"
    return settings
