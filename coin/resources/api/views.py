from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, viewsets

from coin.resources.admin import (
    IPPoolAdmin,
    IPSubnetAdmin,
    IPSubnetAssignmentAdmin,
    NameServerAdmin,
    ReverseDNSEntryAdmin,
)
from coin.resources.api.serializers import (
    IPPoolSerializer,
    IPSubnetAssignmentSerializer,
    IPSubnetSerializer,
    NameServerSerializer,
    OfferIPPoolSerializer,
    ReverseDNSEntrySerializer,
)
from coin.resources.filtersets import (
    IPPoolFilterSet,
    IPSubnetAssignmentFilterSet,
    IPSubnetFilterSet,
    address_search,
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
