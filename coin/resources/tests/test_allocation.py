"""Automatic allocation: lowest free aligned block, sizes, exhaustion, offers."""

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coin.resources.allocation import (
    HINT_SLACK,
    PoolExhausted,
    allocate,
    allocate_offer_subnets,
    allocate_subnet,
    check_allocatable_subnet,
    first_free_block,
    free_blocks,
    pool_usage,
    save_subnet,
)
from coin.resources.models import IPPool, IPSubnet, OfferIPPool

pytestmark = pytest.mark.django_db
net = ipaddress.ip_network


def test_allocation_takes_the_lowest_blocks_in_order(pool_v4, pool_v6):
    assert [str(allocate_subnet(pool_v4).inet) for _ in range(3)] == [
        "192.0.2.0/32",
        "192.0.2.1/32",
        "192.0.2.2/32",
    ]
    assert [str(allocate_subnet(pool_v6).inet) for _ in range(3)] == [
        "2001:db8::/56",
        "2001:db8:0:100::/56",
        "2001:db8:0:200::/56",
    ]


def test_a_subnet_without_network_is_allocated_not_saved(pool_v4, configuration):
    subnet = IPSubnet(ip_pool=pool_v4, configuration=configuration)
    with pytest.raises(ValidationError) as excinfo:
        subnet.save()
    assert "inet" in excinfo.value.message_dict and subnet.pk is None
    subnet.full_clean()
    assert allocate(subnet) is subnet
    assert subnet.inet == net("192.0.2.0/32") and subnet.pk is not None
    assert save_subnet(IPSubnet(ip_pool=pool_v4)).inet == net("192.0.2.1/32")
    typed = save_subnet(IPSubnet(ip_pool=pool_v4, inet="192.0.2.9/32"))
    assert typed.pk is not None and typed.inet == net("192.0.2.9/32")


def test_lowest_aligned_block_with_holes(make_pool):
    pool = make_pool("10.0.0.0/24", 30)
    for inet in ["10.0.0.0/30", "10.0.0.8/31", "10.0.0.16/28"]:
        IPSubnet.objects.create(ip_pool=pool, inet=inet)
    assert allocate_subnet(pool).inet == net("10.0.0.4/30")  # the hole left at 4-7
    assert allocate_subnet(pool, prefixlen=29).inet == net("10.0.0.32/29")  # 8-15 is not all free
    assert allocate_subnet(pool, prefixlen=31).inet == net("10.0.0.10/31")
    assert allocate_subnet(pool, prefixlen=30).inet == net("10.0.0.12/30")
    assert allocate_subnet(pool).inet == net("10.0.0.40/30")


def test_deleted_subnets_are_reused_lowest_first(pool_v4):
    subnets = [allocate_subnet(pool_v4) for _ in range(10)]
    subnets[7].delete()
    IPSubnet.objects.filter(pk__in=[subnets[3].pk, subnets[5].pk]).delete()  # a queryset delete too
    assert [str(allocate_subnet(pool_v4).inet) for _ in range(4)] == [
        "192.0.2.3/32",
        "192.0.2.5/32",
        "192.0.2.7/32",
        "192.0.2.10/32",
    ]


def test_a_moved_subnet_frees_its_old_place(pool_v4):
    first = allocate_subnet(pool_v4)
    allocate_subnet(pool_v4)
    first.inet = "192.0.2.100/32"
    first.save()
    assert allocate_subnet(pool_v4).inet == net("192.0.2.0/32")


def test_a_subnet_moved_by_allocation_frees_its_old_place(pool_v4):
    """allocate() on an existing subnet moves it up to the lowest free block: its old
    block, below where the search ended, is free again and comes next."""
    subnets = [allocate_subnet(pool_v4) for _ in range(3 * HINT_SLACK)]
    IPPool.objects.filter(pk=pool_v4.pk).update(allocation_hint="")  # search from the start
    moved = subnets[2]
    old = moved.inet
    allocate(moved)
    assert moved.inet == net(f"192.0.2.{3 * HINT_SLACK}/32")
    assert allocate_subnet(pool_v4).inet == old


def test_a_stale_hint_never_hides_free_space(pool_v4):
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.0/25")
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.128/25")
    IPPool.objects.filter(pk=pool_v4.pk).update(allocation_hint="6" + "9" * 39)  # nonsense hint
    with pytest.raises(PoolExhausted):
        allocate_subnet(pool_v4)
    # Space freed behind the allocator's back (raw SQL, no signal) is still found.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM resources_ipsubnet WHERE prefixlen = 25 AND range_start LIKE '4%%'")
    IPPool.objects.filter(pk=pool_v4.pk).update(allocation_hint="4" + "9" * 39)
    assert allocate_subnet(pool_v4).inet == net("192.0.2.0/32")


def test_requested_size_must_fit_the_pool(pool_v4):
    for size in (23, 33):
        with pytest.raises(ValidationError, match="between /24 and /32"):
            allocate_subnet(pool_v4, prefixlen=size)
    assert allocate_subnet(pool_v4, prefixlen=24).inet == net("192.0.2.0/24")


def test_a_full_pool_gives_a_clear_error_naming_it(make_pool):
    pool = make_pool("198.51.100.0/30", 31, name="Tiny pool")
    allocate_subnet(pool)
    allocate_subnet(pool)
    with pytest.raises(PoolExhausted) as excinfo:
        allocate_subnet(pool)
    message = excinfo.value.messages[0]
    assert "Tiny pool" in message and "198.51.100.0/30" in message and "/31" in message
    assert IPSubnet.objects.count() == 2
    subnet = IPSubnet(ip_pool=pool)
    with pytest.raises(ValidationError) as excinfo:
        check_allocatable_subnet(subnet)
    assert "Tiny pool" in excinfo.value.message_dict["inet"][0]


def test_exhaustion_of_one_size_leaves_smaller_ones(make_pool):
    pool = make_pool("10.0.0.0/29", 30)
    IPSubnet.objects.create(ip_pool=pool, inet="10.0.0.0/32")
    IPSubnet.objects.create(ip_pool=pool, inet="10.0.0.4/32")
    with pytest.raises(PoolExhausted):
        allocate_subnet(pool)
    assert allocate_subnet(pool, prefixlen=31).inet == net("10.0.0.2/31")
    assert first_free_block(pool, 32) == net("10.0.0.1/32")


def test_a_failed_allocation_leaves_the_subnet_empty(make_pool):
    pool = make_pool("10.0.0.0/31", 31)
    allocate_subnet(pool)
    subnet = IPSubnet(ip_pool=pool)
    with pytest.raises(PoolExhausted):
        allocate(subnet)
    assert subnet.inet is None and subnet.pk is None


def test_allocation_cost_does_not_grow_with_the_pool_or_its_subnets(make_pool):
    """Counted in queries, not timed: the same handful for the first allocation
    in a huge IPv6 pool and after hundreds of subnets (see bench/ for timings)."""
    pool_v6 = make_pool("2001:db8::/32", 56)
    pool_v4 = make_pool("10.0.0.0/16", 32)

    def queries_for(pool) -> int:
        with CaptureQueriesContext(connection) as context:
            allocate_subnet(pool)
        return len(context.captured_queries)

    first_v6, first_v4 = queries_for(pool_v6), queries_for(pool_v4)
    for _ in range(300):
        allocate_subnet(pool_v6)
        allocate_subnet(pool_v4)
    # The search, the insert, and the hint's move once every HINT_SLACK subnets.
    assert first_v6 == first_v4 <= 2 + lock_statements()
    assert max(queries_for(pool_v6) for _ in range(HINT_SLACK)) == first_v6 + 1
    assert max(queries_for(pool_v4) for _ in range(HINT_SLACK)) == first_v4 + 1
    assert min(queries_for(pool_v4) for _ in range(HINT_SLACK)) == first_v4


def lock_statements() -> int:
    """Locking the pool is one SELECT … FOR NO KEY UPDATE on PostgreSQL; SQLite has
    no row locks: an UPDATE takes the database's write lock, then a SELECT reads."""
    return 1 if connection.features.has_select_for_update else 2


def admin_allocation_queries(pool, configuration=None) -> list[str]:
    """The statements of one allocation as the admin makes it: the form has loaded
    the pool and the configuration (with its holder and offer), checks that the pool
    has room, then full_clean() and save_subnet()."""
    subnet = IPSubnet(ip_pool=pool, configuration=configuration)
    with CaptureQueriesContext(connection) as context:
        check_allocatable_subnet(subnet)
        subnet.full_clean()
        save_subnet(subnet)
    assert subnet.pk is not None
    return [query["sql"] for query in context.captured_queries]


def test_an_allocation_with_its_validation_costs_a_handful_of_statements(pool_v4, configuration):
    """Inside the admin's transaction, on PostgreSQL: validation searches once, then
    the pool is locked, searched again, the row inserted, its history opened and
    (once every HINT_SLACK subnets) the hint moved: at most 6 statements (one more
    on SQLite, to lock; BEGIN and COMMIT on their own, two more)."""
    from coin.configuration.models import Configuration

    allocate_subnet(pool_v4)
    unassigned = admin_allocation_queries(pool_v4)
    assert len(unassigned) <= 4 + lock_statements(), unassigned
    loaded = Configuration.objects.select_related(
        "offersubscription__member", "offersubscription__offer"
    ).get(pk=configuration.pk)
    assigned = admin_allocation_queries(pool_v4, loaded)
    assert len(assigned) <= 5 + lock_statements(), assigned
    for _ in range(200):
        allocate_subnet(pool_v4)
    assert len(admin_allocation_queries(pool_v4, loaded)) == len(assigned)


def test_the_callers_pool_object_sees_the_moved_hint(pool_v4):
    """A script allocating in a loop with one pool object must not search from
    where that object's hint was when it was loaded."""
    for _ in range(50):
        allocate_subnet(pool_v4)
    assert pool_v4.allocation_hint == IPPool.objects.get(pk=pool_v4.pk).allocation_hint
    subnet = IPSubnet(ip_pool=pool_v4)
    with CaptureQueriesContext(connection) as context:
        check_allocatable_subnet(subnet)
        subnet.full_clean()
    assert len(context.captured_queries) == 1  # one page of the search, from the hint


def test_a_bulk_fill_moves_the_hint_past_what_it_wrote(make_pool):
    from coin.resources.ip import make_key, network_from_range

    pool = make_pool("10.8.0.0/16", 32)
    first = int(pool.inet.network_address)
    rows = [IPSubnet(ip_pool=pool, inet=network_from_range(4, first + n, 32)) for n in range(3000)]
    IPSubnet.objects.bulk_create(reversed(rows), batch_size=500)  # any order
    pool.refresh_from_db()
    assert pool.allocation_hint == make_key(4, first + 3000)
    with CaptureQueriesContext(connection) as context:
        subnet = allocate_subnet(pool)
    assert subnet.inet == net("10.8.11.184/32")  # the 3001st address
    assert len(context.captured_queries) <= 3 + lock_statements()


def test_a_fixture_load_moves_the_hint_too(make_pool, tmp_path):
    import json

    from django.core.management import call_command

    pool = make_pool("198.51.100.0/24", 32)
    fixture = tmp_path / "subnets.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "resources.ipsubnet",
                    "pk": 1000 + n,
                    "fields": {"inet": f"198.51.100.{n}/32", "ip_pool": pool.pk},
                }
                for n in range(40)
            ]
        )
    )
    call_command("loaddata", str(fixture), verbosity=0)
    pool.refresh_from_db()
    assert pool.allocation_hint.endswith(str(int(ipaddress.ip_address("198.51.100.40"))))
    assert allocate_subnet(pool).inet == net("198.51.100.40/32")


def test_free_blocks_and_usage(make_pool):
    pool = make_pool("10.0.0.0/28", 30)
    IPSubnet.objects.create(ip_pool=pool, inet="10.0.0.4/30")
    IPSubnet.objects.create(ip_pool=pool, inet="10.0.0.9/32")
    assert free_blocks(pool) == [net("10.0.0.0/30"), net("10.0.0.12/30")]
    assert free_blocks(pool, 32, limit=3) == [net("10.0.0.0/32"), net("10.0.0.1/32"), net("10.0.0.2/32")]
    usage = pool_usage(pool)
    assert (usage.subnets, usage.used_addresses, usage.total_addresses) == (2, 5, 16)
    assert usage.free_blocks == 2
    assert round(usage.percent, 2) == 31.25


def test_usage_of_a_huge_ipv6_pool(pool_v6):
    allocate_subnet(pool_v6)
    usage = pool_usage(pool_v6)
    assert usage.total_addresses == 2**96
    assert usage.free_blocks == 2**24 - 1


# --- Subscriptions -------------------------------------------------------------------


def test_a_new_subscription_gets_one_subnet_in_each_pool_of_its_offer(
    pool_v4, pool_v6, make_offer, make_subscription
):
    offer = make_offer()
    OfferIPPool.objects.create(offer=offer, pool=pool_v6, order=2)
    OfferIPPool.objects.create(offer=offer, pool=pool_v4, order=1)
    first = make_subscription(offer)
    second = make_subscription(offer)
    subnets = list(first.configuration.ip_subnet.order_by("id"))
    assert [str(s.inet) for s in subnets] == ["192.0.2.0/32", "2001:db8::/56"]  # order 1 then 2
    assert [str(s.inet) for s in second.configuration.ip_subnet.order_by("id")] == [
        "192.0.2.1/32",
        "2001:db8:0:100::/56",
    ]


def test_an_offer_without_pools_allocates_nothing(make_offer, make_subscription, pool_v4):
    subscription = make_subscription(make_offer())
    assert allocate_offer_subnets(subscription) == []
    assert not IPSubnet.objects.exists()


def test_offer_with_pools_but_no_configuration_type_is_explained(make_offer, make_subscription, pool_v4):
    offer = make_offer(configuration_type="")
    with pytest.raises(ValidationError) as excinfo:
        OfferIPPool(offer=offer, pool=pool_v4).full_clean()
    assert "no configuration type" in excinfo.value.messages[0]
    OfferIPPool.objects.create(offer=offer, pool=pool_v4)  # e.g. type removed afterwards
    with pytest.raises(ValidationError) as excinfo:
        make_subscription(offer)
    assert offer.name in excinfo.value.messages[0] and "IPv4 subscribers" in excinfo.value.messages[0]


def test_a_full_pool_stops_the_subscription_with_nothing_half_saved(make_pool, make_offer, make_subscription):
    from coin.offers.models import OfferSubscription

    tiny = make_pool("10.9.0.0/32", 32, name="Last address")
    ipv6 = make_pool("2001:db8::/48", 56, name="v6")
    offer = make_offer(pools=[ipv6, tiny])
    make_subscription(offer)
    with pytest.raises(PoolExhausted, match="Last address"):
        make_subscription(offer)
    assert OfferSubscription.objects.count() == 1
    assert IPSubnet.objects.count() == 2


def test_mixed_sizes_in_an_ipv6_pool(pool_v6):
    for _ in range(3):
        allocate_subnet(pool_v6)  # three /56s at the start of 2001:db8::/48
    assert allocate_subnet(pool_v6, prefixlen=48).inet == net("2001:db8:1::/48")
    assert allocate_subnet(pool_v6, prefixlen=64).inet == net("2001:db8:0:300::/64")
    assert allocate_subnet(pool_v6).inet == net("2001:db8:0:400::/56")  # the /64 left 2001:db8:0:3xx
    assert allocate_subnet(pool_v6, prefixlen=64).inet == net("2001:db8:0:301::/64")


def test_a_subnet_needs_a_pool():
    with pytest.raises(ValidationError) as excinfo:
        IPSubnet(inet="192.0.2.0/32").save()
    assert "ip_pool" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        allocate(IPSubnet())
    assert "ip_pool" in excinfo.value.message_dict
