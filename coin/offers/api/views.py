from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, viewsets

from coin.offers.api.serializers import OfferSerializer, OfferSubscriptionSerializer
from coin.offers.filtersets import OfferFilterSet, OfferSubscriptionFilterSet
from coin.offers.models import Offer, OfferSubscription


class OfferViewSet(viewsets.ModelViewSet):
    queryset = Offer.objects.all().order_by("pk")
    serializer_class = OfferSerializer
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_class = OfferFilterSet
    search_fields = ["name", "reference"]
    http_method_names = ["get", "post", "patch", "head", "options"]


class OfferSubscriptionViewSet(viewsets.ModelViewSet):
    queryset = OfferSubscription.objects.select_related("offer", "member").order_by("pk")
    serializer_class = OfferSubscriptionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OfferSubscriptionFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]


def register(router) -> None:
    router.register("offers", OfferViewSet)
    router.register("subscriptions", OfferSubscriptionViewSet)
