"""What the billing API shows, and what it accepts before handing it to the ledger.

The read serializers show amounts that the ledger computed (``ledger.with_amounts``,
``with_unallocated``, ``with_balances``). The input serializers only check the shape
of a request: issuing, numbering, crediting and allocating is done by the ledger
functions, and their refusals come back as 400s that name the field.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coin.billing.direct_debit import create_mandate
from coin.billing.invoices import Line, issue_credit_note, issue_invoice
from coin.billing.ledger import InvoiceAmounts, annotated_balance
from coin.billing.models import (
    MONEY,
    CreditNote,
    DirectDebitCollection,
    Invoice,
    InvoiceDetail,
    Mandate,
    Payment,
    PaymentAllocation,
)
from coin.billing.payments import record_payment
from coin.billing.references import invoice_creditor_reference
from coin.members.models import Member
from coin.validation import api_error

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise, WithAnnotations


class ComputedMoneyField(serializers.DecimalField):
    """A read-only amount that ``compute`` takes from the object (null when it gives None)."""

    def __init__(self, compute: Callable[[Any], Decimal | None], **kwargs) -> None:
        """``compute`` is given the serialized instance (``source="*"``), whose type
        the field does not know: each serializer passes a function typed for its own."""
        self.compute = compute
        super().__init__(read_only=True, source="*", **MONEY, **kwargs)

    def to_representation(self, obj):
        value = self.compute(obj)
        return None if value is None else super().to_representation(value)


@extend_schema_field({"type": "string", "enum": Invoice.Status.values}, component_name="InvoiceStatusEnum")
class InvoiceStatusField(serializers.ChoiceField):
    """The invoice's status, as its own schema component: members have a ``status`` too,
    with other choices, and both would otherwise claim the name ``StatusEnum``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=Invoice.Status.choices, read_only=True, **kwargs)


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(read_only=True, **MONEY, **kwargs)


# --- Invoices ---------------------------------------------------------------------------------


def invoice_total(invoice: Invoice) -> Decimal:
    return invoice.total if invoice.is_validated else invoice.lines_total()


def invoice_remaining(invoice: "WithAnnotations[Invoice, InvoiceAmounts]") -> Decimal | None:
    return invoice.remaining if invoice.is_validated else None


def member_balance(member: Member) -> Decimal:
    """The balance of a member annotated by ``ledger.with_balances``."""
    return annotated_balance(member).amount


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceDetail
        fields = [
            "id", "label", "amount", "quantity", "tax", "period_from", "period_to", "offersubscription",
            "is_initial_fee", "total",
        ]  # fmt: skip
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice from a queryset annotated by ``ledger.with_amounts``, lines prefetched."""

    status = InvoiceStatusField()
    validated = serializers.BooleanField(source="is_validated", read_only=True)
    total = ComputedMoneyField(
        invoice_total,
        help_text=_("Sum of the lines (fixed when the invoice is validated)."),
    )
    credited = money(help_text=_("Cancelled by validated credit notes."))
    paid = money(help_text=_("Paid by payments allocated to this invoice."))
    remaining = ComputedMoneyField(
        invoice_remaining,
        allow_null=True,
        help_text=_("Still to pay: total − credited − paid (null for a draft)."),
    )
    lines = InvoiceLineSerializer(source="details", many=True, read_only=True)
    creditor_reference = serializers.SerializerMethodField(
        help_text=_("ISO 11649 (RF) reference to give in a transfer; empty for a draft.")
    )

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "member", "date", "date_due", "status", "validated", "validated_at", "total",
            "credited", "paid", "remaining", "creditor_reference", "lines",
        ]  # fmt: skip
        read_only_fields = fields

    def get_creditor_reference(self, invoice: Invoice) -> str:
        return invoice_creditor_reference(invoice)


class InvoiceLineInputSerializer(serializers.ModelSerializer):
    """A line to bill; the model's rules apply (a subscription's period is billed once)."""

    class Meta:
        model = InvoiceDetail
        fields = [
            "label", "amount", "quantity", "tax", "period_from", "period_to", "offersubscription",
            "is_initial_fee",
        ]  # fmt: skip


class InvoiceCreateSerializer(serializers.Serializer):
    """Issue a validated invoice (``invoices.issue_invoice``): all its lines or nothing."""

    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all())
    date = serializers.DateField(
        required=False, help_text=_("Today when omitted; never in the future, never before the last invoice.")
    )
    lines = InvoiceLineInputSerializer(many=True, allow_empty=False)

    def validate(self, attrs):
        member = attrs["member"]
        line_errors: list[dict[str, list[StrOrPromise]]] = [{} for _line in attrs["lines"]]
        for line, errors in zip(attrs["lines"], line_errors, strict=True):
            subscription = line.get("offersubscription")
            if subscription is not None and subscription.member_id != member.pk:
                errors["offersubscription"] = [_("This subscription belongs to another member.")]
        if any(line_errors):
            raise serializers.ValidationError({"lines": line_errors})
        attrs["lines"] = [self._line(line) for line in attrs["lines"]]
        if sum((line.total for line in attrs["lines"]), Decimal("0")) < 0:
            # validate_invoice refuses it too: a negative bill is a credit note.
            raise serializers.ValidationError(
                {"lines": [_("An invoice cannot be negative: issue a credit note instead.")]}
            )
        return attrs

    @staticmethod
    def _line(data: dict) -> Line:
        subscription = data.pop("offersubscription", None)
        return Line(**data, offersubscription_id=subscription.pk if subscription else None)

    def create(self, validated_data) -> Invoice:
        try:
            return issue_invoice(
                validated_data["member"], validated_data["lines"], validated_data.get("date")
            )
        except DjangoValidationError as error:
            raise api_error(error) from error
        except IntegrityError as error:  # the same period billed twice in this request, or meanwhile
            raise serializers.ValidationError(
                {"lines": [_("A period of one of these subscriptions is already billed.")]}
            ) from error


# --- Credit notes -----------------------------------------------------------------------------


class CreditNoteSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True, allow_null=True)
    validated = serializers.BooleanField(source="is_validated", read_only=True)

    class Meta:
        model = CreditNote
        fields = [
            "id", "number", "invoice", "invoice_number", "member", "date", "amount", "reason", "validated",
            "validated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CreditNoteCreateSerializer(serializers.ModelSerializer):
    """Issue a credit note on a validated invoice (``invoices.issue_credit_note``)."""

    class Meta:
        model = CreditNote
        fields = ["invoice", "amount", "reason", "date"]
        extra_kwargs = {"date": {"help_text": _("Today when omitted; not before the invoice.")}}

    def create(self, validated_data) -> CreditNote:
        try:
            return issue_credit_note(
                validated_data["invoice"],
                validated_data["amount"],
                validated_data["reason"],
                validated_data.get("date"),
            )
        except DjangoValidationError as error:
            raise api_error(error) from error


# --- Payments ---------------------------------------------------------------------------------


class PaymentAllocationSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True, allow_null=True)

    class Meta:
        model = PaymentAllocation
        fields = ["invoice", "invoice_number", "amount"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    """A payment from a queryset annotated by ``ledger.with_unallocated``."""

    allocated = money(help_text=_("Paid to invoices."))
    unallocated = money(help_text=_("Credit left for the member's next invoices."))
    allocations = PaymentAllocationSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id", "member", "payment_mean", "amount", "date", "label", "bank_import", "import_key",
            "allocated", "unallocated", "allocations",
        ]  # fmt: skip
        read_only_fields = fields


class PaymentCreateSerializer(serializers.ModelSerializer):
    """Record money received (``payments.record_payment``): it pays the oldest open
    invoices first, the rest is credit. Without a member it waits to be assigned."""

    class Meta:
        model = Payment
        fields = ["member", "amount", "date", "payment_mean", "label"]

    def create(self, validated_data) -> Payment:
        try:
            return record_payment(
                validated_data.pop("member", None), validated_data.pop("amount"), **validated_data
            )
        except DjangoValidationError as error:
            raise api_error(error) from error


class PaymentAssignSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all())


# --- Balances ---------------------------------------------------------------------------------


class MemberBalanceSerializer(serializers.ModelSerializer):
    """A member annotated by ``ledger.with_balances``."""

    display_name = serializers.CharField(read_only=True)
    payments = money(source="balance_payments", help_text=_("Sum of the payments."))
    invoices = money(source="balance_invoices", help_text=_("Sum of the validated invoices."))
    credit_notes = money(source="balance_credit_notes", help_text=_("Sum of the validated credit notes."))
    balance = ComputedMoneyField(
        member_balance,
        help_text=_("payments − (invoices − credit notes): negative when the member owes money."),
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "username",
            "display_name",
            "status",
            "payments",
            "invoices",
            "credit_notes",
            "balance",
        ]
        read_only_fields = fields


class MandateSerializer(serializers.ModelSerializer):
    in_force = serializers.BooleanField(read_only=True)

    class Meta:
        model = Mandate
        fields = [
            "id", "member", "reference", "iban", "bic", "account_holder", "signed_on", "signature",
            "consent_at", "consent_ip", "revoked_on", "in_force",
        ]  # fmt: skip
        read_only_fields = fields


class MandateCreateSerializer(serializers.ModelSerializer):
    """A mandate signed on paper, entered by an admin (direct_debit.create_mandate): the
    reference is made when none is given; the member's previous mandate is revoked."""

    reference = serializers.CharField(max_length=35, required=False, allow_blank=True)

    class Meta:
        model = Mandate
        fields = ["member", "reference", "iban", "bic", "account_holder", "signed_on"]
        # The model's checks run in create_mandate (IBAN, BIC, one mandate in force).
        validators: list = []

    def create(self, validated_data):
        member = validated_data.pop("member")
        try:
            return create_mandate(member, **validated_data)
        except DjangoValidationError as error:
            raise api_error(error) from error


class DirectDebitCollectionSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    mandate_reference = serializers.CharField(source="mandate.reference", read_only=True)
    collection_date = serializers.DateField(source="batch.collection_date", read_only=True)
    file = serializers.CharField(source="batch.message_id", read_only=True)

    class Meta:
        model = DirectDebitCollection
        fields = [
            "id", "invoice", "invoice_number", "mandate", "mandate_reference", "amount", "sequence",
            "end_to_end_id", "collection_date", "file", "status", "payment", "return_reason", "returned_on",
        ]  # fmt: skip
        read_only_fields = fields
