"""How offers and subscriptions are filtered: the API's query parameters and the
admin's list filters (``coin.admin_filters.list_filter``) both use these FilterSets."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from coin.offers.models import Offer, OfferSubscription, OfferSubscriptionQuerySet


class OfferFilterSet(filters.FilterSet):
    class Meta:
        model = Offer
        fields = ["configuration_type", "non_billable", "requestable", "billing_period"]


class OfferSubscriptionFilterSet(filters.FilterSet):
    running = filters.BooleanFilter(
        method="filter_running", label=_("Running today (true) or not running (false)")
    )

    class Meta:
        model = OfferSubscription
        fields = ["member", "offer"]

    def filter_running(
        self, queryset: OfferSubscriptionQuerySet, name: str, value: bool
    ) -> OfferSubscriptionQuerySet:
        """Running today: ``OfferSubscriptionQuerySet.running()``."""
        running = OfferSubscription.objects.running().values("pk")
        return queryset.filter(pk__in=running) if value else queryset.exclude(pk__in=running)
