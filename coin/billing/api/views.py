"""Billing endpoints: invoices, credit notes, payments, members' balances.

Validated bills never change, so there is no update or delete here: an invoice is
corrected by a credit note, and a payment is corrected in the admin (which takes back
what it paid). Creating goes through the ledger functions.
"""

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coin.billing import documents, einvoice_export
from coin.billing.api.serializers import (
    CreditNoteCreateSerializer,
    CreditNoteSerializer,
    DirectDebitCollectionSerializer,
    InvoiceCreateSerializer,
    InvoiceSerializer,
    MandateCreateSerializer,
    MandateSerializer,
    MemberBalanceSerializer,
    PaymentAssignSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
)
from coin.billing.direct_debit import revoke_mandate
from coin.billing.filtersets import CreditNoteFilterSet, InvoiceFilterSet, PaymentFilterSet
from coin.billing.ledger import with_amounts, with_balances, with_unallocated
from coin.billing.models import (
    CreditNote,
    DirectDebitCollection,
    Invoice,
    Mandate,
    Payment,
    PaymentAllocation,
)
from coin.billing.payments import assign_payment
from coin.members.models import Member

if TYPE_CHECKING:
    # What the mixin is mixed into: the view sets below.
    _PdfMixinBase = viewsets.GenericViewSet
else:
    _PdfMixinBase = object

PDF_RESPONSE = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The PDF, as a download."))
}


XML_RESPONSE = {
    (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The CII XML (EN 16931).")),
    409: OpenApiResponse(description=_("A draft has no e-invoice.")),
}
ZIP_RESPONSE = {
    (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description=_("A zip of CII XML files.")),
    400: OpenApiResponse(description=_("The period is not valid: the field and the reason.")),
}
FILE_ACTIONS = ("pdf", "xml", "einvoices")


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("The period ends before it starts.")})
        return attrs


class PdfMixin(_PdfMixinBase):
    def perform_content_negotiation(self, request, force=False):
        # The PDF is not rendered by DRF: a client asking for application/pdf gets it,
        # and an error (404, 403) in JSON.
        return super().perform_content_negotiation(request, force=force or self.action in FILE_ACTIONS)


class InvoiceViewSet(PdfMixin, viewsets.ReadOnlyModelViewSet):
    """Invoices with their lines and what remains to pay. Read-only but for issuing:
    a validated invoice is corrected by a credit note."""

    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilterSet
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self):
        return (
            with_amounts(Invoice.objects.all())
            .prefetch_related("details")
            .order_by("-date", "-number", "-pk")
        )

    @extend_schema(request=InvoiceCreateSerializer, responses={201: InvoiceSerializer})
    def create(self, request, *args, **kwargs):
        """Issue a validated invoice from its lines (numbered, then paid from the member's credit)."""
        data = InvoiceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = data.save()
        return Response(
            self.get_serializer(self.get_queryset().get(pk=invoice.pk)).data, status.HTTP_201_CREATED
        )

    @extend_schema(responses=PDF_RESPONSE)
    @action(detail=True)
    def pdf(self, request, pk=None):
        """The invoice's PDF (a draft's is a preview, rendered each time)."""
        return documents.invoice_pdf_response(self.get_object())

    @extend_schema(responses=XML_RESPONSE)
    @action(detail=True)
    def xml(self, request, pk=None):
        """The validated invoice's e-invoice (CII XML, EN 16931), for an e-invoicing platform."""
        invoice = self.get_object()
        if not invoice.is_validated:
            return Response({"detail": _("A draft has no e-invoice.")}, status.HTTP_409_CONFLICT)
        return einvoice_export.xml_response(invoice)

    @extend_schema(parameters=[PeriodSerializer], responses=ZIP_RESPONSE)
    @action(detail=False)
    def einvoices(self, request):
        """The e-invoices (CII XML) of the validated invoices and credit notes of a
        period (``start`` and ``end`` included), as one zip; the credit notes only
        with the permission to view them."""
        period = PeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        start, end = period.validated_data["start"], period.validated_data["end"]
        # Credit notes only for who may see them (the endpoint needs view_invoice).
        notes = request.user.has_perm("billing.view_creditnote")
        bills = einvoice_export.period_bills(start, end, credit_notes=notes)
        return einvoice_export.zip_response(bills, einvoice_export.zip_name(start, end))


class CreditNoteViewSet(PdfMixin, viewsets.ReadOnlyModelViewSet):
    """Credit notes: each cancels all or part of a validated invoice."""

    serializer_class = CreditNoteSerializer
    filterset_class = CreditNoteFilterSet
    filter_backends = [filters.DjangoFilterBackend]

    def get_queryset(self):
        return CreditNote.objects.select_related("invoice").order_by("-date", "-number", "-pk")

    @extend_schema(request=CreditNoteCreateSerializer, responses={201: CreditNoteSerializer})
    def create(self, request, *args, **kwargs):
        """Issue a credit note: at most what the invoice still asks (total − credited)."""
        data = CreditNoteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = data.save()
        return Response(
            self.get_serializer(self.get_queryset().get(pk=note.pk)).data, status.HTTP_201_CREATED
        )

    @extend_schema(responses=PDF_RESPONSE)
    @action(detail=True)
    def pdf(self, request, pk=None):
        """The credit note's PDF."""
        return documents.credit_note_pdf_response(self.get_object())

    @extend_schema(responses=XML_RESPONSE)
    @action(detail=True)
    def xml(self, request, pk=None):
        """The validated credit note's e-invoice (CII XML, type 381)."""
        note = self.get_object()
        if note.validated_at is None or not note.number:
            return Response({"detail": _("A draft has no e-invoice.")}, status.HTTP_409_CONFLICT)
        return einvoice_export.xml_response(note)


class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    """Payments and the invoices they paid. Recording one allocates it; there is no
    update: a payment entered wrong is corrected in the admin."""

    serializer_class = PaymentSerializer
    filterset_class = PaymentFilterSet
    filter_backends = [filters.DjangoFilterBackend]
    # Assigning changes the payment (as in the admin), it adds none.
    action_permissions = {"assign": ["billing.change_payment"]}

    def get_queryset(self):
        allocations = PaymentAllocation.objects.select_related("invoice").order_by("pk")
        return (
            with_unallocated(Payment.objects.all())
            .prefetch_related(Prefetch("allocations", queryset=allocations))
            .order_by("-date", "-pk")
        )

    def _response(self, payment: Payment, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=payment.pk)).data, code)

    @extend_schema(request=PaymentCreateSerializer, responses={201: PaymentSerializer})
    def create(self, request, *args, **kwargs):
        """Record a payment: it pays the member's oldest open invoices, the rest is credit."""
        data = PaymentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._response(data.save(), status.HTTP_201_CREATED)

    @extend_schema(request=PaymentAssignSerializer, responses={200: PaymentSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give an unmatched payment (an imported bank line) to its member, and allocate it.
        Assigning it again to the same member changes nothing."""
        data = PaymentAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = data.validated_data["member"]
        payment = self.get_object()
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            if payment.member_id is None:
                assign_payment(payment, member)
            elif payment.member_id != member.pk:
                raise serializers.ValidationError(
                    {
                        "member": [
                            _("This payment already belongs to another member: correct it in the admin.")
                        ]
                    }
                )
        return self._response(payment)


class MemberBalanceViewSet(viewsets.ReadOnlyModelViewSet):
    """Each member's balance: payments − (validated invoices − validated credit notes)."""

    serializer_class = MemberBalanceSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_fields = ["status"]
    # A balance shows the member and sums of their bills and payments.
    action_permissions = dict.fromkeys(
        ["list", "retrieve"],
        ["members.view_member", "billing.view_invoice", "billing.view_creditnote", "billing.view_payment"],
    )

    def get_queryset(self):
        return with_balances(Member.objects.all()).order_by("pk")


class MandateViewSet(viewsets.ReadOnlyModelViewSet):
    """SEPA Direct Debit mandates. Creating one records a mandate signed on paper (the
    member's previous one is revoked); ``revoke`` ends one. No update: a new account
    is a new mandate."""

    serializer_class = MandateSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_fields = ["member", "signature"]
    action_permissions = {"revoke": ["billing.change_mandate"]}

    def get_queryset(self):
        return Mandate.objects.order_by("-signed_on", "-pk")

    @extend_schema(request=MandateCreateSerializer, responses={201: MandateSerializer})
    def create(self, request, *args, **kwargs):
        """Record a mandate signed on paper."""
        data = MandateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mandate = data.save()
        return Response(self.get_serializer(mandate).data, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: MandateSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the mandate today (no more collections under it); again: no change."""
        return Response(self.get_serializer(revoke_mandate(self.get_object())).data)


class DirectDebitCollectionViewSet(viewsets.ReadOnlyModelViewSet):
    """Invoices collected by direct debit, with their file, status and return reason."""

    serializer_class = DirectDebitCollectionSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_fields = ["status", "invoice", "mandate"]

    def get_queryset(self):
        return DirectDebitCollection.objects.select_related("invoice", "mandate", "batch").order_by("-pk")


def register(router) -> None:
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("credit-notes", CreditNoteViewSet, basename="credit-note")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("member-balances", MemberBalanceViewSet, basename="member-balance")
    router.register("mandates", MandateViewSet, basename="mandate")
    router.register(
        "direct-debit-collections", DirectDebitCollectionViewSet, basename="direct-debit-collection"
    )
