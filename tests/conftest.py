import pytest
from django.test import override_settings

from tests.inventory import InventoryServer


@pytest.fixture
def inventory():
    """The sample app's far end, down until the test calls inventory.up()."""
    server = InventoryServer()
    with override_settings(FIBER_INVENTORY_URL=server.url):
        yield server
    server.down()


@pytest.fixture
def fiber_offer(db):
    from coin.offers.models import Offer

    return Offer.objects.create(
        name="Fibre 1 Gb/s",
        reference="FTTH",
        configuration_type="coin_fiber.FiberLine",
        period_fees="30.00",
        requestable=True,
    )
