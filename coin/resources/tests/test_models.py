"""Pool and subnet rules at their edges, on both databases."""

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from coin.resources.ip import end_key, start_key
from coin.resources.models import IPPool, IPSubnet, SubnetOverlap, is_overlap_error

pytestmark = pytest.mark.django_db


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- Pools --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inet", "size", "ok"),
    [
        ("192.0.2.0/24", 24, True),
        ("192.0.2.0/24", 32, True),
        ("192.0.2.0/24", 23, False),
        ("192.0.2.0/24", 33, False),
        ("2001:db8::/32", 32, True),
        ("2001:db8::/32", 128, True),
        ("2001:db8::/32", 31, False),
        ("2001:db8::/32", 129, False),
    ],
)
def test_default_subnet_size_lies_between_the_pool_prefix_and_the_maximum(inet, size, ok):
    pool = IPPool(name="p", inet=inet, default_subnetsize=size)
    if ok:
        pool.full_clean()
        pool.save()
    else:
        with pytest.raises(ValidationError) as excinfo:
            pool.full_clean()
        assert "default_subnetsize" in errors_of(excinfo)


def test_pools_never_overlap(make_pool):
    make_pool("192.0.2.0/25", 32, name="low half")
    make_pool("192.0.2.128/25", 32, name="high half")  # adjacent is fine
    for inet in ["192.0.2.0/24", "192.0.2.64/26", "192.0.2.255/32", "192.0.0.0/16"]:
        pool = IPPool(name=f"new {inet}", inet=inet, default_subnetsize=32)
        with pytest.raises(ValidationError) as excinfo:
            pool.full_clean()
        assert "overlaps the pool" in errors_of(excinfo)["inet"][0]
        with pytest.raises(ValidationError):
            pool.save()  # enforced on save, not only in forms
    assert IPPool.objects.count() == 2


def test_ipv4_and_ipv6_pools_do_not_collide(make_pool):
    make_pool("0.0.0.0/0", 32)
    make_pool("::/0", 64)  # the whole IPv6 space does not overlap IPv4


def test_a_pool_cannot_shrink_below_its_subnets(pool_v4):
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.200/30")
    pool_v4.inet = "192.0.2.0/25"
    with pytest.raises(ValidationError) as excinfo:
        pool_v4.full_clean()
    message = errors_of(excinfo)["inet"][0]
    assert "1 subnet" in message and "192.0.2.200/30" in message
    with pytest.raises(ValidationError):
        pool_v4.save()
    pool_v4.inet = "192.0.2.128/25"  # still holds the subnet
    pool_v4.full_clean()
    pool_v4.save()
    pool_v4.inet = "192.0.0.0/22"  # growing is fine
    pool_v4.full_clean()
    pool_v4.save()
    assert IPPool.objects.get().range_start == start_key(ipaddress.ip_network("192.0.0.0/22"))


def test_pool_key_columns_follow_the_network(pool_v6):
    pool = IPPool.objects.get(pk=pool_v6.pk)
    assert pool.inet == ipaddress.ip_network("2001:db8::/32")
    assert pool.range_start == start_key(pool.inet)
    assert pool.range_end == end_key(pool.inet)


# --- Subnets --------------------------------------------------------------------------


def test_a_subnet_lies_inside_its_pool(pool_v4, make_pool):
    other = make_pool("198.51.100.0/24", 32)
    for inet in ["198.51.100.0/32", "192.0.2.0/23", "192.0.3.0/32"]:
        subnet = IPSubnet(ip_pool=pool_v4, inet=inet)
        with pytest.raises(ValidationError) as excinfo:
            subnet.full_clean()
        assert "is not inside the pool" in errors_of(excinfo)["inet"][0]
        with pytest.raises(ValidationError):
            subnet.save()
    IPSubnet(ip_pool=pool_v4, inet="192.0.2.0/24").save()  # the whole pool is allowed
    IPSubnet(ip_pool=other, inet="198.51.100.255/32").save()  # the last address too
    assert IPSubnet.objects.count() == 2


def test_ipv6_subnet_in_an_ipv4_pool_is_refused(pool_v4):
    subnet = IPSubnet(ip_pool=pool_v4, inet="2001:db8::/64")
    with pytest.raises(ValidationError) as excinfo:
        subnet.full_clean()
    assert "inet" in errors_of(excinfo)


def test_subnets_never_overlap_across_pools(make_pool):
    big = make_pool("10.0.0.0/16", 24, name="big")
    IPSubnet.objects.create(ip_pool=big, inet="10.0.1.0/24")
    # Another subnet record in the same pool
    for inet in ["10.0.1.0/24", "10.0.1.128/25", "10.0.1.255/32", "10.0.0.0/23"]:
        with pytest.raises(ValidationError) as excinfo:
            IPSubnet(ip_pool=big, inet=inet).full_clean()
        assert "overlaps the subnet 10.0.1.0/24" in errors_of(excinfo)["inet"][0]
        with pytest.raises(ValidationError):
            IPSubnet(ip_pool=big, inet=inet).save()
    IPSubnet.objects.create(ip_pool=big, inet="10.0.0.255/32")  # just below
    IPSubnet.objects.create(ip_pool=big, inet="10.0.2.0/32")  # just above
    assert IPSubnet.objects.count() == 3


def test_overlap_check_finds_a_subnet_hidden_under_a_bigger_one(make_pool):
    pool = make_pool("10.0.0.0/16", 24)
    IPSubnet.objects.create(ip_pool=pool, inet="10.0.0.8/29")
    IPSubnet.objects.create(ip_pool=pool, inet="10.0.0.64/26")
    with pytest.raises(ValidationError, match="10.0.0.64/26"):
        IPSubnet(ip_pool=pool, inet="10.0.0.0/24").full_clean()


def test_resaving_a_subnet_does_not_overlap_itself(pool_v4, configuration):
    subnet = IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.8/29")
    subnet.configuration = configuration
    subnet.full_clean()
    subnet.save()
    subnet.inet = "192.0.2.8/30"  # shrinking in place
    subnet.save()
    assert IPSubnet.objects.get().inet == ipaddress.ip_network("192.0.2.8/30")


def test_text_assigned_to_inet_becomes_a_network(pool_v4):
    subnet = IPSubnet(ip_pool=pool_v4, inet="192.0.2.16/28")
    assert subnet.inet.prefixlen == 28
    subnet.save()
    stored = IPSubnet.objects.get()
    assert str(stored.inet) == "192.0.2.16/28"
    assert stored.prefixlen == 28


def test_a_bad_network_is_reported_on_the_field(pool_v4):
    subnet = IPSubnet(ip_pool=pool_v4, inet="192.0.2.1/24")
    with pytest.raises(ValidationError) as excinfo:
        subnet.full_clean()
    assert "192.0.2.0/24" in errors_of(excinfo)["inet"][0]
    with pytest.raises(ValidationError):
        subnet.save()


def test_update_cannot_bypass_the_rules(pool_v4):
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.0/32")
    with pytest.raises(TypeError, match="save each object"):
        IPSubnet.objects.update(inet="192.0.2.1/32")
    with pytest.raises(TypeError):
        IPSubnet.objects.update(configuration=None)
    with pytest.raises(TypeError):
        IPPool.objects.update(inet="198.51.100.0/24")
    assert IPSubnet.objects.update(delegate_reverse_dns=True) == 1


def test_bulk_create_still_fills_the_key_columns(pool_v4):
    IPSubnet.objects.bulk_create([IPSubnet(ip_pool=pool_v4, inet="192.0.2.9/32")])
    row = IPSubnet.objects.values("range_start", "range_end", "prefixlen").get()
    network = ipaddress.ip_network("192.0.2.9/32")
    assert row == {"range_start": start_key(network), "range_end": end_key(network), "prefixlen": 32}


def test_the_key_columns_are_not_serialised(pool_v4):
    from django.core import serializers

    data = serializers.serialize("python", [pool_v4])
    assert set(data[0]["fields"]) == {
        "name", "inet", "default_subnetsize", "skip_network_and_broadcast", "description", "allocation_hint",
    }  # fmt: skip
    assert data[0]["fields"]["inet"] == "192.0.2.0/24"


def test_deferred_network_is_loaded_on_demand(pool_v4):
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.3/32")
    subnet = IPSubnet.objects.only("id").get()
    assert subnet.range_start == start_key(ipaddress.ip_network("192.0.2.3/32"))
    assert str(subnet.inet) == "192.0.2.3/32"


def test_ordering_is_address_order(make_pool):
    pool = make_pool("10.0.0.0/8", 32)
    for inet in ["10.200.0.0/32", "10.9.0.0/32", "10.10.0.0/32"]:
        IPSubnet.objects.create(ip_pool=pool, inet=inet)
    assert [str(s.inet) for s in IPSubnet.objects.all()] == ["10.9.0.0/32", "10.10.0.0/32", "10.200.0.0/32"]


def test_only_the_overlap_constraints_are_read_as_an_overlap(pool_v4):
    """The database's refusal is matched by the constraint's name (PostgreSQL) or the
    unique start column (SQLite), not by a word found in any error message."""
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.8/29")
    same_start = IPSubnet(ip_pool=pool_v4, inet="192.0.2.8/30")
    with pytest.raises(SubnetOverlap) as excinfo, transaction.atomic():
        same_start.store(check_overlap=False)  # past the application's check
    assert isinstance(excinfo.value.__cause__, IntegrityError)
    assert is_overlap_error(excinfo.value.__cause__, IPSubnet)
    assert "refused by the database" in excinfo.value.message_dict["inet"][0]

    # Another constraint of the same row (NOT NULL) stays an IntegrityError.
    broken = IPSubnet(ip_pool=pool_v4, inet="192.0.2.64/26", delegate_reverse_dns=None)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        broken.store(check_overlap=False)
    assert not isinstance(excinfo.value, SubnetOverlap)
    assert not is_overlap_error(excinfo.value, IPSubnet)
    assert IPSubnet.objects.count() == 1


def test_a_pool_refused_by_the_database_names_its_network(pool_v4):
    twin = IPPool(name="twin", inet="192.0.2.0/24", default_subnetsize=32)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        IPPool.objects.bulk_create([twin])
    assert is_overlap_error(excinfo.value, IPPool) and not is_overlap_error(excinfo.value, IPSubnet)
