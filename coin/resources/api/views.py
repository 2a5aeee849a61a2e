import django_filters
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, serializers, viewsets

from coin.resources.admin import (
    IPPoolAdmin,
    IPSubnetAdmin,
    IPSubnetAssignmentAdmin,
    NameServerAdmin,
    ReverseDNSEntryAdmin,
    address_search,
)
from coin.resources.api.serializers import (
    IPPoolSerializer,
    IPSubnetAssignmentSerializer,
    IPSubnetSerializer,
    NameServerSerializer,
    OfferIPPoolSerializer,
    ReverseDNSEntrySerializer,
)
from coin.resources.models import (
    IPPool,
    IPSubnet,
    IPSubnetAssignment,
    NameServer,
    OfferIPPool,
    ReverseDNSEntry,
)

READ_WRITE = ["get", "post", "patch", "head", "options"]
READ_WRITE_DELETE = [*READ_WRITE, "delete"]


class AddressSearchFilter(filters.SearchFilter):
    """As the admin's search boxes: an address finds the rows containing it, a
    network the rows inside or around it; anything else is a text search."""

    def filter_queryset(self, request, queryset, view):
        term = request.query_params.get(self.search_param, "")
        found = address_search(queryset, term) if term.strip() else None
        if found is not None:
            return found
        return super().filter_queryset(request, queryset, view)


def _containing(queryset, name: str, value: str):
    found = address_search(queryset, value, containing_only=True)
    if found is None:
        raise serializers.ValidationError({name: [gettext("Enter an IPv4 or IPv6 address or network.")]})
    return found


class NetworkFilterSet(django_filters.FilterSet):
    version = django_filters.ChoiceFilter(
        label=_("IP version"), choices=[(4, "IPv4"), (6, "IPv6")], method="filter_version"
    )
    contains = django_filters.CharFilter(
        label=_("Containing this address or network, e.g. 192.0.2.7 or 2001:db8:1::/48."),
        method="filter_contains",
    )

    def filter_version(self, queryset, name, value):
        return queryset.filter(range_start__startswith=str(value))  # keys start with the version

    def filter_contains(self, queryset, name, value):
        return _containing(queryset, name, value)


class IPPoolFilterSet(NetworkFilterSet):
    class Meta:
        model = IPPool
        fields = ["version", "contains"]


class IPSubnetFilterSet(NetworkFilterSet):
    assigned = django_filters.BooleanFilter(
        label=_("assigned to a subscription"), field_name="configuration", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = IPSubnet
        fields = ["ip_pool", "configuration", "version", "assigned", "delegate_reverse_dns", "contains"]


class IPSubnetAssignmentFilterSet(django_filters.FilterSet):
    ongoing = django_filters.BooleanFilter(
        label=_("ongoing"), field_name="end", lookup_expr="isnull", help_text=_("Not ended yet.")
    )
    contains = django_filters.CharFilter(
        label=_("Containing this address or network, e.g. 192.0.2.7 or 2001:db8:1::/48."),
        method="filter_contains",
    )

    class Meta:
        model = IPSubnetAssignment
        fields = ["subnet", "subscription", "configuration", "ongoing", "contains"]

    def filter_contains(self, queryset, name, value):
        return _containing(queryset, name, value)


class IPPoolViewSet(viewsets.ModelViewSet):
    """IP pools, with their usage. Search: name, description, an address or a network."""

    queryset = IPPool.objects.all()
    serializer_class = IPPoolSerializer
    filter_backends = [DjangoFilterBackend, AddressSearchFilter]
    filterset_class = IPPoolFilterSet
    search_fields = IPPoolAdmin.search_fields
    http_method_names = READ_WRITE


class IPSubnetViewSet(viewsets.ModelViewSet):
    """Subnets. Created with an empty ``inet``, a subnet gets the lowest free aligned
    block of its pool (of ``prefixlen``, by default the pool's default size).
    Search: member, pool name, an address or a network."""

    queryset = IPSubnet.objects.select_related(
        "ip_pool", "configuration__offersubscription"
    ).prefetch_related("name_server")
    serializer_class = IPSubnetSerializer
    filter_backends = [DjangoFilterBackend, AddressSearchFilter]
    filterset_class = IPSubnetFilterSet
    search_fields = IPSubnetAdmin.search_fields
    http_method_names = READ_WRITE_DELETE


class OfferIPPoolViewSet(viewsets.ModelViewSet):
    """Pools in which each new subscription to the offer gets a subnet (lowest ``order`` first)."""

    queryset = OfferIPPool.objects.all()
    serializer_class = OfferIPPoolSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["offer", "pool"]
    http_method_names = READ_WRITE_DELETE


class IPSubnetAssignmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Who held which subnet, from when to when (kept for the legal retention period).
    Search: subscription reference, member, configuration, an address or a network."""

    queryset = IPSubnetAssignment.objects.all()
    serializer_class = IPSubnetAssignmentSerializer
    filter_backends = [DjangoFilterBackend, AddressSearchFilter]
    filterset_class = IPSubnetAssignmentFilterSet
    search_fields = IPSubnetAssignmentAdmin.search_fields


class NameServerViewSet(viewsets.ModelViewSet):
    """Name servers to which the reverse zones of subnets are delegated (no owner: the ISP's)."""

    queryset = NameServer.objects.all()
    serializer_class = NameServerSerializer
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_fields = ["owner"]
    search_fields = NameServerAdmin.search_fields
    http_method_names = READ_WRITE_DELETE


class ReverseDNSEntryViewSet(viewsets.ModelViewSet):
    """PTR records of members' addresses."""

    queryset = ReverseDNSEntry.objects.all()
    serializer_class = ReverseDNSEntrySerializer
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_fields = ["subnet"]
    search_fields = ReverseDNSEntryAdmin.search_fields
    http_method_names = READ_WRITE_DELETE


def register(router) -> None:
    router.register("ip-pools", IPPoolViewSet)
    router.register("ip-subnets", IPSubnetViewSet)
    router.register("offer-ip-pools", OfferIPPoolViewSet)
    router.register("ip-assignments", IPSubnetAssignmentViewSet)
    router.register("name-servers", NameServerViewSet)
    router.register("reverse-dns-entries", ReverseDNSEntryViewSet)
