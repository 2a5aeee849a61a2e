"""How bills and payments are filtered: the API's query parameters and the admin's
list filters (``coin.admin_filters.list_filter``) both use these FilterSets."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from coin.billing.models import CreditNote, Invoice, InvoiceQuerySet, Payment


class DateRangeFilterSet(filters.FilterSet):
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte", label=_("Dated on or after"))
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", label=_("Dated on or before"))


class InvoiceFilterSet(DateRangeFilterSet):
    validated = filters.BooleanFilter(
        method="filter_validated", label=_("Validated (true) or drafts (false)")
    )

    class Meta:
        model = Invoice
        fields = ["member", "status", "number"]

    def filter_validated(self, queryset: InvoiceQuerySet, name: str, value: bool) -> InvoiceQuerySet:
        return queryset.validated() if value else queryset.drafts()


class CreditNoteFilterSet(DateRangeFilterSet):
    class Meta:
        model = CreditNote
        fields = ["member", "invoice"]


class PaymentFilterSet(DateRangeFilterSet):
    matched = filters.BooleanFilter(
        field_name="member", lookup_expr="isnull", exclude=True, label=_("With a member (false: to assign)")
    )

    class Meta:
        model = Payment
        fields = ["member", "payment_mean", "bank_import"]
