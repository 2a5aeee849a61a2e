"""Admin pages of IP resources: every page renders; allocation, search, usage."""

import pytest
from django.contrib import admin
from django.urls import reverse

from coin.offers.models import Offer
from coin.resources.allocation import allocate_subnet
from coin.resources.models import (
    IPPool,
    IPSubnet,
    IPSubnetAssignment,
    NameServer,
    OfferIPPool,
    ReverseDNSEntry,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(pool_v4, pool_v6, configuration, member):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    allocate_subnet(pool_v6, configuration=configuration)
    allocate_subnet(pool_v4)
    ns = NameServer.objects.create(name="ns.camille.example", owner=member)
    subnet.name_server.add(ns)
    ReverseDNSEntry.objects.create(subnet=subnet, ip="192.0.2.0", name="home.camille.example")
    return subnet


def test_every_resources_admin_page_renders(admin_client, data, pool_v4):
    models = [IPPool, IPSubnet, NameServer, ReverseDNSEntry, IPSubnetAssignment]
    assert {m for m in admin.site._registry if m._meta.app_label == "resources"} == set(models)
    for model in models:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = model.objects.first()
        urls = [
            reverse(f"{prefix}_changelist"),
            reverse(f"{prefix}_changelist") + "?q=192.0.2.0",
            reverse(f"{prefix}_changelist") + "?q=2001:db8::/32",
            reverse(f"{prefix}_changelist") + "?q=camille",
            reverse(f"{prefix}_change", args=[obj.pk]),
            reverse(f"{prefix}_history", args=[obj.pk]),
        ]
        if model is not IPSubnetAssignment:
            urls += [reverse(f"{prefix}_add"), reverse(f"{prefix}_delete", args=[obj.pk])]
        for url in urls:
            response = admin_client.get(url)
            assert response.status_code == 200, url
    for url in [
        reverse("admin:resources_ippool_available", args=[pool_v4.pk]),
        reverse("admin:resources_ippool_available", args=[pool_v4.pk]) + "?size=28",
        reverse("admin:resources_ippool_available", args=[pool_v4.pk]) + "?size=12",
        reverse("admin:resources_ipsubnet_changelist") + "?version=6&assigned=yes",
        reverse("admin:resources_ipsubnet_changelist") + "?version=4&assigned=no&o=1",
        reverse("admin:resources_ipsubnetassignment_changelist") + "?ongoing=yes",
        reverse("admin:offers_offer_add"),
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_pool_list_shows_usage_and_free_space(admin_client, data, pool_v4):
    content = admin_client.get(reverse("admin:resources_ippool_changelist")).content.decode()
    assert "2 subnet(s): 2 of 256 addresses (0.8" in content
    assert "254 free /32 block(s)" in content
    assert "16,777,215 free /56 block(s)" in content
    assert "1 subnet(s): 1 of 16,777,216 /56 blocks (0.0 %)" in content


def test_available_blocks_lists_the_lowest_free_blocks(admin_client, data, pool_v4):
    response = admin_client.get(reverse("admin:resources_ippool_available", args=[pool_v4.pk]) + "?size=30")
    blocks = [str(block) for block in response.context["blocks"]]
    assert blocks[:2] == ["192.0.2.4/30", "192.0.2.8/30"]
    response = admin_client.get(reverse("admin:resources_ippool_available", args=[pool_v4.pk]) + "?size=8")
    assert "between /24 and /32" in response.context["error"]


def test_search_by_address_and_by_containing_network(admin_client, data, pool_v4, pool_v6):
    url = reverse("admin:resources_ipsubnet_changelist")
    IPSubnet.objects.create(ip_pool=pool_v4, inet="192.0.2.128/25")

    def found(term):
        return sorted(str(s.inet) for s in admin_client.get(url, {"q": term}).context["cl"].result_list)

    assert found("192.0.2.200") == ["192.0.2.128/25"]
    assert found("192.0.2.0/24") == ["192.0.2.0/32", "192.0.2.1/32", "192.0.2.128/25"]
    assert found("192.0.2.192/26") == ["192.0.2.128/25"]  # the subnet around it
    assert found("2001:db8:0:0:1::") == ["2001:db8::/56"]
    assert found("camille") == ["192.0.2.0/32", "2001:db8::/56"]
    assert found("198.51.100.0/24") == []
    history = reverse("admin:resources_ipsubnetassignment_changelist")
    assert len(admin_client.get(history, {"q": "192.0.2.0"}).context["cl"].result_list) == 1


def test_allocation_from_the_admin_leaving_the_network_empty(admin_client, pool_v4, configuration):
    response = admin_client.post(
        reverse("admin:resources_ipsubnet_add"),
        {"inet": "", "ip_pool": pool_v4.pk, "allocate_prefixlen": "30", "configuration": configuration.pk,
         **_empty_inline()},
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert str(IPSubnet.objects.get().inet) == "192.0.2.0/30"


def test_admin_form_errors_name_the_field(admin_client, make_pool, configuration, member, other_member):
    pool = make_pool("198.51.100.0/31", 31, name="Tiny")
    allocate_subnet(pool)
    url = reverse("admin:resources_ipsubnet_add")
    response = admin_client.post(url, {"inet": "", "ip_pool": pool.pk, **_empty_inline()})
    assert response.status_code == 200
    assert "Tiny" in response.context["adminform"].form.errors["inet"][0]
    response = admin_client.post(url, {"inet": "198.51.100.0/24", "ip_pool": pool.pk, **_empty_inline()})
    assert "not inside the pool" in response.context["adminform"].form.errors["inet"][0]
    theirs = NameServer.objects.create(name="ns.dominique.example", owner=other_member)
    response = admin_client.post(
        url,
        {"inet": "", "ip_pool": make_pool("10.0.0.0/24", 32).pk, "configuration": configuration.pk,
         "delegate_reverse_dns": "on", "name_server": [theirs.pk], **_empty_inline()},
    )  # fmt: skip
    assert "a member other than" in response.context["adminform"].form.errors["name_server"][0]
    response = admin_client.post(
        url, {"inet": "", "ip_pool": pool.pk, "delegate_reverse_dns": "on", **_empty_inline()}
    )
    assert "name_server" in response.context["adminform"].form.errors


def test_pool_admin_refuses_shrinking_below_subnets(admin_client, data, pool_v4):
    response = admin_client.post(
        reverse("admin:resources_ippool_change", args=[pool_v4.pk]),
        {"name": pool_v4.name, "inet": "192.0.2.128/25", "default_subnetsize": 32, "description": ""},
    )
    assert response.status_code == 200
    assert "would fall outside" in response.context["adminform"].form.errors["inet"][0]


def test_offer_admin_has_the_pools_inline(admin_client, pool_v4, pool_v6):
    offer_admin = admin.site.get_model_admin(Offer)
    assert any(inline.__name__ == "OfferIPPoolInline" for inline in offer_admin.inlines)
    response = admin_client.post(
        reverse("admin:offers_offer_add"),
        {
            "name": "VPN", "reference": "VPN", "configuration_type": "simple_dsl.SimpleDSL",
            "billing_period": 1, "period_fees": "5.00", "initial_fees": "0",
            "description": "",
            "ip_pools-TOTAL_FORMS": "2", "ip_pools-INITIAL_FORMS": "0",
            "ip_pools-MIN_NUM_FORMS": "0", "ip_pools-MAX_NUM_FORMS": "1000",
            "ip_pools-0-pool": pool_v6.pk, "ip_pools-0-order": "2",
            "ip_pools-1-pool": pool_v4.pk, "ip_pools-1-order": "1",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    offer = Offer.objects.get(reference="VPN")
    assert [link.pool for link in OfferIPPool.objects.filter(offer=offer)] == [pool_v4, pool_v6]
    assert admin_client.get(reverse("admin:offers_offer_change", args=[offer.pk])).status_code == 200


# coin.configuration's ConfigurationAdmin has no ordering yet (reported): Django warns
# that its autocomplete pages may be inconsistent; the results are still right.
@pytest.mark.filterwarnings("ignore::django.core.paginator.UnorderedObjectListWarning")
def test_autocomplete_of_subnets_and_configurations(admin_client, data):
    url = reverse("admin:autocomplete")
    response = admin_client.get(
        url,
        {
            "app_label": "resources",
            "model_name": "ipsubnet",
            "field_name": "configuration",
            "term": "camille",
        },
    )
    assert response.status_code == 200 and len(response.json()["results"]) == 1
    response = admin_client.get(
        url,
        {
            "app_label": "resources",
            "model_name": "reversednsentry",
            "field_name": "subnet",
            "term": "192.0.2.0",
        },
    )
    assert response.status_code == 200 and response.json()["results"][0]["text"] == "192.0.2.0/32"


def _empty_inline() -> dict:
    return {
        "reverse_dns_entries-TOTAL_FORMS": "0",
        "reverse_dns_entries-INITIAL_FORMS": "0",
        "reverse_dns_entries-MIN_NUM_FORMS": "0",
        "reverse_dns_entries-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize(
    "url",
    [
        "/admin/resources/ippool/",
        "/admin/resources/ipsubnet/",
        "/admin/resources/ipsubnetassignment/",
        "/admin/resources/reversednsentry/",
        "/admin/resources/nameserver/",
    ],
)
def test_changelists_cost_a_bounded_number_of_queries(
    admin_client, make_pool, make_offer, make_subscription, member_factory, url, django_assert_max_num_queries
):
    pools = [make_pool(f"10.{n}.0.0/16", 32) for n in range(8)]
    offer = make_offer(pools=pools[:3])
    for _ in range(15):
        owner = member_factory()
        subscription = make_subscription(offer, owner=owner)
        subnet = subscription.configuration.ip_subnet.first()
        ReverseDNSEntry.objects.create(
            subnet=subnet, ip=str(subnet.inet.network_address), name="h.example.org"
        )
        NameServer.objects.create(name="ns.example.org", owner=owner)
    with django_assert_max_num_queries(15):
        assert admin_client.get(url).status_code == 200


def test_a_full_pool_is_a_form_error_when_adding_a_subscription(admin_client, member, make_offer):
    from coin.offers.models import OfferSubscription
    from coin.resources.models import IPPool, IPSubnet

    pool = IPPool.objects.create(name="Tiny", inet="203.0.113.0/31", default_subnetsize=32)
    offer = make_offer("simple_dsl.SimpleDSL", pools=[pool])
    IPSubnet.objects.create(ip_pool=pool, inet="203.0.113.0/32")
    IPSubnet.objects.create(ip_pool=pool, inet="203.0.113.1/32")
    response = admin_client.post(
        "/admin/offers/offersubscription/add/",
        {"member": member.pk, "offer": offer.pk, "subscription_date": "2026-01-01", "commitment": 0},
    )
    assert response.status_code == 200
    assert "Tiny" in str(response.context["adminform"].form.errors["offer"])
    assert not OfferSubscription.objects.exists()


def test_adding_a_subscription_in_the_admin_gives_it_its_configuration_and_subnet(
    admin_client, member, make_offer, django_capture_on_commit_callbacks
):
    from coin.offers.models import OfferSubscription
    from coin.provisioning.models import ProvisioningJob
    from coin.resources.models import IPPool, IPSubnet

    pool = IPPool.objects.create(name="Tiny", inet="203.0.113.0/31", default_subnetsize=32)
    offer = make_offer("simple_dsl.SimpleDSL", pools=[pool])
    # Whatever inlines other apps add to the page (e.g. lent hardware), left empty.
    page = admin_client.get("/admin/offers/offersubscription/add/")
    empty_inlines = {
        f"{inline.formset.prefix}-{name}": value
        for inline in page.context["inline_admin_formsets"]
        for name, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/offers/offersubscription/add/",
            {
                "member": member.pk,
                "offer": offer.pk,
                "subscription_date": "2026-01-01",
                "commitment": 0,
                **empty_inlines,
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    subscription = OfferSubscription.objects.get()
    [subnet] = IPSubnet.objects.all()
    assert subnet.configuration_id == subscription.real_configuration.pk
    assert str(subnet.inet) == "203.0.113.0/32"
    assert not ProvisioningJob.objects.exists()  # simple_dsl has no provisioner


def ids_of_admin_list(admin_client, url: str) -> set[int]:
    response = admin_client.get(url)
    assert response.status_code == 200, url
    return {row.pk for row in response.context["cl"].result_list}


def ids_of_api_list(admin_client, url: str) -> set[int]:
    response = admin_client.get(url)
    assert response.status_code == 200, url
    body = response.json()
    return {row["id"] for row in (body["results"] if isinstance(body, dict) else body)}


def test_subnet_list_filters_are_the_apis_filters(
    admin_client, pool_v4, pool_v6, make_offer, make_subscription
):
    """One FilterSet (resources/filtersets.py) for the admin's list filters and the
    API's query parameters: the same rows either way."""
    configuration = make_subscription(make_offer(pools=[pool_v4, pool_v6])).configuration
    assigned_v4, assigned_v6 = (
        configuration.ip_subnet.get(ip_pool=pool_v4),
        configuration.ip_subnet.get(ip_pool=pool_v6),
    )
    free_v4 = IPSubnet(ip_pool=pool_v4, inet="192.0.2.200/32")
    free_v4.full_clean()
    free_v4.save()
    admin_url = reverse("admin:resources_ipsubnet_changelist")
    for admin_query, api_query, expected in [
        ("version=4", "version=4", {assigned_v4.pk, free_v4.pk}),
        ("version=6", "version=6", {assigned_v6.pk}),
        ("assigned=yes", "assigned=true", {assigned_v4.pk, assigned_v6.pk}),
        ("assigned=no", "assigned=false", {free_v4.pk}),
        ("version=4&assigned=no", "version=4&assigned=false", {free_v4.pk}),
    ]:
        assert ids_of_admin_list(admin_client, f"{admin_url}?{admin_query}") == expected, admin_query
        assert ids_of_api_list(admin_client, f"/api/ip-subnets/?{api_query}") == expected, api_query


def test_history_ongoing_filter_is_the_apis(admin_client):
    from django.utils import timezone

    now = timezone.now()
    ongoing = IPSubnetAssignment.objects.create(inet="192.0.2.1/32", start=now)
    ended = IPSubnetAssignment.objects.create(inet="192.0.2.2/32", start=now, end=now)
    admin_url = reverse("admin:resources_ipsubnetassignment_changelist")
    for admin_query, api_query, expected in [
        ("ongoing=yes", "ongoing=true", {ongoing.pk}),
        ("ongoing=no", "ongoing=false", {ended.pk}),
    ]:
        assert ids_of_admin_list(admin_client, f"{admin_url}?{admin_query}") == expected
        assert ids_of_api_list(admin_client, f"/api/ip-assignments/?{api_query}") == expected
