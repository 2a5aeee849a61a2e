"""OpenVPN accounts. The network side (the LDAP entry) is written by
vpn.provisioning on Coin's queue, never from here."""

import ipaddress
from collections.abc import Collection
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from coin.configuration.models import Configuration
from vpn import accounts, passwords

ENDPOINT_FIELDS = ("ipv4_endpoint", "ipv6_endpoint")


class VPNConfiguration(Configuration):
    """An OpenVPN account: a login, a password (only its hash is kept), and the
    addresses routed through the tunnel (the configuration's subnets)."""

    login = models.CharField(
        _("login"),
        max_length=64,
        unique=True,
        blank=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9@.+_-]*$", _("Letters, digits and @ . + - _ only."))
        ],
        help_text=_("Leave empty to get <username>-vpn<number>."),
    )
    password = models.CharField(
        _("password hash"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("Salted hash checked by the LDAP server; the password itself is never stored."),
    )
    activated = models.BooleanField(
        _("activated"), default=True, help_text=_("A deactivated account cannot connect.")
    )
    ipv4_endpoint = models.GenericIPAddressField(
        _("IPv4 endpoint"),
        protocol="IPv4",
        null=True,
        blank=True,
        help_text=_(
            "Address of the member's end of the tunnel, inside their IPv4 subnets (empty: the first)."
        ),
    )
    ipv6_endpoint = models.GenericIPAddressField(
        _("IPv6 endpoint"),
        protocol="IPv6",
        null=True,
        blank=True,
        help_text=_(
            "Address of the member's end of the tunnel, inside their IPv6 subnets (empty: ::1 of the first)."
        ),
    )

    url_namespace = "vpn"
    provisioners = ["vpn.provisioning.LDAPProvisioner"]

    # Shown to the member on their service's page (coin.portal); never the password.
    member_fields = ["login", "ipv4_endpoint", "ipv6_endpoint"]

    class Meta:
        verbose_name = _("VPN account")
        verbose_name_plural = _("VPN accounts")

    def __str__(self) -> str:
        return f"VPN {self.login or '?'} — {self.offersubscription.reference}"

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> "VPNConfiguration":
        """The loaded row, remembering the values that ``save()`` compares against
        (``**kwargs``: what later Django versions pass, such as ``fetch_mode``)."""
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded = {name: getattr(instance, name, None) for name in ("login", *ENDPOINT_FIELDS)}
        return instance

    def loaded_value(self, name: str):
        """The value of ``name`` when the object was read from the database."""
        return getattr(self, "_loaded", {}).get(name)

    # --- password ---------------------------------------------------------------
    def set_password(self, raw: str) -> None:
        """Keep only the salted hash of ``raw`` (save() to store and push it)."""
        self.password = passwords.hash_password(raw)

    def generate_password(self) -> str:
        """Give the account a new random password, save it, and return it: the
        caller shows it once; it is never stored in clear."""
        raw = passwords.generate_password()
        self.set_password(raw)
        self.save(update_fields=["password"])
        return raw

    def check_password(self, raw: str) -> bool:
        return bool(self.password) and passwords.check_password(raw, self.password)

    # --- addresses --------------------------------------------------------------
    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The subnets routed to this account, in address order."""
        if self.pk is None:
            return []
        return sorted(
            (subnet.inet for subnet in self.ip_subnet.all() if subnet.network is not None),
            key=lambda network: (network.version, network),
        )

    def endpoint_errors(self, fields=ENDPOINT_FIELDS) -> dict[str, str]:
        networks = self.networks()
        errors = {}
        for field in fields:
            problem = accounts.endpoint_problem(field, getattr(self, field), networks)
            if problem:
                errors[field] = problem
        return errors

    def fill_default_endpoints(self) -> list[str]:
        """Empty endpoints, or ones that no longer lie inside the subnets, get the
        default ones. Returns the fields changed."""
        networks = self.networks()
        changed = []
        for field in ENDPOINT_FIELDS:
            wanted = accounts.effective_endpoint(field, getattr(self, field), networks)
            if getattr(self, field) != wanted:
                setattr(self, field, wanted)
                changed.append(field)
        return changed

    def clean(self) -> None:
        super().clean()
        errors = self.endpoint_errors()
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        """Generate the login when empty; refuse endpoints that were just changed to
        an address outside the subnets (unchanged stale ones are replaced by the
        defaults, see subnet_event)."""
        update_fields = kwargs.get("update_fields")
        if not self.login:
            username = self.offersubscription.member.username
            taken = VPNConfiguration.objects.filter(login__startswith=accounts.login_prefix(username))
            self.login = accounts.next_free_login(username, taken.values_list("login", flat=True))
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "login"}
        changed = [
            field
            for field in ENDPOINT_FIELDS
            if (update_fields is None or field in update_fields)
            and (self._state.adding or getattr(self, field) != self.loaded_value(field))
        ]
        errors = self.endpoint_errors(changed)
        if errors:
            raise ValidationError(errors)
        if update_fields is None:
            self.fill_default_endpoints()
        super().save(*args, **kwargs)
        self._loaded = {name: getattr(self, name) for name in ("login", *ENDPOINT_FIELDS)}

    def subnet_event(self) -> None:
        """Endpoints follow the subnets: an empty or stale one gets the default."""
        changed = self.fill_default_endpoints()
        if changed:
            self.save(update_fields=changed)

    # --- service ---------------------------------------------------------------
    def in_service(self) -> bool:
        """The subscription is running and not suspended for unpaid bills."""
        subscription = self.offersubscription
        if not subscription.is_running():
            return False
        if apps.is_installed("coin.billing"):
            from coin.billing.suspension import is_suspended

            return not is_suspended(subscription)
        return True

    @property
    def is_active(self) -> bool:
        return self.activated and self.in_service()
