"""Issue 14, point 13: an IPv4 pool handing out /32s does not give its network and
broadcast addresses by default (a per-pool option); a /32 with its PTR record is
not offered "Add a reverse DNS record" again."""

import pytest
from django.urls import reverse

from coin.resources.allocation import allocate_subnet, free_blocks
from coin.resources.models import IPPool, ReverseDNSEntry

pytestmark = pytest.mark.django_db


def new_pool(inet: str, size: int, **fields) -> IPPool:
    pool = IPPool(name=f"pool {inet}", inet=inet, default_subnetsize=size, **fields)
    pool.full_clean()
    pool.save()
    return pool


def test_by_default_the_first_subscriber_gets_the_first_host_address():
    pool = new_pool("192.0.2.0/30", 32)
    assert pool.skip_network_and_broadcast
    first = allocate_subnet(pool)
    second = allocate_subnet(pool)
    assert (str(first.inet), str(second.inet)) == ("192.0.2.1/32", "192.0.2.2/32")
    assert free_blocks(pool) == []  # .3, the broadcast address, is never offered
    with pytest.raises(Exception, match="no free /32 block left"):
        allocate_subnet(pool)


def test_a_pool_routed_as_32s_can_use_every_address():
    pool = new_pool("192.0.2.0/30", 32, skip_network_and_broadcast=False)
    got = [str(allocate_subnet(pool).inet) for _ in range(4)]
    assert got == ["192.0.2.0/32", "192.0.2.1/32", "192.0.2.2/32", "192.0.2.3/32"]


def test_blocks_and_ipv6_are_not_affected():
    blocks = new_pool("198.51.100.0/24", 29)
    assert str(allocate_subnet(blocks).inet) == "198.51.100.0/29"
    v6 = new_pool("2001:db8::/48", 56)
    assert str(allocate_subnet(v6).inet) == "2001:db8::/56"


def test_a_32_with_its_record_is_not_offered_another(member_client, configuration):
    pool = new_pool("203.0.113.0/24", 32)
    subnet = allocate_subnet(pool, configuration=configuration)
    add_url = reverse("resources:ptr_add", args=[subnet.pk])
    assert add_url in member_client.get(reverse("resources:subnets")).content.decode()
    ReverseDNSEntry.objects.create(
        subnet=subnet, ip=str(subnet.inet.network_address), name="mail.example.org"
    )
    assert add_url not in member_client.get(reverse("resources:subnets")).content.decode()
    response = member_client.get(add_url, follow=True)
    assert "has its record: edit it instead." in response.content.decode()
    assert ReverseDNSEntry.objects.count() == 1


def test_the_configurations_list_names_the_type(admin_client, configuration):
    page = admin_client.get(reverse("admin:configuration_configuration_changelist")).content.decode()
    assert "polymorphic ctype" not in page.lower()
    assert "DSL line" in page
