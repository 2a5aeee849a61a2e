"""The IP resources API: staff only, allocates and validates as the admin does,
and changes made through it have the same consequences (history, events, jobs)."""

from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from coin.provisioning.models import ProvisioningJob
from coin.resources.allocation import allocate_subnet
from coin.resources.models import IPPool, IPSubnet, IPSubnetAssignment, NameServer, ReverseDNSEntry

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/ip-pools/",
    "/api/ip-subnets/",
    "/api/offer-ip-pools/",
    "/api/ip-assignments/",
    "/api/name-servers/",
    "/api/reverse-dns-entries/",
]


def post(client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


def patch(client, url: str, data: dict):
    return client.patch(url, data, content_type="application/json")


@pytest.mark.parametrize("url", ENDPOINTS)
def test_staff_only(client, member, admin_client, pool_v4, url):
    assert client.get(url).status_code in (401, 403)
    assert post(client, url, {}).status_code in (401, 403)
    client.force_login(member)
    assert client.get(url).status_code == 403
    assert post(client, url, {}).status_code == 403
    assert admin_client.get(url).status_code == 200


# --- Pools ----------------------------------------------------------------------------------


def test_pools_are_created_and_listed_with_their_usage(admin_client, pool_v6, configuration):
    response = post(
        admin_client,
        "/api/ip-pools/",
        {"name": "Servers", "inet": "198.51.100.0/24", "default_subnetsize": 29, "description": "Racks"},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["inet"] == "198.51.100.0/24" and created["version"] == 4
    assert created["usage"]["subnets"] == 0 and created["usage"]["free_blocks"] == "32"
    allocate_subnet(IPPool.objects.get(name="Servers"), configuration=configuration)
    allocate_subnet(pool_v6)
    pools = {pool["name"]: pool for pool in admin_client.get("/api/ip-pools/").json()["results"]}
    assert pools["Servers"]["usage"] == {
        "subnets": 1, "used_addresses": "8", "free_addresses": "248", "total_addresses": "256",
        "percent": 3.125, "block_prefixlen": 29, "free_blocks": "31",
    }  # fmt: skip
    # IPv6 counts exceed 2**53: strings, exact.
    assert pools[pool_v6.name]["usage"]["total_addresses"] == str(2**96)
    assert pools[pool_v6.name]["usage"]["free_blocks"] == str(2**24 - 1)
    assert admin_client.get("/api/ip-pools/?version=6").json()["count"] == 1
    assert admin_client.get("/api/ip-pools/?search=198.51.100.7").json()["results"][0]["name"] == "Servers"
    assert admin_client.get("/api/ip-pools/?search=rack").json()["count"] == 1


def test_listing_pools_costs_a_bounded_number_of_queries(
    admin_client, make_pool, django_assert_max_num_queries
):
    for n in range(10):
        allocate_subnet(make_pool(f"10.{n}.0.0/16", 24))
    with django_assert_max_num_queries(6):  # session, user, count, page, usages
        assert admin_client.get("/api/ip-pools/").json()["count"] == 10


def test_pool_errors_name_the_field(admin_client, pool_v4):
    allocate_subnet(pool_v4)
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.200/32")

    def refused(method, url, data) -> dict:
        response = method(admin_client, url, data)
        assert response.status_code == 400, response.content
        return response.json()

    overlap = refused(
        post, "/api/ip-pools/", {"name": "Big", "inet": "192.0.0.0/16", "default_subnetsize": 32}
    )
    assert "overlaps the pool “IPv4 subscribers”" in overlap["inet"][0]
    bounds = refused(
        post, "/api/ip-pools/", {"name": "X", "inet": "198.51.100.0/24", "default_subnetsize": 16}
    )
    assert "between /24" in bounds["default_subnetsize"][0]
    host_bits = refused(
        post, "/api/ip-pools/", {"name": "X", "inet": "198.51.100.1/24", "default_subnetsize": 32}
    )
    assert "198.51.100.0/24" in host_bits["inet"][0]
    url = f"/api/ip-pools/{pool_v4.pk}/"
    shrink = refused(patch, url, {"inet": "192.0.2.0/25"})
    assert "would fall outside" in shrink["inet"][0] and "192.0.2.200/32" in shrink["inet"][0]
    assert "between /24" in refused(patch, url, {"default_subnetsize": 8})["default_subnetsize"][0]
    pool_v4.refresh_from_db()
    assert str(pool_v4.inet) == "192.0.2.0/24" and pool_v4.default_subnetsize == 32
    grown = patch(admin_client, url, {"inet": "192.0.2.0/23", "description": "grown"})
    assert grown.status_code == 200, grown.content
    assert grown.json()["usage"]["total_addresses"] == "512"
    assert admin_client.delete(url).status_code == 405


# --- Subnets --------------------------------------------------------------------------------


def test_automatic_allocation_gives_the_lowest_free_block(admin_client, pool_v4, configuration):
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.0/32")
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.2/32")
    response = post(
        admin_client, "/api/ip-subnets/", {"ip_pool": pool_v4.pk, "configuration": configuration.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["inet"] == "192.0.2.1/32"
    assert body["member"] == configuration.offersubscription.member_id
    assert body["subscription"] == configuration.offersubscription_id
    assert "prefixlen" not in body
    response = post(admin_client, "/api/ip-subnets/", {"ip_pool": pool_v4.pk, "inet": ""})
    assert response.json()["inet"] == "192.0.2.3/32"
    response = post(admin_client, "/api/ip-subnets/", {"ip_pool": pool_v4.pk, "inet": None, "prefixlen": 30})
    assert response.status_code == 201, response.content
    assert response.json()["inet"] == "192.0.2.4/30"
    assert response.json()["version"] == 4


def test_requested_prefixlen_is_checked_against_the_pool(admin_client, pool_v6):
    url = "/api/ip-subnets/"
    response = post(admin_client, url, {"ip_pool": pool_v6.pk, "prefixlen": 48})
    assert response.status_code == 201 and response.json()["inet"] == "2001:db8::/48"
    response = post(admin_client, url, {"ip_pool": pool_v6.pk, "prefixlen": 16})
    assert response.status_code == 400
    assert "between /32 and /128" in response.json()["prefixlen"][0]
    response = post(admin_client, url, {"ip_pool": pool_v6.pk, "prefixlen": 56, "inet": "2001:db8:1::/56"})
    assert response.status_code == 400 and "prefixlen" in response.json()
    assert IPSubnet.objects.count() == 1


def test_a_full_pool_is_a_400_naming_the_pool(admin_client, make_pool):
    pool = make_pool("198.51.100.0/31", 31, name="Tiny")
    allocate_subnet(pool)
    response = post(admin_client, "/api/ip-subnets/", {"ip_pool": pool.pk})
    assert response.status_code == 400
    assert "“Tiny”" in response.json()["inet"][0] and "/31" in response.json()["inet"][0]
    assert IPSubnet.objects.count() == 1


def test_a_pool_filled_after_validation_is_still_a_400_naming_the_pool(admin_client, make_pool, monkeypatch):
    """A concurrent allocation may take the last block between the check and the save:
    allocation's own refusal is then the answer."""
    pool = make_pool("198.51.100.0/31", 31, name="Tiny")
    allocate_subnet(pool)
    monkeypatch.setattr(IPSubnet, "clean", lambda self: None)  # the check that would have refused it
    response = post(admin_client, "/api/ip-subnets/", {"ip_pool": pool.pk})
    assert response.status_code == 400
    assert "“Tiny”" in response.json()["inet"][0]


def test_emptying_the_network_allocates_a_new_block(admin_client, pool_v4, configuration):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    response = patch(admin_client, f"/api/ip-subnets/{subnet.pk}/", {"inet": None, "prefixlen": 30})
    assert response.status_code == 200, response.content
    assert response.json()["inet"] == "192.0.2.4/30"
    assert IPSubnetAssignment.objects.filter(subnet=subnet).count() == 2


def test_listing_subnets_costs_a_bounded_number_of_queries(
    admin_client, make_pool, make_offer, make_subscription, member_factory, django_assert_max_num_queries
):
    offer = make_offer(pools=[make_pool("10.0.0.0/16", 32), make_pool("2001:db8::/32", 56)])
    for _ in range(10):
        make_subscription(offer, owner=member_factory())
    with django_assert_max_num_queries(6):  # session, user, count, page, name servers
        assert admin_client.get("/api/ip-subnets/").json()["count"] == 20


def test_overlaps_and_addresses_outside_the_pool_name_inet(admin_client, pool_v4, make_pool):
    existing = allocate_subnet(pool_v4, prefixlen=28)
    url = "/api/ip-subnets/"
    overlap = post(admin_client, url, {"ip_pool": pool_v4.pk, "inet": "192.0.2.8/29"})
    assert overlap.status_code == 400
    assert "overlaps the subnet 192.0.2.0/28" in overlap.json()["inet"][0]
    outside = post(admin_client, url, {"ip_pool": pool_v4.pk, "inet": "198.51.100.0/24"})
    assert outside.status_code == 400 and "not inside the pool" in outside.json()["inet"][0]
    invalid = post(admin_client, url, {"ip_pool": pool_v4.pk, "inet": "192.0.2.300"})
    assert invalid.status_code == 400 and "inet" in invalid.json()
    other = make_pool("198.51.100.0/24", 32)
    moved = patch(admin_client, f"{url}{existing.pk}/", {"ip_pool": other.pk})
    assert moved.status_code == 400 and "not inside the pool" in moved.json()["inet"][0]
    moved = patch(admin_client, f"{url}{existing.pk}/", {"ip_pool": other.pk, "inet": "198.51.100.16/28"})
    assert moved.status_code == 200, moved.content
    existing.refresh_from_db()
    assert existing.ip_pool == other and str(existing.inet) == "198.51.100.16/28"


def test_moving_a_subnet_records_the_history_and_the_provisioning_jobs(
    admin_client, pool_v4, make_offer, make_subscription, other_member, django_capture_on_commit_callbacks
):
    offer = make_offer("coin_fiber.FiberLine")
    first = make_subscription(offer).configuration
    second = make_subscription(offer, owner=other_member).configuration
    with django_capture_on_commit_callbacks(execute=False):
        created = post(admin_client, "/api/ip-subnets/", {"ip_pool": pool_v4.pk, "configuration": first.pk})
        assert created.status_code == 201, created.content
        subnet_id = created.json()["id"]
        moved = patch(admin_client, f"/api/ip-subnets/{subnet_id}/", {"configuration": second.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["member"] == other_member.pk
    old, new = IPSubnetAssignment.objects.filter(subnet_id=subnet_id).order_by("start", "id")
    assert (old.configuration_id, new.configuration_id) == (first.pk, second.pk)
    assert old.end is not None and new.end is None
    assert new.member_username == other_member.username
    assert ProvisioningJob.objects.filter(configuration=first).first().payload["subnets"] == []
    assert ProvisioningJob.objects.filter(configuration=second).first().payload["subnets"] == ["192.0.2.0/32"]
    history = admin_client.get(f"/api/ip-assignments/?subnet={subnet_id}&ongoing=false").json()
    assert [entry["configuration"] for entry in history["results"]] == [first.pk]


def test_moving_a_subnet_fires_the_subnet_events(
    admin_client,
    pool_v4,
    configuration,
    other_configuration,
    subnet_events,
    django_capture_on_commit_callbacks,
):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    with django_capture_on_commit_callbacks(execute=True):
        response = patch(
            admin_client, f"/api/ip-subnets/{subnet.pk}/", {"configuration": other_configuration.pk}
        )
    assert response.status_code == 200, response.content
    assert sorted(subnet_events) == sorted([configuration.pk, other_configuration.pk])
    subnet_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.delete(f"/api/ip-subnets/{subnet.pk}/").status_code == 204
    assert subnet_events == [other_configuration.pk]
    assert not IPSubnetAssignment.objects.filter(end__isnull=True).exists()
    # The freed block is the lowest free one again.
    assert post(admin_client, "/api/ip-subnets/", {"ip_pool": pool_v4.pk}).json()["inet"] == "192.0.2.0/32"


def test_a_refused_change_leaves_the_subnet_alone(admin_client, pool_v4, configuration, subnet_events):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.9/32")
    response = patch(admin_client, f"/api/ip-subnets/{subnet.pk}/", {"inet": "192.0.2.8/29"})
    assert response.status_code == 400 and "inet" in response.json()
    subnet.refresh_from_db()
    assert str(subnet.inet) == "192.0.2.0/32"
    assert IPSubnetAssignment.objects.get(subnet=subnet).end is None


def test_subnet_filters_and_search(admin_client, pool_v4, pool_v6, configuration, other_configuration):
    allocate_subnet(pool_v4, configuration=configuration)
    allocate_subnet(pool_v4)
    allocate_subnet(pool_v6, configuration=other_configuration)
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.128/25")

    def found(query: str) -> list[str]:
        response = admin_client.get(f"/api/ip-subnets/?{query}")
        assert response.status_code == 200, response.content
        return [subnet["inet"] for subnet in response.json()["results"]]

    assert found("version=6") == ["2001:db8::/56"]
    assert found("version=4&assigned=false") == ["192.0.2.1/32", "192.0.2.128/25"]
    assert found(f"ip_pool={pool_v6.pk}") == ["2001:db8::/56"]
    assert found(f"configuration={configuration.pk}") == ["192.0.2.0/32"]
    assert found("search=192.0.2.200") == ["192.0.2.128/25"]
    assert found("search=192.0.2.0/24") == ["192.0.2.0/32", "192.0.2.1/32", "192.0.2.128/25"]
    assert found("search=dominique") == ["2001:db8::/56"]
    assert found("contains=192.0.2.192/26") == ["192.0.2.128/25"]
    assert found("contains=192.0.2.0/24") == []
    assert admin_client.get("/api/ip-subnets/?contains=nonsense").status_code == 400


def test_name_servers_of_a_subnet_follow_the_admin_rules(admin_client, pool_v4, configuration, other_member):
    url = "/api/ip-subnets/"
    theirs = NameServer.objects.create(name="ns.dominique.example", owner=other_member)
    response = post(admin_client, url, {"ip_pool": pool_v4.pk, "delegate_reverse_dns": True})
    assert response.status_code == 400 and "name_server" in response.json()
    response = post(
        admin_client,
        url,
        {"ip_pool": pool_v4.pk, "configuration": configuration.pk, "name_server": [theirs.pk]},
    )
    assert response.status_code == 400
    assert "a member other than" in response.json()["name_server"][0]
    created = post(admin_client, "/api/name-servers/", {"name": "NS1.ISP.Example.", "comment": ""})
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "ns1.isp.example"
    assert post(admin_client, "/api/name-servers/", {"name": "ns1.isp.example"}).status_code == 400
    response = post(
        admin_client,
        url,
        {"ip_pool": pool_v4.pk, "configuration": configuration.pk, "delegate_reverse_dns": True,
         "name_server": [created.json()["id"]]},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["name_server"] == [created.json()["id"]]


# --- Offers, history, reverse DNS --------------------------------------------------------------


def test_offer_pools(admin_client, pool_v4, pool_v6, make_offer, make_subscription):
    offer = make_offer()
    response = post(admin_client, "/api/offer-ip-pools/", {"offer": offer.pk, "pool": pool_v4.pk, "order": 1})
    assert response.status_code == 201, response.content
    assert (
        post(admin_client, "/api/offer-ip-pools/", {"offer": offer.pk, "pool": pool_v4.pk}).status_code == 400
    )
    bare = make_offer(configuration_type="")
    response = post(admin_client, "/api/offer-ip-pools/", {"offer": bare.pk, "pool": pool_v6.pk})
    assert response.status_code == 400 and "configuration type" in response.json()["offer"][0]
    assert admin_client.get(f"/api/offer-ip-pools/?offer={offer.pk}").json()["count"] == 1
    subscription = make_subscription(offer)
    assert [str(s.inet) for s in subscription.configuration.ip_subnet.all()] == ["192.0.2.0/32"]


def test_the_history_is_read_only(admin_client, pool_v4, configuration):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    listing = admin_client.get("/api/ip-assignments/?search=192.0.2.0").json()
    assert listing["count"] == 1
    entry = listing["results"][0]
    assert entry["inet"] == "192.0.2.0/32" and entry["subnet"] == subnet.pk and entry["end"] is None
    assert admin_client.get("/api/ip-assignments/?contains=192.0.2.1").json()["count"] == 0
    assert post(admin_client, "/api/ip-assignments/", {}).status_code == 405
    assert admin_client.delete(f"/api/ip-assignments/{entry['id']}/").status_code == 405


def test_reverse_dns_entries(admin_client, pool_v6, configuration):
    subnet = allocate_subnet(pool_v6, configuration=configuration)
    url = "/api/reverse-dns-entries/"
    response = post(
        admin_client, url, {"subnet": subnet.pk, "ip": "2001:DB8::1", "name": "Mail.Example.org."}
    )
    assert response.status_code == 201, response.content
    assert (response.json()["ip"], response.json()["name"]) == ("2001:db8::1", "mail.example.org")
    response = post(admin_client, url, {"subnet": subnet.pk, "ip": "2001:db8:1::1", "name": "x.example.org"})
    assert response.status_code == 400 and "not inside" in response.json()["ip"][0]
    entry = ReverseDNSEntry.objects.get()
    assert patch(admin_client, f"{url}{entry.pk}/", {"name": "bad_name"}).status_code == 400
    assert admin_client.delete(f"{url}{entry.pk}/").status_code == 204


def test_openapi_document_is_valid_and_lists_the_resources_endpoints():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    document = yaml.safe_load(out.getvalue())
    assert set(ENDPOINTS) <= set(document["paths"])
    subnet = document["components"]["schemas"]["IPSubnet"]["properties"]
    assert subnet["prefixlen"]["writeOnly"] and subnet["inet"]["nullable"]


def test_a_subscription_created_through_the_api_gets_its_subnets(admin_client, member, make_pool, make_offer):
    pool = make_pool("10.9.0.0/31", 32, name="Last addresses")
    offer = make_offer(pools=[pool])
    response = post(admin_client, "/api/subscriptions/", {"member": member.pk, "offer": offer.pk})
    assert response.status_code == 201, response.content
    [subnet] = IPSubnet.objects.all()
    assert str(subnet.inet) == "10.9.0.0/32"
    assert subnet.configuration.offersubscription_id == response.json()["id"]
    assert IPSubnetAssignment.objects.filter(subnet=subnet, end__isnull=True).exists()


def test_a_full_pool_refuses_the_subscription_naming_the_offer(admin_client, member, make_pool, make_offer):
    from coin.configuration.models import Configuration
    from coin.offers.models import OfferSubscription

    pool = make_pool("10.9.0.0/32", 32, name="Last address")
    offer = make_offer(pools=[pool])
    allocate_subnet(pool)  # the pool is now full
    response = post(admin_client, "/api/subscriptions/", {"member": member.pk, "offer": offer.pk})
    assert response.status_code == 400
    assert "Last address" in response.json()["offer"][0]
    assert not OfferSubscription.objects.exists() and not Configuration.objects.exists()
    assert IPSubnet.objects.count() == 1
