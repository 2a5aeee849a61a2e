"""Offers and the subscriptions of members to them."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coin.dates import add_months
from coin.offers.configuration_types import configuration_type_choices, is_configuration_type


class MoneyField(TypedDict):
    """The keyword arguments of every amount column of an offer."""

    max_digits: int
    decimal_places: int
    validators: list[Callable[[Any], None]]


MONEY: MoneyField = {"max_digits": 10, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}

# An offer bills every 1 to 120 months (ten years): a longer period is a typing error,
# and one whose blocks end past year 9999 cannot be billed at all.
MIN_BILLING_PERIOD = 1
MAX_BILLING_PERIOD = 120


class Offer(models.Model):
    name = models.CharField(_("name"), max_length=255)
    reference = models.CharField(
        _("reference"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("Letters, digits, - and _ only."))],
        help_text=_("Short code used in subscription references, e.g. VPN."),
    )
    configuration_type = models.CharField(
        _("configuration type"),
        max_length=100,
        blank=True,
        help_text=_("Which configuration app serves this offer (empty: none)."),
    )
    billing_period = models.PositiveSmallIntegerField(
        _("billing period (months)"),
        default=1,
        validators=[MinValueValidator(MIN_BILLING_PERIOD), MaxValueValidator(MAX_BILLING_PERIOD)],
        help_text=_("From 1 to 120 months."),
    )
    period_fees = models.DecimalField(_("fees per period"), default=Decimal("0"), **MONEY)
    initial_fees = models.DecimalField(_("initial fees"), default=Decimal("0"), **MONEY)
    non_billable = models.BooleanField(
        _("not billed"), default=False, help_text=_("Never invoiced (e.g. free or billed elsewhere).")
    )
    description = models.TextField(_("description"), blank=True)
    requestable = models.BooleanField(
        _("members can request it"), default=False, help_text=_("Shown in the portal's request form.")
    )

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    billing_period__gte=MIN_BILLING_PERIOD, billing_period__lte=MAX_BILLING_PERIOD
                ),
                name="offer_billing_period_1_to_120",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.reference})"

    def clean(self) -> None:
        if self.configuration_type and not is_configuration_type(self.configuration_type):
            raise ValidationError(
                {
                    "configuration_type": _("No installed configuration app is called %(type)s.")
                    % {"type": self.configuration_type}
                }
            )

    def get_configuration_type_display(self) -> str:
        return dict(configuration_type_choices()).get(self.configuration_type, self.configuration_type or "—")


class OfferSubscriptionQuerySet(models.QuerySet):
    def running(self, on: datetime.date | None = None) -> "OfferSubscriptionQuerySet":
        """Subscriptions running on a day: started on or before it, and not resigned,
        or resigned after it (the resign date is the first day not running)."""
        on = on or timezone.localdate()
        return self.filter(subscription_date__lte=on).filter(
            models.Q(resign_date__isnull=True) | models.Q(resign_date__gt=on)
        )


class OfferSubscription(models.Model):
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        verbose_name=_("member"),
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("offer")
    )
    subscription_date = models.DateField(_("subscription date"), default=timezone.localdate)
    resign_date = models.DateField(
        _("resign date"),
        null=True,
        blank=True,
        help_text=_("First day on which the subscription is no longer running."),
    )
    commitment = models.PositiveSmallIntegerField(_("commitment (months)"), default=0)
    comments = models.TextField(_("comments"), blank=True)

    objects = OfferSubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-subscription_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resign_date__isnull=True)
                | models.Q(resign_date__gte=models.F("subscription_date")),
                name="subscription_resigns_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.member}"

    @property
    def reference(self) -> str:
        """Built from SUBSCRIPTION_REFERENCE, e.g. REF-VPN-42."""
        return settings.SUBSCRIPTION_REFERENCE.format(subscription=self)

    @property
    def real_configuration(self):
        """The configuration as its app's class (``self.configuration`` may be the
        base class when loaded through the relation), or None."""
        configuration = getattr(self, "configuration", None)
        return configuration.get_real_instance() if configuration is not None else None

    @property
    def commitment_end(self) -> datetime.date | None:
        if not self.commitment:
            return None
        return add_months(self.subscription_date, self.commitment) - datetime.timedelta(days=1)

    def is_running(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.subscription_date <= on and (self.resign_date is None or self.resign_date > on)

    def clean(self) -> None:
        if self.resign_date and self.subscription_date and self.resign_date < self.subscription_date:
            raise ValidationError({"resign_date": _("The resign date is before the subscription date.")})
        if self.pk and self.offer_id:
            previous = OfferSubscription.objects.select_related("offer").get(pk=self.pk)
            if previous.offer.configuration_type != self.offer.configuration_type:
                raise ValidationError(
                    {
                        "offer": _(
                            "The new offer needs another kind of configuration: "
                            "resign this subscription and create a new one."
                        )
                    }
                )


class SubscriptionRequest(models.Model):
    """A member asks for an offer from the portal; an admin accepts or refuses it."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")
        CANCELLED = "cancelled", _("cancelled by the member")

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscription_requests",
        verbose_name=_("member"),
    )
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, verbose_name=_("offer"))
    comment = models.TextField(_("comment"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    answer = models.TextField(_("answer to the member"), blank=True)
    subscription = models.OneToOneField(
        OfferSubscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="request",
        verbose_name=_("subscription"),
    )

    class Meta:
        verbose_name = _("subscription request")
        verbose_name_plural = _("subscription requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member} → {self.offer}"
