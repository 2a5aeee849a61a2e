from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, viewsets

from coin.members.api.serializers import MemberSerializer, MembershipFeeSerializer
from coin.members.filtersets import MemberFilterSet, MembershipFeeFilterSet
from coin.members.models import Member, MembershipFee


class MemberViewSet(viewsets.ModelViewSet):
    queryset = Member.objects.all().order_by("pk")
    serializer_class = MemberSerializer
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_class = MemberFilterSet
    search_fields = ["username", "first_name", "last_name", "organization_name", "email"]
    http_method_names = ["get", "post", "patch", "head", "options"]


class MembershipFeeViewSet(viewsets.ModelViewSet):
    queryset = MembershipFee.objects.select_related("member").order_by("pk")
    serializer_class = MembershipFeeSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MembershipFeeFilterSet


def register(router) -> None:
    router.register("members", MemberViewSet)
    router.register("membership-fees", MembershipFeeViewSet)
