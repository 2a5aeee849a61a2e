"""Subnet allocation (filled by the IP resources work)."""


def allocate_offer_subnets(subscription) -> None:
    """Allocate one subnet in each IP pool attached to the subscription's offer."""
