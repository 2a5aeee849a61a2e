"""How lent hardware is filtered: the API's query parameters and the admin's list
filters (``coin.admin_filters.list_filter``) both use these FilterSets."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from hardware_provisioning.models import Item, ItemQuerySet, ItemState, Loan

OWNED_BY = [("isp", _("the ISP")), ("member", _("a member"))]


class ItemFilterSet(filters.FilterSet):
    state = filters.ChoiceFilter(
        choices=ItemState.choices, method="filter_state", label=_("Availability (in storage, lent…)")
    )
    owned_by = filters.ChoiceFilter(
        choices=OWNED_BY, method="filter_owned_by", label=_("Owned by the ISP or by a member")
    )

    class Meta:
        model = Item
        fields = ["type", "storage", "owner", "deployed"]

    def filter_state(self, queryset: ItemQuerySet, name: str, value: str) -> ItemQuerySet:
        return queryset.in_state(value)

    def filter_owned_by(self, queryset: ItemQuerySet, name: str, value: str) -> ItemQuerySet:
        return queryset.filter(owner__isnull=value == "isp")


class LoanFilterSet(filters.FilterSet):
    class Meta:
        model = Loan
        fields = ["item", "member", "subscription", "state"]
