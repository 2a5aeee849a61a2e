from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, viewsets

from hardware_provisioning.api.serializers import (
    ItemSerializer,
    ItemTypeSerializer,
    LoanSerializer,
    StorageSerializer,
)
from hardware_provisioning.filtersets import ItemFilterSet, LoanFilterSet
from hardware_provisioning.models import Item, ItemType, Loan, Storage


class ItemTypeViewSet(viewsets.ModelViewSet):
    queryset = ItemType.objects.order_by("pk")
    serializer_class = ItemTypeSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]


class StorageViewSet(viewsets.ModelViewSet):
    queryset = Storage.objects.order_by("pk")
    serializer_class = StorageSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


class ItemViewSet(viewsets.ModelViewSet):
    queryset = Item.objects.with_loan_state().order_by("pk")
    serializer_class = ItemSerializer
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_class = ItemFilterSet
    search_fields = ["mac_address", "serial", "designation"]
    http_method_names = ["get", "post", "patch", "head", "options"]


class LoanViewSet(viewsets.ModelViewSet):
    queryset = Loan.objects.select_related("item").order_by("pk")
    serializer_class = LoanSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LoanFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]


def register(router) -> None:
    router.register("hardware-item-types", ItemTypeViewSet)
    router.register("hardware-storages", StorageViewSet)
    router.register("hardware-items", ItemViewSet)
    router.register("hardware-loans", LoanViewSet)
