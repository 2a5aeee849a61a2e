import pytest


@pytest.fixture(autouse=True)
def autouse_english(english):
    """Every test of this folder in English (the root conftest's ``english``)."""


@pytest.fixture
def bng(db):
    from coa.models import BNG

    return BNG.objects.create(name="bng1", address="192.0.2.254", secret="s3cr3t-shared")


@pytest.fixture
def radius_offer(db):
    from coa.models import RadiusGroup, RadiusGroupAttribute
    from coin.offers.models import Offer

    offer = Offer.objects.create(
        name="Fibre via BNG", reference="BNG", configuration_type="coa.RadiusAccount"
    )
    group = RadiusGroup.objects.create(name="fibre-100", offer=offer)
    RadiusGroupAttribute.objects.create(
        group=group, attribute="Mikrotik-Rate-Limit", op=":=", value="100M/100M"
    )
    return offer


@pytest.fixture
def account(member, radius_offer, bng):
    from coin.offers.subscriptions import subscribe

    subscription = subscribe(member=member, offer=radius_offer)
    account = subscription.configuration
    account.bng = bng
    account.set_password("right-password")
    account.save()
    return account


@pytest.fixture
def pools(db):
    from coin.resources.models import IPPool

    return {
        "v4": IPPool.objects.create(name="v4", inet="198.51.100.0/24", default_subnetsize=32),
        "v6": IPPool.objects.create(name="v6", inet="2001:db8::/32", default_subnetsize=56),
    }


def add_subnet(account, pool, inet):
    from coin.resources.models import IPSubnet

    subnet = IPSubnet(inet=inet, ip_pool=pool, configuration=account)
    subnet.save()
    return subnet
