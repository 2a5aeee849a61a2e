"""Admin of pools, subnets, name servers, PTR records and the assignment history,
plus the pools inline of the offer admin."""

from typing import TYPE_CHECKING, ClassVar

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coin.admin_filters import list_filter
from coin.members.admin_panels import add_member_admin_panel, add_member_search
from coin.offers.admin import add_offer_inline
from coin.resources.allocation import (
    check_allocatable,
    check_prefixlen,
    free_blocks,
    pool_usage,
    pool_usages,
    save_subnet,
)
from coin.resources.filtersets import IPSubnetAssignmentFilterSet, IPSubnetFilterSet, address_search
from coin.resources.ip import max_prefixlen
from coin.resources.models import (
    IPPool,
    IPSubnet,
    IPSubnetAssignment,
    NameServer,
    OfferIPPool,
    ReverseDNSEntry,
    name_server_problems,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class AddressSearchAdmin(admin.ModelAdmin):
    """Search boxes accept an address (rows containing it) or a network (rows
    inside or around it) besides the usual text search."""

    search_help_text: ClassVar["StrOrPromise | None"] = _(
        "Text, an address (e.g. 192.0.2.7) or a network (e.g. 2001:db8:1::/48)."
    )

    def get_search_results(self, request, queryset, search_term):
        found = address_search(queryset, search_term) if search_term else None
        if found is not None:
            return found, False
        return super().get_search_results(request, queryset, search_term)


# --- Pools ----------------------------------------------------------------------------


def usage_text(pool: IPPool, usage) -> str:
    """IPv4 usage in addresses; IPv6 in blocks of the default size (counting
    the 2**96 addresses of a /32 says nothing to anyone)."""
    if pool.inet.version == 4:
        return gettext("%(subnets)d subnet(s): %(used)s of %(total)s addresses (%(percent)s %%)") % {
            "subnets": usage.subnets,
            "used": number_format(usage.used_addresses, force_grouping=True),
            "total": number_format(usage.total_addresses, force_grouping=True),
            "percent": number_format(round(usage.percent, 1), decimal_pos=1),
        }
    return gettext("%(subnets)d subnet(s): %(used)s of %(total)s /%(size)d blocks (%(percent)s %%)") % {
        "subnets": usage.subnets,
        "used": number_format(usage.used_addresses // usage.block_addresses, force_grouping=True),
        "total": number_format(usage.total_addresses // usage.block_addresses, force_grouping=True),
        "size": usage.block_prefixlen,
        "percent": number_format(round(usage.percent, 1), decimal_pos=1),
    }


@admin.register(IPPool)
class IPPoolAdmin(AddressSearchAdmin):
    list_display = ["name", "network", "default_size", "usage", "free_space", "available_link"]
    search_fields = ["name", "description"]
    fields = [
        "name", "inet", "default_subnetsize", "skip_network_and_broadcast", "description",
        "usage", "free_space", "available_link",
    ]  # fmt: skip
    readonly_fields = ["usage", "free_space", "available_link"]

    def get_changelist_instance(self, request):
        """Usage of every pool of the page from one query (not one per row)."""
        changelist = super().get_changelist_instance(request)
        usages = pool_usages(changelist.result_list)
        for pool in changelist.result_list:
            pool.usage_cache = usages[pool.pk]
        return changelist

    def _usage(self, pool: IPPool):
        if getattr(pool, "usage_cache", None) is None:
            pool.usage_cache = pool_usage(pool)
        return pool.usage_cache

    @admin.display(description=_("network"), ordering="range_start")
    def network(self, pool: IPPool) -> str:
        return str(pool.inet)

    @admin.display(description=_("default size"), ordering="default_subnetsize")
    def default_size(self, pool: IPPool) -> str:
        return f"/{pool.default_subnetsize}"

    @admin.display(description=_("allocated"))
    def usage(self, pool: IPPool) -> str:
        if pool.pk is None:
            return "—"
        return usage_text(pool, self._usage(pool))

    @admin.display(description=_("free space"))
    def free_space(self, pool: IPPool) -> str:
        if pool.pk is None:
            return "—"
        usage = self._usage(pool)
        return gettext("%(blocks)s free /%(size)d block(s)") % {
            "blocks": number_format(usage.free_blocks, force_grouping=True),
            "size": usage.block_prefixlen,
        }

    @admin.display(description=_("available blocks"))
    def available_link(self, pool: IPPool) -> str:
        if pool.pk is None:
            return "—"
        url = reverse("admin:resources_ippool_available", args=[pool.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("list"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/available/",
                self.admin_site.admin_view(self.available_blocks_view),
                name="resources_ippool_available",
            ),
            *super().get_urls(),
        ]

    def available_blocks_view(self, request, object_id):
        pool = get_object_or_404(IPPool, pk=object_id)
        if not self.has_view_or_change_permission(request, pool):
            raise PermissionDenied
        size, error = pool.default_subnetsize, None
        if request.GET.get("size"):
            try:
                size = check_prefixlen(pool, int(request.GET["size"].lstrip("/")))
            except ValueError:
                error = gettext("Choose a prefix length.")
            except ValidationError as problem:
                error = " ".join(problem.messages)
        blocks = free_blocks(pool, size, limit=settings.IP_POOL_AVAILABLE_BLOCKS_SHOWN)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": pool,
            "pool": pool,
            "size": size,
            "sizes": range(pool.inet.prefixlen, max_prefixlen(pool.inet.version) + 1),
            "blocks": blocks,
            "limit": settings.IP_POOL_AVAILABLE_BLOCKS_SHOWN,
            "usage": usage_text(pool, pool_usage(pool)),
            "error": error,
            "title": gettext("Available blocks in %(pool)s") % {"pool": pool},
            "add_url": reverse("admin:resources_ipsubnet_add") + f"?ip_pool={pool.pk}",
        }
        return TemplateResponse(request, "admin/resources/ippool/available_blocks.html", context)


# --- Subnets ----------------------------------------------------------------------------


class IPSubnetAdminForm(forms.ModelForm):
    allocate_prefixlen = forms.IntegerField(
        label=_("Size to allocate"),
        required=False,
        min_value=0,
        max_value=128,
        help_text=_("When the network is left empty: prefix length of the block (default: the pool's)."),
    )

    class Meta:
        model = IPSubnet
        fields = [
            "inet",
            "ip_pool",
            "allocate_prefixlen",
            "configuration",
            "delegate_reverse_dns",
            "name_server",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The checks and the assignment history read the holder and the offer:
        # fetch them with the chosen configuration rather than one by one later.
        field = self.fields["configuration"]
        assert isinstance(field, forms.ModelChoiceField) and field.queryset is not None  # a foreign key's
        field.queryset = field.queryset.select_related(
            "offersubscription__member", "offersubscription__offer"
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if "inet" in cleaned and cleaned["inet"] is None and cleaned.get("ip_pool") is not None:
            try:  # to allocate: the pool must have room
                check_allocatable(cleaned["ip_pool"], cleaned.get("allocate_prefixlen"))
            except ValidationError as error:
                self.add_error("inet", error.messages)
        for problem in name_server_problems(
            cleaned.get("configuration"),
            cleaned.get("name_server") or [],
            bool(cleaned.get("delegate_reverse_dns")),
        ):
            self.add_error("name_server", problem)
        return cleaned


class ReverseDNSEntryInline(admin.TabularInline):
    model = ReverseDNSEntry
    fields = ["ip", "name"]
    extra = 0


AssignedFilter = list_filter(
    IPSubnetFilterSet, "assigned", _("assigned"), yes=_("assigned to a subscription"), no=_("unassigned")
)
VersionFilter = list_filter(IPSubnetFilterSet, "version", _("IP version"))


@admin.register(IPSubnet)
class IPSubnetAdmin(AddressSearchAdmin):
    form = IPSubnetAdminForm
    list_display = ["network", "ip_pool", "configuration", "member", "delegate_reverse_dns"]
    list_filter = [VersionFilter, AssignedFilter, "ip_pool", "delegate_reverse_dns"]
    list_select_related = [
        "ip_pool",
        "configuration__offersubscription__member",
        "configuration__offersubscription__offer",
    ]
    search_fields = [
        "configuration__offersubscription__member__username",
        "configuration__offersubscription__member__last_name",
        "configuration__offersubscription__member__organization_name",
        "configuration__comment",
        "ip_pool__name",
    ]
    autocomplete_fields = ["configuration", "name_server"]
    inlines = [ReverseDNSEntryInline]

    def save_model(self, request, obj, form, change):
        save_subnet(obj, form.cleaned_data.get("allocate_prefixlen"))

    @admin.display(description=_("network"), ordering="range_start")
    def network(self, subnet: IPSubnet) -> str:
        return str(subnet.inet)

    @admin.display(description=_("member"))
    def member(self, subnet: IPSubnet) -> str:
        member = subnet.member()
        return str(member) if member else "—"


# --- Reverse DNS ----------------------------------------------------------------------------


@admin.register(NameServer)
class NameServerAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "comment"]
    list_select_related = ["owner"]
    list_filter = [("owner", admin.EmptyFieldListFilter)]
    search_fields = ["name", "owner__username", "owner__last_name", "owner__organization_name"]
    autocomplete_fields = ["owner"]


@admin.register(ReverseDNSEntry)
class ReverseDNSEntryAdmin(admin.ModelAdmin):
    list_display = ["ip", "name", "subnet", "holder", "updated_at"]
    search_fields = ["ip", "name", "subnet__configuration__offersubscription__member__username"]
    search_help_text = _("Address, host name or member.")
    autocomplete_fields = ["subnet"]
    list_select_related = ["subnet__configuration__offersubscription__member"]
    date_hierarchy = "updated_at"

    @admin.display(description=_("member"))
    def holder(self, entry: ReverseDNSEntry) -> str:
        member = entry.subnet.member()
        return str(member) if member else "—"


# --- History ----------------------------------------------------------------------------------


OngoingFilter = list_filter(
    IPSubnetAssignmentFilterSet, "ongoing", _("state"), yes=_("ongoing"), no=_("ended")
)


#: The history's fields, all read-only.
ASSIGNMENT_FIELDS: tuple[str, ...] = (
    "inet", "subnet", "subscription", "subscription_reference", "configuration",
    "configuration_description", "member_username", "start", "end",
)  # fmt: skip


@admin.register(IPSubnetAssignment)
class IPSubnetAssignmentAdmin(AddressSearchAdmin):
    """Read only: the history is written by Coin and purged by purge_ip_history."""

    list_display = [
        "network",
        "subscription_reference",
        "member_username",
        "configuration_description",
        "start",
        "end",
    ]
    list_filter = [OngoingFilter, "start"]
    search_fields = ["subscription_reference", "member_username", "configuration_description"]
    date_hierarchy = "start"
    fields = ASSIGNMENT_FIELDS
    readonly_fields = ASSIGNMENT_FIELDS

    @admin.display(description=_("network"), ordering="range_start")
    def network(self, assignment: IPSubnetAssignment) -> str:
        return str(assignment.inet)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Pools of an offer, on the offer's admin page ----------------------------------------------


class OfferIPPoolInline(admin.TabularInline):
    model = OfferIPPool
    fields = ["pool", "order"]
    extra = 0
    verbose_name = _("IP pool")
    verbose_name_plural = _("IP pools: each new subscription gets a subnet in each of them")


add_offer_inline(OfferIPPoolInline)


# --- On the member's admin page, and the member list's search ----------------------------


def addresses_panel(member) -> str:
    """The subnets routed to the member's subscriptions."""
    subnets = (
        IPSubnet.objects.of_member(member)
        .select_related("configuration__offersubscription")
        .order_by("range_start")
    )
    rows = []
    for subnet in subnets:
        assert subnet.configuration is not None  # of_member(): found through its configuration
        rows.append(
            {
                "subnet": subnet,
                "reference": subnet.configuration.offersubscription.reference,
                "url": reverse("admin:resources_ipsubnet_change", args=[subnet.pk]),
            }
        )
    return render_to_string("admin/members/panels/addresses.html", {"subnets": rows})


def members_by_address(term: str):
    """The members one of whose subnets holds the address (or overlaps the network)
    typed in the member list's search box; None when the term is no address."""
    found = address_search(IPSubnet.objects.filter(configuration__isnull=False), term)
    if found is None:
        return None
    return found.values("configuration__offersubscription__member")


add_member_admin_panel(addresses_panel)
add_member_search(members_by_address)
