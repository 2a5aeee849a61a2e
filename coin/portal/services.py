"""What the portal shows a member about their services: the subscriptions with their
state, the configuration's details and addresses, and how to reach the network."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet

from coin.configuration.models import Configuration
from coin.offers.models import OfferSubscription
from coin.resources.models import IPSubnet


@dataclass
class Service:
    """One subscription as the member sees it. ``details``: (label, value) of the
    configuration's fields listed in its ``member_fields``; ``subnets``: its networks."""

    subscription: OfferSubscription
    today: datetime.date
    running: bool
    configuration: Configuration | None
    details: list[tuple[str, str]] = field(default_factory=list)
    subnets: list[IPSubnet] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The configuration's type, e.g. "DSL line" (empty without a configuration)."""
        return str(self.configuration._meta.verbose_name) if self.configuration else ""

    @property
    def state(self) -> str:
        """ "running", "stopping" (a resignation date is set), "stopped" or "upcoming"."""
        if self.running:
            return "stopping" if self.subscription.resign_date else "running"
        return "upcoming" if self.subscription.subscription_date > self.today else "stopped"


def member_subscriptions(member) -> QuerySet:
    return (
        OfferSubscription.objects.filter(member=member)
        .select_related("offer")
        .order_by("resign_date", "-subscription_date")
    )


def configuration_details(configuration: Configuration | None) -> list[tuple[str, str]]:
    """(label, value) of the fields a configuration type lets its member see: its
    ``member_fields`` (none by default, so that nothing internal or secret leaks)."""
    if configuration is None:
        return []
    rows = []
    for name in getattr(configuration, "member_fields", []):
        model_field = configuration._meta.get_field(name)
        label = getattr(model_field, "verbose_name", name)  # a reverse relation has none
        value = getattr(configuration, name)
        rows.append((str(label), "" if value in (None, "") else str(value)))
    return rows


def member_services(member, today: datetime.date) -> list[Service]:
    """Every subscription of the member with its configuration and networks (three
    queries whatever their number)."""
    subscriptions = list(member_subscriptions(member))
    configurations = {
        c.offersubscription_id: c
        for c in Configuration.objects.filter(offersubscription__in=subscriptions)  # concrete types
    }
    subnets: dict[int, list[IPSubnet]] = {}
    for subnet in IPSubnet.objects.of_member(member).order_by("range_start"):
        assert subnet.configuration_id is not None  # of_member(): found through its configuration
        subnets.setdefault(subnet.configuration_id, []).append(subnet)
    services = []
    for subscription in subscriptions:
        configuration = configurations.get(subscription.pk)
        services.append(
            Service(
                subscription=subscription,
                today=today,
                running=subscription.is_running(today),
                configuration=configuration,
                details=configuration_details(configuration),
                subnets=subnets.get(configuration.pk, []) if configuration else [],
            )
        )
    return services


def network_settings() -> dict[str, object]:
    """How members reach the network, from the settings (empty values: not published)."""
    return {
        "ipv4_gateway": settings.SERVICE_IPV4_GATEWAY,
        "ipv6_gateway": settings.SERVICE_IPV6_GATEWAY,
        "dns_resolvers": list(settings.SERVICE_DNS_RESOLVERS),
    }
