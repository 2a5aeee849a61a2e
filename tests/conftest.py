import pytest


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
