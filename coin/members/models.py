"""Members (the user model) and their membership fees."""

import datetime
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coin.dates import add_months


def validate_siren(value: str) -> None:
    """A SIREN: 9 digits whose Luhn checksum holds (python-stdnum's check)."""
    from stdnum.fr import siren

    if value and not siren.is_valid(value):
        raise ValidationError(_("Not a valid SIREN (9 digits)."), code="invalid")


class MemberQuerySet(models.QuerySet):
    def members(self) -> "MemberQuerySet":
        """Who is a member is the ``status`` field, not the fees."""
        return self.filter(status=Member.Status.MEMBER, is_active=True)

    def with_membership_end(self) -> "MemberQuerySet":
        return self.annotate(membership_end=models.Max("membership_fees__end_date"))


class MemberManager(UserManager["Member"]):
    """The user manager (``create_user``…) over MemberQuerySet. Written out rather than
    made by ``from_queryset()``: migrations import it by name, and mypy sees its types."""

    def get_queryset(self) -> MemberQuerySet:
        return MemberQuerySet(self.model, using=self._db)

    def members(self) -> MemberQuerySet:
        return self.get_queryset().members()

    def with_membership_end(self) -> MemberQuerySet:
        return self.get_queryset().with_membership_end()


def email_taken(email: str, member_pk: int | None = None) -> bool:
    """Whether another account than ``member_pk`` has this address, whatever its case
    (an empty address is nobody's)."""
    email = (email or "").strip()
    if not email:
        return False
    others = Member.objects.filter(email__iexact=email)
    if member_pk is not None:
        others = others.exclude(pk=member_pk)
    return others.exists()


class Member(AbstractUser):
    class Type(models.TextChoices):
        NATURAL_PERSON = "natural_person", _("natural person")
        LEGAL_ENTITY = "legal_entity", _("legal entity")

    class Status(models.TextChoices):
        MEMBER = "member", _("member")
        NOT_MEMBER = "not_member", _("not a member")
        PENDING = "pending", _("pending")

    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.NATURAL_PERSON)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    organization_name = models.CharField(_("organization name"), max_length=200, blank=True)
    siren = models.CharField(
        _("SIREN"),
        max_length=9,
        blank=True,
        validators=[validate_siren],
        help_text=_("A legal entity's SIREN (9 digits): printed on its invoices and e-invoices."),
    )
    nickname = models.CharField(_("nickname"), max_length=64, blank=True)
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=200, blank=True, default="France")
    home_phone_number = models.CharField(_("home phone number"), max_length=25, blank=True)
    mobile_phone_number = models.CharField(_("mobile phone number"), max_length=25, blank=True)
    resign_date = models.DateField(
        _("resign date"),
        null=True,
        blank=True,
        help_text=_("Date on which the member left the association."),
    )
    comments = models.TextField(_("comments"), blank=True, help_text=_("Not shown to the member."))
    send_membership_fees_email = models.BooleanField(
        _("send membership fee reminders"),
        default=True,
        help_text=_("Untick for members who must not get fee reminders (honorary members…)."),
    )

    email_confirmed_at = models.DateTimeField(
        _("email confirmed at"), null=True, blank=True, help_text=_("When a sign-up's address was confirmed.")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Language of the emails and documents Coin sends the member; empty: the site's default."),
    )

    objects: ClassVar[MemberManager] = MemberManager()

    @property
    def preferred_language(self) -> str:
        """The language to write to the member in: their choice, else the site's default."""
        return self.language or settings.LANGUAGE_CODE

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["username"]
        constraints = [
            # Password resets go by address: one account per address, whatever its
            # case. Accounts may have none (staff accounts made by createsuperuser).
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="member_email_unique_ci",
                violation_error_message=_("Another account already uses this address."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name()} ({self.username})" if self.username else self.display_name()

    def display_name(self) -> str:
        if self.type == self.Type.LEGAL_ENTITY and self.organization_name:
            return self.organization_name
        full_name = self.get_full_name()
        return full_name or self.nickname or self.username

    def get_absolute_url(self) -> str:
        return reverse("members:detail")

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.type == self.Type.LEGAL_ENTITY:
            if not self.organization_name.strip():
                errors["organization_name"] = _("A legal entity needs an organization name.")
        elif not self.is_staff:
            # Staff accounts (admins who are not members) may go without a name.
            if not self.first_name.strip():
                errors["first_name"] = _("A natural person needs a first name.")
            if not self.last_name.strip():
                errors["last_name"] = _("A natural person needs a last name.")
        if email_taken(self.email, self.pk):
            errors["email"] = _("Another account already uses this address.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        if not self.username:
            from coin.members.usernames import generate_username

            self.username = generate_username(self)
        super().save(*args, **kwargs)

    def set_password(self, raw_password: str | None) -> None:
        """Django's, then the ``password_set`` signal (coin.members.signals), so
        apps built on members (LDAP) derive their own hash while the clear password
        is at hand; it is never stored."""
        super().set_password(raw_password)
        from coin.members.signals import password_set

        password_set.send(sender=type(self), member=self, raw_password=raw_password)

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        from coin.members.signals import password_set

        password_set.send(sender=type(self), member=self, raw_password=None)

    def membership_end_date(self) -> datetime.date | None:
        """Last day covered by a membership fee, or None if no fee was ever paid."""
        return self.membership_fees.aggregate(end=models.Max("end_date"))["end"]

    def is_up_to_date(self, on: datetime.date | None = None) -> bool:
        """True when a recorded fee covers the given day (today by default)."""
        on = on or timezone.localdate()
        return self.membership_fees.filter(start_date__lte=on, end_date__gte=on).exists()


def default_fee_amount() -> Decimal:
    return Decimal(str(settings.MEMBER_DEFAULT_COTISATION))


def one_year_after(start: datetime.date) -> datetime.date:
    """Date-to-date: a fee from 2026-03-15 covers up to 2027-03-14 inclusive."""
    return add_months(start, 12) - datetime.timedelta(days=1)


class MembershipFee(models.Model):
    class PaymentMethod(models.TextChoices):
        CASH = "cash", _("cash")
        CHEQUE = "cheque", _("cheque")
        TRANSFER = "transfer", _("transfer")
        DIRECT_DEBIT = "direct_debit", _("direct debit")
        OTHER = "other", _("other")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="membership_fees", verbose_name=_("member")
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=8,
        decimal_places=2,
        default=default_fee_amount,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    start_date = models.DateField(_("start date"), default=timezone.localdate)
    end_date = models.DateField(
        _("end date"),
        blank=True,
        help_text=_("Last day covered. Leave empty for one year after the start date."),
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=20,
        choices=PaymentMethod.choices,
        default=PaymentMethod.TRANSFER,
    )
    reference = models.CharField(
        _("reference"),
        max_length=125,
        blank=True,
        help_text=_("Cheque number, transfer label…"),
    )
    payment_date = models.DateField(_("payment date"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership fee")
        verbose_name_plural = _("membership fees")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="membership_fee_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="membership_fee_amount_not_negative"
            ),
            # What max_digits=8 holds: SQLite stores any number (PostgreSQL's numeric refuses).
            models.CheckConstraint(
                condition=models.Q(amount__lte=Decimal("999999.99")),
                name="membership_fee_amount_within_column",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.start_date} → {self.end_date}"

    def save(self, *args, **kwargs) -> None:
        if not self.end_date and self.start_date:
            self.end_date = one_year_after(self.start_date)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date is before the start date.")})


class MembershipFeeReminder(models.Model):
    """A fee reminder that was sent: the unique constraint is what guarantees that
    a reminder never goes out twice, even when two runs of the command overlap."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="fee_reminders", verbose_name=_("member")
    )
    membership_end_date = models.DateField(_("membership end date"))
    offset_months = models.SmallIntegerField(_("offset (months)"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership fee reminder")
        verbose_name_plural = _("membership fee reminders")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "membership_end_date", "offset_months"],
                name="one_fee_reminder_per_offset",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.offset_months:+d} months from {self.membership_end_date}"
