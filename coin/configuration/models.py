"""The base model of every configuration app (see EXTENDING.md for the contract)."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from polymorphic.models import PolymorphicModel

from coin.offers.models import OfferSubscription
from coin.provisioning.jobs import schedule

if TYPE_CHECKING:
    from coin.members.models import Member


class Configuration(PolymorphicModel):
    """Technical side of one subscription: a configuration app subclasses it.

    Subclasses may set:
    - ``Meta.verbose_name``: the name of the backend in the UI;
    - ``url_namespace``: namespace of the app's views (default: lower-cased class name);
    - ``provisioners``: dotted paths of coin.provisioning.Provisioner classes that push
      the configuration to the network;
    and override ``subnet_event()``.
    """

    offersubscription = models.OneToOneField(
        "offers.OfferSubscription",
        on_delete=models.CASCADE,
        related_name="configuration",
        verbose_name=_("subscription"),
    )
    comment = models.CharField(_("comment"), max_length=512, blank=True)

    provisioners: list[str] = []

    class Meta:
        verbose_name = _("configuration")
        verbose_name_plural = _("configurations")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} — {self.offersubscription}"

    @classproperty
    def url_namespace(cls: type["Configuration"]) -> str:  # noqa: N805 (a class property)
        return cls.__name__.lower()

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.provision()

    # Deleting records the "delete" job through the pre_delete signal
    # (coin.configuration.receivers), not here: a subscription's deletion cascades
    # to its configuration, and ``QuerySet.delete()`` never calls this method.

    def member_page_url(self) -> str | None:
        """The member's page of this configuration, or None when the app has no views."""
        try:
            return reverse(f"{self.url_namespace}:details", kwargs={"pk": self.pk})
        except NoReverseMatch:
            return None

    @property
    def get_absolute_url(self) -> Callable[[], str]:
        """Django's ``get_absolute_url()``, present only when there is a member page.

        Django (the admin's "View on site" links, ``/admin/r/``) asks ``hasattr(obj,
        "get_absolute_url")`` and expects a string from it. A configuration app without
        views has no member page: the attribute is then missing, so that the admin shows
        no link and ``/admin/r/`` answers 404 instead of crashing on None.
        """
        url = self.member_page_url()
        if url is None:
            raise AttributeError(
                f"{type(self).__name__} has no member page (no '{self.url_namespace}:details' URL)"
            )
        return lambda: url

    def subnet_event(self) -> None:
        """Called once after a transaction that changed the subnets attached to this
        configuration (added, removed or modified) commits.

        Coin has already recorded an "update" provisioning job in that transaction,
        so the new subnets reach the network without this method; override it for
        anything more (e.g. disconnecting a session so it comes back with them)."""

    def provision(self, action: str = "update") -> None:
        """Record, in the current transaction, that the network must be told."""
        schedule(self, action=action)

    def member(self) -> "Member":
        return self.offersubscription.member


def configuration_models() -> list[type[Configuration]]:
    """Every installed configuration type (concrete subclasses of Configuration)."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, Configuration) and model is not Configuration
    ]


def configuration_type_choices() -> list[tuple[str, str]]:
    return [(model._meta.label, str(model._meta.verbose_name)) for model in configuration_models()]


def configuration_model(label: str) -> type[Configuration] | None:
    for model in configuration_models():
        if model._meta.label == label:
            return model
    return None


def create_configuration(subscription: OfferSubscription) -> Configuration | None:
    """The empty configuration of the offer's type that a new subscription gets (None
    when the offer has no configuration type, or its app is not installed). Saving it
    records its first provisioning jobs."""
    model = configuration_model(subscription.offer.configuration_type)
    if model is None:
        return None
    return model.objects.create(offersubscription=subscription)
