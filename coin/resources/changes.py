"""What follows a change of a subnet, whichever way it happened (admin, portal,
API, allocation, ``QuerySet.delete()``): assignment history, clean-up of the
previous holder's reverse DNS data, the pool's allocation hint, and the
configuration's ``subnet_event()`` (coin.resources.events).

Called by IPSubnet.store() for saves and by the signal handlers of
coin.resources.signals for deletions, always inside the changing transaction.
"""

from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Least
from django.utils import timezone

from coin.configuration.models import Configuration
from coin.offers.models import OfferSubscription
from coin.resources.events import subnets_changed
from coin.resources.ip import key_value, make_key

TRACKED = ("inet", "ip_pool_id", "configuration_id", "delegate_reverse_dns", "range_start")


def previous_state(subnet) -> dict[str, Any] | None:
    """The subnet's row as stored, before this save."""
    return type(subnet).objects.filter(pk=subnet.pk).values(*TRACKED).first()


def subnet_saved(subnet, previous: dict[str, Any] | None) -> None:
    if previous is not None and all(
        previous[name] == getattr(subnet, name) for name in TRACKED if name != "range_start"
    ):
        return  # saved unchanged: nothing to tell anyone
    now = timezone.now()
    old_configuration = previous["configuration_id"] if previous else None
    moved = previous is not None and previous["inet"] != subnet.inet
    changed_hands = previous is not None and old_configuration != subnet.configuration_id
    if previous is None or moved or changed_hands:
        if previous is not None:
            close_assignments(subnet.pk, now)
        if subnet.configuration_id is not None:
            open_assignment(subnet, now)
    if changed_hands:
        _forget_previous_holder(subnet)
    elif moved:
        _drop_records_outside(subnet)
    if previous is not None and (moved or previous["ip_pool_id"] != subnet.ip_pool_id):
        lower_allocation_hint(previous["ip_pool_id"], previous["range_start"])
    subnets_changed(old_configuration, subnet.configuration_id, loaded=_loaded_configuration(subnet))


def _loaded_configuration(subnet) -> list:
    """The subnet's configuration when the caller has it loaded as its own type
    (a form or a service passed it): no need to fetch it again."""
    if subnet.configuration_id is None or not type(subnet).configuration.is_cached(subnet):
        return []
    configuration = subnet.configuration
    if type(configuration) is Configuration:  # a base row: its real type is unknown here
        return []
    return [configuration]


def subnet_deleting(subnet) -> None:
    """Before the row goes (its history rows still point to it)."""
    close_assignments(subnet.pk, timezone.now())


def subnet_deleted(subnet) -> None:
    lower_allocation_hint(subnet.ip_pool_id, subnet.range_start)
    subnets_changed(subnet.configuration_id)


def configuration_deleting(configuration) -> None:
    """Its subnets are detached (SET_NULL, without saves): end their assignments
    and drop the holder's reverse DNS data, as when a subnet changes hands."""
    from coin.resources.models import IPSubnet, IPSubnetAssignment, ReverseDNSEntry

    IPSubnetAssignment.objects.filter(configuration_id=configuration.pk, end__isnull=True).update(
        end=timezone.now()
    )
    ReverseDNSEntry.objects.filter(subnet__configuration_id=configuration.pk).delete()
    IPSubnet.name_server.through.objects.filter(
        ipsubnet__configuration_id=configuration.pk, nameserver__owner__isnull=False
    ).delete()


def lower_allocation_hint(pool_id: int | None, freed_start_key: str | None) -> None:
    """Space was freed at ``freed_start_key``: allocation must look there again."""
    from coin.resources.models import IPPool

    if pool_id is None or not freed_start_key:
        return
    IPPool.objects.filter(pk=pool_id).update(
        allocation_hint=Least(F("allocation_hint"), Value(freed_start_key))
    )


def advance_allocation_hints(subnets) -> None:
    """Subnets were written without allocation (``bulk_create``, ``loaddata``):
    move each pool's hint past those that start exactly at it, one after the
    other, as allocation would have. Others leave the hint where it is, which stays
    right (every address below it is still allocated), only slower to search from."""
    from coin.resources.models import IPPool

    by_pool: dict[int, list[tuple[int, int]]] = {}
    for subnet in subnets:
        if subnet.ip_pool_id is not None and subnet.network is not None:
            _version, first = key_value(subnet.range_start)
            by_pool.setdefault(subnet.ip_pool_id, []).append((first, key_value(subnet.range_end)[1]))
    for pool in IPPool.objects.filter(pk__in=by_pool).only("inet", "range_start", "allocation_hint"):
        version = pool.inet.version
        hint = key_value(pool.allocation_hint or pool.range_start)[1]
        moved = hint
        for first, last in sorted(by_pool[pool.pk]):
            if first == moved:
                moved = last + 1
            elif first > moved:
                break
        if moved != hint:
            IPPool.objects.filter(pk=pool.pk, allocation_hint=pool.allocation_hint).update(
                allocation_hint=make_key(version, moved)
            )


def close_assignments(subnet_id: int, when) -> None:
    from coin.resources.models import IPSubnetAssignment

    IPSubnetAssignment.objects.filter(subnet_id=subnet_id, end__isnull=True).update(end=when)


def open_assignment(subnet, when) -> None:
    from coin.resources.models import IPSubnetAssignment

    loaded = _loaded_configuration(subnet)
    if loaded:
        configuration = loaded[0]
        if not _subscription_is_loaded(configuration):
            configuration.offersubscription = OfferSubscription.objects.select_related("member", "offer").get(
                pk=configuration.offersubscription_id
            )
        subscription = configuration.offersubscription
    else:
        configuration = Configuration.objects.select_related(
            "offersubscription__member", "offersubscription__offer"
        ).get(pk=subnet.configuration_id)
        subscription = configuration.offersubscription
    IPSubnetAssignment.objects.create(
        subnet=subnet,
        inet=subnet.inet,
        configuration_id=configuration.pk,
        configuration_description=str(configuration)[:255],
        subscription=subscription,
        subscription_reference=subscription.reference[:100],
        member_username=subscription.member.username,
        start=when,
    )


def _subscription_is_loaded(configuration) -> bool:
    """The configuration's subscription, its member and its offer are in memory."""
    field = type(configuration)._meta.get_field("offersubscription")
    if not field.is_cached(configuration):
        return False
    subscription = configuration.offersubscription
    return all(subscription._meta.get_field(name).is_cached(subscription) for name in ("member", "offer"))


def _forget_previous_holder(subnet) -> None:
    """A subnet that changes hands loses the previous member's PTR records and
    name servers: the new holder must not inherit them."""
    subnet.reverse_dns_entries.all().delete()
    keep_owner = None
    if subnet.configuration_id is not None:
        keep_owner = subnet.configuration.offersubscription.member_id
    foreign = subnet.name_server.filter(owner__isnull=False).exclude(owner_id=keep_owner)
    if foreign.exists():
        subnet.name_server.remove(*foreign)


def _drop_records_outside(subnet) -> None:
    network = subnet.network
    outside = [entry.pk for entry in subnet.reverse_dns_entries.all() if entry.address not in network]
    if outside:
        subnet.reverse_dns_entries.filter(pk__in=outside).delete()
