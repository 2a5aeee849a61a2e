import pytest
from django.core.management import call_command

from coin.offers.models import Offer

pytestmark = pytest.mark.django_db


def test_loaddata_offers_on_a_fresh_database():
    call_command("loaddata", "offers", verbosity=0)
    offers = {offer.reference: offer for offer in Offer.objects.all()}
    assert set(offers) == {"VPN", "DSL", "VPN-AN", "HEB"}
    for offer in offers.values():
        offer.full_clean()  # every fixture offer passes the admin's validation
    assert offers["DSL"].configuration_type == "simple_dsl.SimpleDSL"
    assert offers["VPN-AN"].billing_period == 12
