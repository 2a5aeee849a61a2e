"""Automatic allocation of subnets in pools.

The rule: a new subnet gets the **lowest-addressed free aligned block** of the
requested size (by default the pool's ``default_subnetsize``).

Cost: never proportional to the size of the pool (a /32 IPv6 pool of /56s holds
16.7 million blocks), only to the subnets that have to be looked at. The search
(find_free_block) walks the existing subnets in address order and stops at the
first gap that holds an aligned block. It starts at the pool's *allocation hint*,
an address below which every address is known to be allocated: allocation moves
it up past what it hands out (once the search from it has had to look at a few
subnets, HINT_SLACK: one statement saved in most allocations), and freeing space
(deleting or moving a subnet) moves it back down (coin.resources.changes). Filling a pool from the bottom thus
costs a few indexed queries per allocation whatever the number of subnets.

Concurrency: every writer of a pool's subnets (allocation, a subnet typed by hand)
first takes a lock on the pool row (``IPPool.objects.lock()``), so the block found
free is still free when it is written. Writers that skip the rules
(``bulk_create``, raw SQL) are still stopped by the database: the GiST exclusion
constraint on PostgreSQL, a unique start address on both.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from coin.configuration.models import Configuration, configuration_model
from coin.offers.models import Offer, OfferSubscription
from coin.resources.ip import (
    IPNetwork,
    align_up,
    block_size,
    key_value,
    make_key,
    max_prefixlen,
    network_from_range,
)
from coin.resources.models import IPPool, IPSubnet, OfferIPPool

FIRST_BATCH = 16
MAX_BATCH = 4096
#: Allocation moves the stored hint only once the search from it looked at this
#: many subnets (a statement saved in most allocations); it stays right meanwhile
#: (every address below it is still allocated) and the search from it fits in
#: the first batch.
HINT_SLACK = FIRST_BATCH // 2


class PoolExhausted(ValidationError):
    """No free block of the requested size is left in the pool."""

    def __init__(self, pool: IPPool, prefixlen: int) -> None:
        self.pool = pool
        self.prefixlen = prefixlen
        super().__init__(
            _("The pool “%(pool)s” (%(network)s) has no free /%(prefixlen)d block left."),
            code="pool_exhausted",
            params={"pool": pool.name, "network": pool.inet, "prefixlen": prefixlen},
        )


# --- The rule, on plain integers ------------------------------------------------------


@dataclass(frozen=True)
class BlockSearch:
    block: int | None
    """First address of the lowest free aligned block, or None if there is none."""
    lowest_free: int
    """An address such that every address from the search start up to it is
    allocated (the lowest free one when the search went that far; one past the
    pool when all is taken): the next allocation hint."""
    walked: int = 0
    """How many allocated ranges the search looked at."""


def find_free_block(
    first: int, last: int, size: int, used: Iterable[tuple[int, int]], start: int | None = None
) -> BlockSearch:
    """Lowest free block of ``size`` addresses (a power of two) aligned on ``size``
    between ``first`` and ``last`` inclusive.

    ``used`` gives the (first, last) addresses of the allocated ranges in
    increasing order of first address, non-overlapping; it is consumed only up to
    the gap found, so a lazy iterator keeps the cost proportional to the ranges
    actually looked at. The search starts at ``start`` (the allocation hint) when
    given: every address below it must be allocated.
    """
    cursor = first if start is None else max(first, start)
    lowest_free: int | None = None
    candidate = align_up(cursor, size)
    found: int | None = None
    walked = 0
    for range_first, range_last in used:
        walked += 1
        if range_last < cursor:
            continue
        if lowest_free is None:
            if range_first > cursor:
                lowest_free = cursor
            else:
                cursor = range_last + 1
        if range_last < candidate:
            continue
        if range_first >= candidate + size:
            if candidate + size - 1 <= last:
                found = candidate
            break
        candidate = align_up(range_last + 1, size)
        if candidate + size - 1 > last:
            break
    else:
        if candidate + size - 1 <= last:
            found = candidate
    if lowest_free is None:
        lowest_free = min(cursor, last + 1)
    if found is not None and found == lowest_free:
        lowest_free = found + size
    return BlockSearch(found, lowest_free, walked)


def iter_free_blocks(first: int, last: int, size: int, used: Iterable[tuple[int, int]]) -> Iterator[int]:
    """Every free aligned block of ``size`` in address order (first addresses)."""
    candidate = align_up(first, size)
    for range_first, range_last in used:
        if range_last < candidate:
            continue
        while candidate + size - 1 < range_first and candidate + size - 1 <= last:
            yield candidate
            candidate += size
        candidate = max(candidate, align_up(range_last + 1, size))
        if candidate + size - 1 > last:
            return
    while candidate + size - 1 <= last:
        yield candidate
        candidate += size


# --- Reading the pool ---------------------------------------------------------------


def check_prefixlen(pool: IPPool, prefixlen: int | None) -> int:
    """The prefix length to allocate: the requested one, or the pool's default;
    it must lie between the pool's own prefix length and /32 or /128."""
    network = pool.inet
    size = pool.default_subnetsize if prefixlen is None else int(prefixlen)
    if not network.prefixlen <= size <= max_prefixlen(network.version):
        raise ValidationError(
            _("In the pool “%(pool)s” (%(network)s), choose a prefix length between /%(low)d and /%(high)d."),
            code="size_out_of_bounds",
            params={
                "pool": pool.name,
                "network": network,
                "low": network.prefixlen,
                "high": max_prefixlen(network.version),
            },
        )
    return size


def used_ranges(network: IPNetwork, start: int) -> Iterator[tuple[int, int]]:
    """(first, last) of the subnets that start at or above ``start`` in ``network``,
    in address order, fetched lazily in growing batches of indexed queries.

    No subnet starting below ``start`` can cover it when ``start`` is the pool's
    first address or its allocation hint: subnets lie inside their pool and every
    address below the hint is allocated, so such a subnet would overlap another.

    Plain SQL on the unique index of ``range_start``, not a QuerySet: building the
    query through the ORM cost more than running it (every allocation searches
    once or twice)."""
    version = network.version
    last_key = make_key(version, int(network.broadcast_address))
    table = connection.ops.quote_name(IPSubnet._meta.db_table)
    page_sql = (
        f"SELECT range_start, range_end FROM {table} WHERE range_start {{}} %s AND range_start <= %s "
        "ORDER BY range_start LIMIT %s"
    )
    after, comparison, batch = make_key(version, start), ">=", FIRST_BATCH
    while True:
        with connection.cursor() as cursor:
            cursor.execute(page_sql.format(comparison), [after, last_key, batch])
            page = cursor.fetchall()
        for range_start, range_end in page:
            yield key_value(range_start)[1], key_value(range_end)[1]
        if len(page) < batch:
            return
        after, comparison, batch = page[-1][0], ">", min(batch * 4, MAX_BATCH)


def _hint_address(pool: IPPool) -> int | None:
    if not pool.allocation_hint:
        return None
    version, address = key_value(pool.allocation_hint)
    if version != pool.inet.version:
        return None
    return address


def allocatable_range(pool: IPPool, prefixlen: int) -> tuple[int, int]:
    """First and last address that allocation may hand out in the pool. Single IPv4
    addresses (/32) skip the pool's network and broadcast addresses when the pool
    says so (``skip_network_and_broadcast``, the default), as hosts on a shared
    IPv4 network cannot use them; blocks and IPv6 use the whole pool."""
    network = pool.inet
    first, last = int(network.network_address), int(network.broadcast_address)
    if (
        network.version == 4
        and prefixlen == 32
        and network.prefixlen <= 30
        and getattr(pool, "skip_network_and_broadcast", True)
    ):
        return first + 1, last - 1
    return first, last


def search_pool(pool: IPPool, prefixlen: int, use_hint: bool = True) -> BlockSearch:
    network = pool.inet
    first, last = allocatable_range(pool, prefixlen)
    start = _hint_address(pool) if use_hint else None
    start = first if start is None else max(first, start)
    if start > last:
        return BlockSearch(None, last + 1)
    size = block_size(network.version, prefixlen)
    return find_free_block(first, last, size, used_ranges(network, start), start)


def first_free_block(pool: IPPool, prefixlen: int | None = None) -> IPNetwork | None:
    """The block that the next allocation would take (without locking anything)."""
    size = check_prefixlen(pool, prefixlen)
    search = search_pool(pool, size)
    if search.block is None and pool.allocation_hint:
        search = search_pool(pool, size, use_hint=False)
    if search.block is None:
        return None
    return network_from_range(pool.inet.version, search.block, size)


def free_blocks(pool: IPPool, prefixlen: int | None = None, limit: int = 50) -> list[IPNetwork]:
    """The first ``limit`` free aligned blocks of the pool, lowest first."""
    size = check_prefixlen(pool, prefixlen)
    network = pool.inet
    first, last = allocatable_range(pool, size)
    blocks = []
    for block in iter_free_blocks(
        first, last, block_size(network.version, size), used_ranges(network, first)
    ):
        blocks.append(network_from_range(network.version, block, size))
        if len(blocks) >= limit:
            break
    return blocks


def check_allocatable(pool: IPPool, prefixlen: int | None = None) -> None:
    """Raise the error that allocating now would raise (for forms)."""
    size = check_prefixlen(pool, prefixlen)
    if first_free_block(pool, size) is None:
        raise PoolExhausted(pool, size)


@dataclass(frozen=True)
class PoolUsage:
    subnets: int
    used_addresses: int
    total_addresses: int
    block_prefixlen: int
    block_addresses: int

    @property
    def percent(self) -> float:
        return 100.0 * self.used_addresses / self.total_addresses if self.total_addresses else 0.0

    @property
    def free_addresses(self) -> int:
        return self.total_addresses - self.used_addresses

    @property
    def free_blocks(self) -> int:
        """Free space counted in blocks of the default size (exact when every
        subnet of the pool has that size, an upper bound otherwise)."""
        return self.free_addresses // self.block_addresses


def pool_usages(pools: Iterable[IPPool]) -> dict[int, PoolUsage]:
    """Allocated and free space of several pools, from one grouped query."""
    pools = list(pools)
    counts: dict[int, dict[int, int]] = {pool.pk: {} for pool in pools}
    rows = (
        IPSubnet.objects.filter(ip_pool__in=[pool.pk for pool in pools])
        .order_by()
        .values_list("ip_pool", "prefixlen")
        .annotate(count=Count("id"))
    )
    for pool_id, prefixlen, count in rows:
        counts[pool_id][prefixlen] = count
    usages = {}
    for pool in pools:
        network, top = pool.inet, max_prefixlen(pool.inet.version)
        by_size = counts[pool.pk]
        usages[pool.pk] = PoolUsage(
            subnets=sum(by_size.values()),
            used_addresses=sum(count << (top - prefixlen) for prefixlen, count in by_size.items()),
            total_addresses=network.num_addresses,
            block_prefixlen=pool.default_subnetsize,
            block_addresses=block_size(network.version, pool.default_subnetsize),
        )
    return usages


def pool_usage(pool: IPPool) -> PoolUsage:
    return pool_usages([pool])[pool.pk]


# --- Allocating ------------------------------------------------------------------------


def allocate(subnet: IPSubnet, prefixlen: int | None = None) -> IPSubnet:
    """Give ``subnet`` (fields as wanted, ``inet`` empty) the lowest free aligned
    block of its pool, of ``prefixlen`` (default: the pool's size), and save it.
    Raises PoolExhausted when the pool is full. Returns the subnet. An existing
    subnet moves to the new block.

    The caller's pool object (``subnet.ip_pool``, when loaded) gets the pool's
    allocation hint as stored (moved every HINT_SLACK subnets or so), so that a
    loop allocating with one pool object stays cheap."""
    if subnet.ip_pool_id is None:
        raise ValidationError({"ip_pool": _("Choose the pool to allocate the subnet from.")})
    # No savepoint: every writer of the pool's subnets holds the pool's lock, so
    # the block found free under it is still free when the row is written. The
    # refusals are raised once the block is left, so they never spoil the
    # caller's transaction.
    with transaction.atomic(savepoint=False):
        refusal = _allocate_locked(subnet, prefixlen)
    if refusal is not None:
        raise refusal
    return subnet


def _allocate_locked(subnet: IPSubnet, prefixlen: int | None) -> ValidationError | None:
    """Lock the pool, find the block, save the subnet, move the hint. Returns the
    refusal to raise (pool gone, wrong size, pool full), or None."""
    pool = IPPool.objects.lock(subnet.ip_pool_id)
    if pool is None:
        return ValidationError({"ip_pool": _("This pool does not exist any more.")})
    try:
        size = check_prefixlen(pool, prefixlen)
    except ValidationError as refusal:
        return refusal
    search, search_from_hint = search_pool(pool, size), True
    if search.block is None and pool.allocation_hint:
        # A stale hint must not lose space.
        search, search_from_hint = search_pool(pool, size, use_hint=False), False
    if search.block is None:
        return PoolExhausted(pool, size)
    subnet.inet = network_from_range(pool.inet.version, search.block, size)
    # A subnet that moves frees its old block, below the lowest free address the
    # search saw maybe: saving it lowers the hint there, which must stay.
    moved = not subnet._state.adding
    try:
        subnet.store(check_overlap=False)
    except BaseException:
        subnet.inet = None
        raise
    if not moved and (search.walked >= HINT_SLACK or not search_from_hint):
        hint = make_key(pool.inet.version, search.lowest_free)
        IPPool.objects.filter(pk=pool.pk).update(allocation_hint=hint)
        pool.allocation_hint = hint
    if type(subnet).ip_pool.is_cached(subnet):
        subnet.ip_pool.allocation_hint = pool.allocation_hint
    return None


def allocate_subnet(
    pool: IPPool, configuration: Configuration | None = None, prefixlen: int | None = None, **fields: Any
) -> IPSubnet:
    """Create a subnet in ``pool`` on the lowest free aligned block."""
    subnet = IPSubnet(ip_pool=pool, configuration=configuration, **fields)
    return allocate(subnet, prefixlen)


def save_subnet(subnet: IPSubnet, prefixlen: int | None = None) -> IPSubnet:
    """What forms and the API do with a subnet: allocate it (``inet`` empty, of
    ``prefixlen`` or the pool's size) or save the network typed in."""
    if subnet.inet in (None, ""):
        return allocate(subnet, prefixlen)
    subnet.save()
    return subnet


def allocate_offer_subnets(subscription: OfferSubscription) -> list[IPSubnet]:
    """One subnet in each pool attached to the subscription's offer (in the pools'
    order), attached to the subscription's configuration. Run when a subscription
    is created (``subscription_created``, after coin.configuration has given it its
    configuration)."""
    links = list(OfferIPPool.objects.filter(offer_id=subscription.offer_id).select_related("pool", "offer"))
    if not links:
        return []
    configuration: Configuration | None
    try:
        configuration = subscription.configuration
    except ObjectDoesNotExist:
        configuration = cast(
            Configuration | None,
            Configuration.objects.non_polymorphic().filter(offersubscription=subscription).first(),
        )
    if configuration is None:
        check_offer_allocatable(links[0].offer)
    with transaction.atomic():
        return [allocate_subnet(link.pool, configuration=configuration) for link in links]


def check_allocatable_subnet(subnet: IPSubnet, prefixlen: int | None = None) -> None:
    """For forms and the API: a subnet to allocate (``inet`` empty) must find room in
    its pool; the refusal names the ``inet`` field."""
    if subnet.ip_pool_id is None or subnet.inet not in (None, ""):
        return
    try:
        check_allocatable(subnet.ip_pool, prefixlen)
    except ValidationError as error:
        raise ValidationError({"inet": error.messages}) from error


def check_offer_allocatable(offer: Offer) -> None:
    """Raise the error that creating a subscription to ``offer`` now would raise
    (a full pool, pools without a configuration type): forms call it first."""
    links = list(OfferIPPool.objects.filter(offer=offer).select_related("pool"))
    if links and configuration_model(offer.configuration_type) is None:
        raise ValidationError(
            _(
                "The offer “%(offer)s” hands out IP subnets (pools: %(pools)s) but its subscriptions get "
                "no configuration to attach them to (its configuration type is empty or its app is not "
                "installed). Choose an installed configuration type for the offer, or remove its pools."
            ),
            code="no_configuration",
            params={"offer": offer.name, "pools": ", ".join(link.pool.name for link in links)},
        )
    for link in links:
        check_allocatable(link.pool)
