"""The ISP's hardware: types, storage sites, items, and their loans to members.

The rules that keep them coherent live here (``clean()`` and the database
constraints); the actions on loans (borrow, approve, return, hand over) are in
``hardware_provisioning.loans``.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coin.validation import FieldErrors
from hardware_provisioning.mac import normalise_mac


class ItemType(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("item type")
        verbose_name_plural = _("item types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Storage(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    truncated_address = models.CharField(
        _("short address"),
        max_length=200,
        blank=True,
        help_text=_("Enough to find the place, e.g. street and town."),
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("Access, keys, opening hours…"))

    class Meta:
        verbose_name = _("storage site")
        verbose_name_plural = _("storage sites")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MACAddressField(models.CharField):
    """A 48-bit MAC address, stored as ``aa:bb:cc:dd:ee:ff`` (or empty)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 17)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return normalise_mac(super().to_python(value))


class ItemState(models.TextChoices):
    IN_STORAGE = "in_storage", _("in storage")
    REQUESTED = "requested", _("requested by a member")
    LENT = "lent", _("lent")
    DEPLOYED = "deployed", _("deployed")


class ItemQuerySet(models.QuerySet):
    def with_loan_state(self) -> "ItemQuerySet":
        """Annotate ``is_lent`` and ``is_requested`` (one subquery each, no N+1)."""
        loans = Loan.objects.filter(item=OuterRef("pk"))
        return self.annotate(
            is_lent=Exists(loans.filter(state=Loan.State.RUNNING)),
            is_requested=Exists(loans.filter(state=Loan.State.REQUESTED)),
        )

    def in_state(self, state: str) -> "ItemQuerySet":
        open_loans = Loan.objects.open().filter(item=OuterRef("pk"))
        if state == ItemState.DEPLOYED:
            return self.filter(deployed=True)
        if state == ItemState.LENT:
            return self.filter(Exists(open_loans.filter(state=Loan.State.RUNNING)))
        if state == ItemState.REQUESTED:
            return self.filter(Exists(open_loans.filter(state=Loan.State.REQUESTED)))
        return self.available()

    def available(self) -> "ItemQuerySet":
        """Items that can be lent: not deployed and on no open loan (nor request)."""
        return self.filter(deployed=False).exclude(Exists(Loan.objects.open().filter(item=OuterRef("pk"))))


class Item(models.Model):
    type = models.ForeignKey(ItemType, on_delete=models.PROTECT, related_name="items", verbose_name=_("type"))
    designation = models.CharField(_("designation"), max_length=100)
    storage = models.ForeignKey(
        Storage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("storage site"),
        help_text=_("Where the item is kept when it is not lent. Empty while lent, or if unknown."),
    )
    mac_address = MACAddressField(
        _("MAC address"), blank=True, help_text=_("Any usual form; stored as aa:bb:cc:dd:ee:ff.")
    )
    serial = models.CharField(_("serial number"), max_length=100, blank=True)
    buy_date = models.DateField(_("buy date"), null=True, blank=True)
    warranty_end = models.DateField(_("end of warranty"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_hardware",
        verbose_name=_("owner"),
        help_text=_("Empty when the ISP owns it; the member otherwise."),
    )
    deployed = models.BooleanField(
        _("deployed"),
        default=False,
        help_text=_("Installed in the ISP's network: neither in storage nor lendable."),
    )
    comment = models.TextField(_("comment"), blank=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["type__name", "designation", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["mac_address"],
                condition=~Q(mac_address=""),
                name="hardware_item_unique_mac",
                violation_error_message=_("Another item has this MAC address."),
            ),
            models.CheckConstraint(
                condition=Q(buy_date__isnull=True)
                | Q(warranty_end__isnull=True)
                | Q(warranty_end__gte=models.F("buy_date")),
                name="hardware_item_warranty_after_buy",
                violation_error_message=_("The warranty cannot end before the buy date."),
            ),
        ]

    def __str__(self) -> str:
        label = f"{self.type} — {self.designation}" if self.type_id else self.designation
        return f"{label} ({self.mac_address or self.serial or f'#{self.pk}'})"

    @property
    def state(self) -> str:
        """``ItemState``: deployed, lent, requested or in storage. Uses the annotations
        of ``with_loan_state()`` when present."""
        if self.deployed:
            return ItemState.DEPLOYED
        lent = getattr(self, "is_lent", None)
        requested = getattr(self, "is_requested", None)
        if lent is None or requested is None:
            states = set(self.loans.open().values_list("state", flat=True)) if self.pk else set()
            lent, requested = Loan.State.RUNNING in states, Loan.State.REQUESTED in states
        if lent:
            return ItemState.LENT
        if requested:
            return ItemState.REQUESTED
        return ItemState.IN_STORAGE

    def get_state_display(self) -> str:
        return str(ItemState(self.state).label)

    def clean(self) -> None:
        errors = FieldErrors()
        if self.buy_date and self.warranty_end and self.warranty_end < self.buy_date:
            errors.add("warranty_end", _("The warranty cannot end before the buy date."))
        if (
            self.mac_address
            and Item.objects.filter(mac_address=self.mac_address).exclude(pk=self.pk).exists()
        ):
            errors.add("mac_address", _("Another item has this MAC address."))
        if self.deployed and self.pk and self.loans.open().exists():
            errors.add(
                "deployed",
                _("This item is on an open loan or request: end it before marking the item deployed."),
            )
        errors.raise_if_any()


class LoanQuerySet(models.QuerySet):
    def open(self) -> "LoanQuerySet":
        """Requests waiting for an admin and running loans: the item is taken."""
        return self.filter(state__in=Loan.OPEN_STATES)

    def closed(self) -> "LoanQuerySet":
        return self.exclude(state__in=Loan.OPEN_STATES)


class Loan(models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        RUNNING = "running", _("running")
        ENDED = "ended", _("ended")
        REFUSED = "refused", _("refused")
        CANCELLED = "cancelled", _("cancelled")

    OPEN_STATES = (State.REQUESTED, State.RUNNING)

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="loans", verbose_name=_("item"))
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="hardware_loans",
        verbose_name=_("member"),
    )
    subscription = models.ForeignKey(
        "offers.OfferSubscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hardware_loans",
        verbose_name=_("subscription"),
        help_text=_("The line this item serves (e.g. its router), if any."),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RUNNING)
    start = models.DateField(_("start"), default=datetime.date.today)
    end = models.DateField(_("end"), null=True, blank=True, help_text=_("Empty while the loan runs."))
    location = models.CharField(
        _("location"), max_length=200, blank=True, help_text=_("Where the item is used (address, site…).")
    )
    notes = models.TextField(_("notes"), blank=True)
    handover_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hardware_handovers_offered",
        verbose_name=_("handed over to"),
        help_text=_("The member who was offered this loan and has not confirmed yet."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = LoanQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-start", "-pk"]
        constraints = [
            # The rule that no form can break: at most one request or running loan per item.
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(state__in=["requested", "running"]),
                name="hardware_one_open_loan_per_item",
                violation_error_message=_("This item is already lent or requested."),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="hardware_loan_dates_in_order",
                violation_error_message=_("A loan cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=["requested", "running"], end__isnull=True)
                | (~Q(state__in=["requested", "running"]) & Q(end__isnull=False)),
                name="hardware_loan_end_iff_closed",
                violation_error_message=_("An open loan has no end date; a closed one has one."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} → {self.member}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def clean(self) -> None:
        """Dates in order, end date set exactly when the loan is closed (an end date
        given to a running loan ends it), one open loan per item, a lendable item, a
        subscription of the same member."""
        errors = FieldErrors()
        if self.end is not None and self.start is not None and self.end < self.start:
            errors.add("end", _("A loan cannot end before it starts."))
        if self.end is not None and self.state == self.State.RUNNING:
            self.state = self.State.ENDED
        elif self.end is not None and self.state == self.State.REQUESTED:
            self.state = self.State.CANCELLED
        elif self.end is None and not self.is_open:
            errors.add("end", _("A closed loan needs its end date."))
        if self.item_id is not None and self.is_open:
            others = Loan.objects.open().filter(item_id=self.item_id).exclude(pk=self.pk)
            if others.exists():
                errors.add("item", _("This item is already lent or requested."))
            elif self.item.deployed:
                errors.add("item", _("This item is deployed in the network: it cannot be lent."))
        if self.subscription is not None and self.member_id is not None:
            if self.subscription.member_id != self.member_id:
                errors.add("subscription", _("This subscription belongs to another member."))
        if self.handover_to_id is not None and self.handover_to_id == self.member_id:
            errors.add("handover_to", _("A loan cannot be handed over to its own holder."))
        errors.raise_if_any()
