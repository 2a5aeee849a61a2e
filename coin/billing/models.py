"""Bills, payments and what links them.

Money is Decimal everywhere. An invoice is a draft until it is validated: then it
gets its number (gapless, chronological, see numbering.py) and never changes
again; a credit note is the only way to correct it.
"""

import datetime
import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from coin.billing.bounds import (
    EARLIEST_PAYMENT_DATE,
    check_fields,
    check_line_total,
    check_not_before_last_bill,
    check_period,
    money_within_column,
    period_in_order,
    validate_not_in_future,
    validate_payment_date,
)
from coin.billing.money import MONEY, line_total
from coin.billing.storage import private_storage

# The series of numbered bills (NumberSequence.series; numbering.FORMATS).
INVOICE_SERIES = "invoice"
CREDIT_NOTE_SERIES = "credit_note"
RECEIPT_SERIES = "receipt"


class ImmutableRecordError(ValidationError):
    """A validated invoice (or its lines, or a validated credit note) was about to change.

    French accounting law wants issued invoices kept as they were: corrections go
    through credit notes. PostgreSQL also enforces this with triggers (see the
    ``invoice_immutability_triggers`` migration).
    """


# What never changes once an invoice is validated; status and pdf may still change.
INVOICE_PROTECTED_FIELDS = ("number", "member_id", "date", "date_due", "validated_at", "total")
CREDIT_NOTE_PROTECTED_FIELDS = ("number", "invoice_id", "member_id", "date", "amount", "validated_at")


def _changed_fields(instance: models.Model, stored: dict, fields: tuple[str, ...]) -> list[str]:
    return [name for name in fields if getattr(instance, name) != stored[name]]


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def validated(self) -> "InvoiceQuerySet":
        return self.filter(validated_at__isnull=False)

    def drafts(self) -> "InvoiceQuerySet":
        return self.filter(validated_at__isnull=True)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.validated().exists():
            raise ImmutableRecordError(_("A validated invoice cannot be deleted: issue a credit note."))
        return super().delete()

    def update_drafts(self, **kwargs: Any) -> int:
        """Update only the drafts of this queryset (how validation fixes their number)."""
        return models.QuerySet.update(self.drafts(), **kwargs)

    def update(self, **kwargs: Any) -> int:
        protected = {name.removesuffix("_id") for name in INVOICE_PROTECTED_FIELDS}
        if protected & {name.removesuffix("_id") for name in kwargs} and self.validated().exists():
            raise ImmutableRecordError(_("A validated invoice cannot be changed: issue a credit note."))
        return super().update(**kwargs)


class Invoice(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("to pay")
        CLOSED = "closed", _("paid")
        DISPUTED = "disputed", _("disputed")

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("member")
    )
    date = models.DateField(_("date"), default=timezone.localdate, validators=[validate_not_in_future])
    date_due = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    pdf = models.FileField(
        _("PDF"), upload_to="invoices/", storage=private_storage, blank=True, max_length=255
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    total = models.DecimalField(
        _("total"),
        default=Decimal("0"),
        editable=False,
        help_text=_("Sum of the lines, fixed when the invoice is validated."),
        **MONEY,
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-date", "-number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(validated_at__isnull=True) | models.Q(number__isnull=False),
                name="validated_invoice_has_a_number",
            ),
            money_within_column("total", **MONEY, name="invoice_total_within_column"),
        ]
        indexes = [models.Index(fields=["member", "status", "date"], name="invoice_member_status_date")]

    def __str__(self) -> str:
        return self.number or _("draft invoice #%(pk)s") % {"pk": self.pk}

    def save(self, *args, **kwargs) -> None:
        """Refuse to change what a validated invoice says. The stored row decides, not
        this instance, which may be stale."""
        if self.pk is not None and not kwargs.get("force_insert"):
            stored = Invoice.objects.filter(pk=self.pk).values(*INVOICE_PROTECTED_FIELDS).first()
            if stored and stored["validated_at"] is not None:
                changed = _changed_fields(self, stored, INVOICE_PROTECTED_FIELDS)
                update_fields = kwargs.get("update_fields")
                if update_fields is not None:
                    changed = [name for name in changed if name.removesuffix("_id") in update_fields]
                if changed:
                    raise ImmutableRecordError(
                        _("Invoice %(number)s is validated: %(fields)s cannot change; issue a credit note.")
                        % {"number": stored["number"], "fields": ", ".join(changed)}
                    )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.pk is not None and Invoice.objects.filter(pk=self.pk, validated_at__isnull=False).exists():
            raise ImmutableRecordError(
                _("Invoice %(number)s is validated: it cannot be deleted; issue a credit note.")
                % {"number": self.number}
            )
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        """A draft is not dated before the last numbered invoice (validation checks
        again, under the numbering lock)."""
        if not self.is_validated and self.date:
            check_not_before_last_bill(self.date, NumberSequence.objects.last_date(INVOICE_SERIES))

    @property
    def is_validated(self) -> bool:
        return self.validated_at is not None

    def lines_total(self) -> Decimal:
        """Sum of the lines as they are now (what ``total`` becomes at validation)."""
        return sum((detail.total for detail in self.details.all()), Decimal("0"))


class InvoiceDetailQuerySet(models.QuerySet["InvoiceDetail"]):
    def _touches_validated(self) -> bool:
        return self.filter(invoice__validated_at__isnull=False).exists()

    def delete(self) -> tuple[int, dict[str, int]]:
        if self._touches_validated():
            raise ImmutableRecordError(_("The lines of a validated invoice cannot be deleted."))
        return super().delete()

    def update(self, **kwargs: Any) -> int:
        if self._touches_validated():
            raise ImmutableRecordError(_("The lines of a validated invoice cannot be changed."))
        return super().update(**kwargs)


class InvoiceDetail(models.Model):
    """A line. ``total`` = amount × quantity × (1 + tax/100), rounded half-up to cents."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="details", verbose_name=_("invoice")
    )
    label = models.CharField(_("label"), max_length=255)
    amount = models.DecimalField(_("unit amount"), **MONEY)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=4, default=Decimal("1"))
    tax = models.DecimalField(
        _("tax (%)"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    period_from = models.DateField(_("period from"), null=True, blank=True)
    period_to = models.DateField(_("period to"), null=True, blank=True)
    offersubscription = models.ForeignKey(
        "offers.OfferSubscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_details",
        verbose_name=_("subscription"),
    )
    is_initial_fee = models.BooleanField(_("initial fees"), default=False)
    total = models.DecimalField(
        _("total"), default=Decimal("0"), editable=False, help_text=_("Computed from the line."), **MONEY
    )

    objects = InvoiceDetailQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["id"]
        constraints = [
            # A period of a subscription is billed once, even when two runs race.
            models.UniqueConstraint(
                fields=["offersubscription", "period_from"],
                condition=models.Q(offersubscription__isnull=False, is_initial_fee=False),
                name="subscription_period_billed_once",
            ),
            models.UniqueConstraint(
                fields=["offersubscription"],
                condition=models.Q(is_initial_fee=True),
                name="subscription_initial_fees_billed_once",
            ),
            period_in_order("period_from", "period_to", name="invoice_line_period_in_order"),
            money_within_column("amount", **MONEY, name="invoice_line_amount_within_column"),
            money_within_column("total", **MONEY, name="invoice_line_total_within_column"),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs) -> None:
        self._check_invoice_is_draft()
        self.compute_total()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._check_invoice_is_draft()
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        """The period in order, and a total that fits its column (amount × quantity may
        not, when each fits its own)."""
        check_period(self.period_from, self.period_to)
        factors = {"amount": self.amount, "quantity": self.quantity, "tax": self.tax}
        if None in factors.values():
            return
        try:
            check_fields(InvoiceDetail, factors)
        except ValidationError:
            return  # full_clean() reports these fields' own errors
        check_line_total(line_total(self.amount, self.quantity, self.tax))

    def compute_total(self) -> Decimal:
        self.total = line_total(self.amount, self.quantity, self.tax)
        return self.total

    def _check_invoice_is_draft(self) -> None:
        invoice_ids = {self.invoice_id}
        if self.pk is not None:
            invoice_ids |= set(InvoiceDetail.objects.filter(pk=self.pk).values_list("invoice_id", flat=True))
        if Invoice.objects.filter(pk__in=invoice_ids, validated_at__isnull=False).exists():
            raise ImmutableRecordError(
                _("The lines of a validated invoice cannot change: issue a credit note.")
            )


class CreditNote(models.Model):
    """Cancels all or part of a validated invoice (its own number series)."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("invoice")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        verbose_name=_("member"),
    )
    date = models.DateField(_("date"), default=timezone.localdate, validators=[validate_not_in_future])
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    reason = models.CharField(_("reason"), max_length=255)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    pdf = models.FileField(
        _("PDF"), upload_to="credit_notes/", storage=private_storage, blank=True, max_length=255
    )

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-date", "-number"]
        constraints = [money_within_column("amount", **MONEY, name="credit_note_amount_within_column")]

    def __str__(self) -> str:
        return self.number or _("draft credit note #%(pk)s") % {"pk": self.pk}

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            stored = CreditNote.objects.filter(pk=self.pk).values(*CREDIT_NOTE_PROTECTED_FIELDS).first()
            if stored and stored["validated_at"] is not None:
                changed = _changed_fields(self, stored, CREDIT_NOTE_PROTECTED_FIELDS)
                if changed:
                    raise ImmutableRecordError(
                        _("Credit note %(number)s is validated: %(fields)s cannot change.")
                        % {"number": stored["number"], "fields": ", ".join(changed)}
                    )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.pk is not None and CreditNote.objects.filter(pk=self.pk, validated_at__isnull=False).exists():
            raise ImmutableRecordError(_("A validated credit note cannot be deleted."))
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        """Not dated before the last numbered credit note (numbering checks again)."""
        if not self.is_validated and self.date:
            check_not_before_last_bill(self.date, NumberSequence.objects.last_date(CREDIT_NOTE_SERIES))

    @property
    def is_validated(self) -> bool:
        return self.validated_at is not None


class NumberSequenceQuerySet(models.QuerySet["NumberSequence"]):
    def last_date(self, series: str) -> datetime.date | None:
        """The date of the last numbered bill of ``series``, whatever its year."""
        return (
            self.filter(series=series, last_date__isnull=False)
            .order_by("-last_date")
            .values_list("last_date", flat=True)
            .first()
        )


class NumberSequence(models.Model):
    """Last number given in a series for a year; rows are locked while numbering
    (numbering.py). One series per kind of bill: INVOICE_SERIES, CREDIT_NOTE_SERIES,
    RECEIPT_SERIES."""

    series = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)
    last_date = models.DateField(null=True, blank=True)

    objects = NumberSequenceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="one_sequence_per_series_year")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last_value}"


class Receipt(models.Model):
    """Acknowledges a membership fee or a donation that was paid (not a debt)."""

    class Kind(models.TextChoices):
        MEMBERSHIP_FEE = "membership_fee", _("membership fee")
        DONATION = "donation", _("donation")

    number = models.CharField(_("number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="receipts", verbose_name=_("member")
    )
    membership_fee = models.OneToOneField(
        "members.MembershipFee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipt",
        verbose_name=_("membership fee"),
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    label = models.CharField(_("label"), max_length=255)
    pdf = models.FileField(
        _("PDF"), upload_to="receipts/", storage=private_storage, blank=True, max_length=255
    )

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-date", "-number"]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        """A receipt is numbered when it is issued (receipts.py) and never changes
        afterwards, but for its PDF."""
        if self.pk is not None and not kwargs.get("force_insert"):
            fields = ("number", "kind", "member_id", "membership_fee_id", "date", "amount", "label")
            stored = Receipt.objects.filter(pk=self.pk).values(*fields).first()
            if stored and _changed_fields(self, stored, fields):
                raise ImmutableRecordError(_("Receipt %(number)s is issued: it cannot change.") % stored)
        super().save(*args, **kwargs)


class BankImport(models.Model):
    """One imported bank statement file; its hash refuses the same file twice."""

    filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=20)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.imported_at:%Y-%m-%d})"


class Payment(models.Model):
    class PaymentMean(models.TextChoices):
        TRANSFER = "transfer", _("transfer")
        DIRECT_DEBIT = "direct_debit", _("direct debit")
        CHEQUE = "cheque", _("cheque")
        CASH = "cash", _("cash")
        CARD = "card", _("card")
        OTHER = "other", _("other")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
        verbose_name=_("member"),
        help_text=_("Empty while an imported payment is not matched to a member."),
    )
    payment_mean = models.CharField(
        _("payment means"), max_length=20, choices=PaymentMean.choices, default=PaymentMean.TRANSFER
    )
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    date = models.DateField(
        _("date"),
        default=timezone.localdate,
        validators=[validate_payment_date],
        help_text=format_lazy(_("Between {floor} and today."), floor=EARLIEST_PAYMENT_DATE.isoformat()),
    )
    label = models.CharField(_("label"), max_length=500, blank=True)
    bank_import = models.ForeignKey(
        BankImport, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    import_key = models.CharField(
        _("bank transaction key"),
        max_length=128,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Identifies a bank line so that a later import never records it twice."),
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-date", "-id"]
        constraints = [money_within_column("amount", **MONEY, name="payment_amount_within_column")]

    def __str__(self) -> str:
        return f"{self.amount} € — {self.member or _('unmatched')} — {self.date}"


class PaymentAllocation(models.Model):
    """The part of a payment that pays an invoice."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")

    def __str__(self) -> str:
        return f"{self.amount} € of {self.payment} → {self.invoice}"


class InvoiceReminder(models.Model):
    """An unpaid-invoice reminder that was sent (unique: never sent twice)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    days_after_due = models.SmallIntegerField(_("days after due date"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("invoice reminder")
        verbose_name_plural = _("invoice reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "days_after_due"], name="one_invoice_reminder_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.invoice} +{self.days_after_due} d"


class ServiceSuspension(models.Model):
    """A subscription whose service was suspended for unpaid bills."""

    offersubscription = models.ForeignKey(
        "offers.OfferSubscription", on_delete=models.CASCADE, related_name="suspensions"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="suspensions")
    suspended_at = models.DateTimeField(_("suspended at"), default=timezone.now)
    resumed_at = models.DateTimeField(_("resumed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service suspension")
        verbose_name_plural = _("service suspensions")
        constraints = [
            models.UniqueConstraint(
                fields=["offersubscription"],
                condition=models.Q(resumed_at__isnull=True),
                name="one_open_suspension_per_subscription",
            )
        ]

    def __str__(self) -> str:
        return f"{self.offersubscription} suspended {self.suspended_at:%Y-%m-%d}"


class Mandate(models.Model):
    """A member's SEPA Direct Debit (Core) mandate: their authorisation for the ISP to
    collect their invoices from their account. Rules are in direct_debit.py.

    Signed on paper (an admin enters it) or online by the member, whose explicit consent
    is recorded with its date, time and address. A revoked mandate stays (collections
    refer to it) but is never used again; a member has at most one mandate in force.
    """

    class Signature(models.TextChoices):
        PAPER = "paper", _("on paper")
        ONLINE = "online", _("online")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mandates", verbose_name=_("member")
    )
    reference = models.CharField(
        _("mandate reference"),
        max_length=35,
        unique=True,
        help_text=_("Unique mandate reference (UMR), printed on the mandate; up to 35 characters."),
    )
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=70)
    signed_on = models.DateField(_("signature date"), validators=[validate_not_in_future])
    signature = models.CharField(
        _("signed"), max_length=10, choices=Signature.choices, default=Signature.PAPER
    )
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_ip = models.GenericIPAddressField(_("consent given from"), null=True, blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)

    class Meta:
        verbose_name = _("direct debit mandate")
        verbose_name_plural = _("direct debit mandates")
        ordering = ["-signed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(revoked_on__isnull=True), name="one_mandate_in_force"
            )
        ]

    def __str__(self) -> str:
        return self.reference

    def clean(self) -> None:
        """IBAN and BIC checked by python-stdnum (coin.isp_database.banking), stored
        compact; an online mandate has its consent recorded."""
        from coin.isp_database.banking import check_bic, check_iban

        errors: dict[str, list[Any]] = {}
        try:
            self.iban = check_iban(self.iban or "")
        except ValidationError as error:
            errors["iban"] = error.messages
        if self.bic:
            try:
                self.bic = check_bic(self.bic)
            except ValidationError as error:
                errors["bic"] = error.messages
        if self.reference and not re.fullmatch(r"[A-Za-z0-9+?/:().,' -]{1,35}", self.reference):
            errors["reference"] = [_("Letters, digits, spaces and + ? / - : ( ) . , ' only.")]
        if self.signature == self.Signature.ONLINE and (self.consent_at is None or not self.consent_ip):
            errors["consent_at"] = [_("An online mandate records when and from where the member consented.")]
        if errors:
            raise ValidationError(errors)

    @property
    def in_force(self) -> bool:
        return self.revoked_on is None


class DirectDebitBatch(models.Model):
    """One pain.008 file: the collections of one collection date, made by one run."""

    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    collection_date = models.DateField(_("collection date"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    xml = models.TextField(_("pain.008 file"), editable=False)
    total = models.DecimalField(_("total"), **MONEY)

    class Meta:
        verbose_name = _("direct debit file")
        verbose_name_plural = _("direct debit files")
        ordering = ["-collection_date", "-pk"]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.collection_date})"


class DirectDebitCollection(models.Model):
    """An invoice collected under a mandate; its status follows the bank statements."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent to the bank")
        PAID = "paid", _("paid")
        RETURNED = "returned", _("returned")

    class Sequence(models.TextChoices):
        FIRST = "FRST", _("first")
        RECURRENT = "RCUR", _("recurrent")

    batch = models.ForeignKey(
        DirectDebitBatch, on_delete=models.PROTECT, related_name="collections", verbose_name=_("file")
    )
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="collections", verbose_name=_("mandate")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="collections", verbose_name=_("invoice")
    )
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    sequence = models.CharField(_("sequence"), max_length=4, choices=Sequence.choices)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SENT)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("payment")
    )
    credit_key = models.CharField(
        _("credit's bank key"),
        max_length=128,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The import key of the statement line that paid it, kept after a return."),
    )
    return_key = models.CharField(_("return's bank key"), max_length=128, unique=True, null=True, blank=True)
    return_reason = models.CharField(_("return reason"), max_length=4, blank=True)
    returned_on = models.DateField(_("returned on"), null=True, blank=True)

    class Meta:
        verbose_name = _("direct debit collection")
        verbose_name_plural = _("direct debit collections")
        ordering = ["-batch__collection_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=~models.Q(status="returned"),
                name="one_live_collection_per_invoice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.end_to_end_id} ({self.invoice})"
