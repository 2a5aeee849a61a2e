"""How members and their fees are filtered: the API's query parameters (and the
admin's list filters, through ``coin.admin_filters.list_filter``, for filters that
are more than a field)."""

from django_filters import rest_framework as filters

from coin.members.models import Member, MembershipFee


class MemberFilterSet(filters.FilterSet):
    class Meta:
        model = Member
        fields = ["status", "type", "send_membership_fees_email", "is_staff", "is_active"]


class MembershipFeeFilterSet(filters.FilterSet):
    class Meta:
        model = MembershipFee
        fields = ["member", "payment_method"]
