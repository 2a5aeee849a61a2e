import datetime

import pytest


@pytest.fixture(autouse=True)
def autouse_english(english):
    """Every test of this folder in English (the root conftest's ``english``)."""


@pytest.fixture
def router_type(db):
    from hardware_provisioning.models import ItemType

    return ItemType.objects.create(name="Router")


@pytest.fixture
def modem_type(db):
    from hardware_provisioning.models import ItemType

    return ItemType.objects.create(name="DSL modem")


@pytest.fixture
def site(db):
    from hardware_provisioning.models import Storage

    return Storage.objects.create(name="Local", truncated_address="12 rue des Lilas, Lyon")


@pytest.fixture
def other_site(db):
    from hardware_provisioning.models import Storage

    return Storage.objects.create(name="Cave", truncated_address="4 impasse du Moulin")


@pytest.fixture
def make_item(router_type, site):
    from hardware_provisioning.models import Item

    counter = {"n": 0}

    def make(**fields):
        counter["n"] += 1
        defaults = {
            "type": router_type,
            "designation": f"Archer C7 #{counter['n']}",
            "storage": site,
            "mac_address": f"c0:4a:00:10:20:{counter['n']:02x}",
            "serial": f"SN-{counter['n']:04d}",
        }
        defaults.update(fields)
        item = Item(**defaults)
        item.full_clean()
        item.save()
        return item

    return make


@pytest.fixture
def item(make_item):
    return make_item()


@pytest.fixture
def subscribe(db):
    """subscribe(member) -> a running subscription of a fibre line (coin_fiber, which has
    a member page), made the way the core tests make them."""
    from coin.offers.models import Offer
    from coin.offers.subscriptions import subscribe

    def make(member, reference: str = "FTTH"):
        offer, _created = Offer.objects.get_or_create(
            reference=reference,
            defaults={"name": "Fibre", "configuration_type": "coin_fiber.FiberLine", "period_fees": "30.00"},
        )
        return subscribe(member, offer, subscription_date=datetime.date(2026, 1, 1))

    return make
