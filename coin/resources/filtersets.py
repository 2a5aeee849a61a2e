"""How pools, subnets and the assignment history are filtered: the API's query
parameters and the admin's list filters (``coin.admin_filters.list_filter``) both use
these FilterSets; ``address_search`` is the address search of both search boxes."""

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from coin.resources.ip import address_key, end_key, parse_address, parse_network, start_key
from coin.resources.models import IPPool, IPSubnet, IPSubnetAssignment


def address_search(queryset, term: str, containing_only: bool = False):
    """Rows of ``queryset`` (with key columns) matching an address or network typed
    in the search box: those containing the address, or overlapping the network
    (inside it or containing it). None when the term is not an address."""
    term = term.strip()
    try:
        network = parse_network(term) if "/" in term else None
        address = None if network else parse_address(term)
    except ValidationError:
        return None
    if address is not None:
        key = address_key(address)
        return queryset.filter(range_start__lte=key, range_end__gte=key)
    assert network is not None  # the term parsed as one or the other
    inside = Q(range_start__gte=start_key(network), range_start__lte=end_key(network))
    containing = Q(range_start__lte=start_key(network), range_end__gte=end_key(network))
    return queryset.filter(containing if containing_only else inside | containing)


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
