"""BNGs, per-offer RADIUS groups, RADIUS accounts, and FreeRADIUS's own SQL tables.

The FreeRADIUS tables (``radcheck``… ``nas``) have exactly the columns of Debian's
freeradius schema (mods-config/sql/main/{postgresql,sqlite}/schema.sql): FreeRADIUS
reads them, Coin writes them (through coa.provisioning) and reads radacct.
"""

import re
from collections.abc import Collection
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coin.configuration.models import Configuration

SECRET_MASK = "********"


class BNG(models.Model):
    """A broadband network gateway: a RADIUS client of FreeRADIUS, and the CoA peer."""

    class Vendor(models.TextChoices):
        GENERIC = "generic", _("Generic (RFC 5176)")
        CISCO = "cisco", _("Cisco IOS-XR / ASR9k")
        JUNIPER = "juniper", _("Juniper MX")
        MIKROTIK = "mikrotik", _("MikroTik")

    name = models.CharField(_("name"), max_length=64, unique=True)
    address = models.GenericIPAddressField(_("address"), help_text=_("IPv4 or IPv6 address of the BNG."))
    nas_ip_address = models.GenericIPAddressField(
        _("NAS-IP-Address"),
        blank=True,
        null=True,
        help_text=_("As it appears in accounting (default: the address)."),
    )
    nas_identifier = models.CharField(_("NAS-Identifier"), max_length=253, blank=True)
    coa_port = models.PositiveIntegerField(
        _("CoA port"), default=3799, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    secret = models.CharField(_("shared secret"), max_length=128)
    vendor = models.CharField(
        _("vendor profile"), max_length=16, choices=Vendor.choices, default=Vendor.GENERIC
    )
    timeout = models.PositiveSmallIntegerField(
        _("timeout (seconds)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    retries = models.PositiveSmallIntegerField(_("retries"), default=2, validators=[MaxValueValidator(10)])

    class Meta:
        verbose_name = _("BNG")
        verbose_name_plural = _("BNGs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never the secret
        return f"<BNG {self.name} {self.address}>"

    def save(self, *args, **kwargs) -> None:
        from coa.radius import sync_nas

        previous = (
            type(self).objects.filter(pk=self.pk).values_list("name", flat=True).first() if self.pk else None
        )
        with transaction.atomic():
            super().save(*args, **kwargs)
            sync_nas(self, previous_name=previous)

    def delete(self, *args, **kwargs):
        from coa.radius import delete_nas

        delete_nas(self.name)
        return super().delete(*args, **kwargs)

    @property
    def masked_secret(self) -> str:
        return SECRET_MASK if self.secret else ""

    @property
    def accounting_address(self) -> str:
        return self.nas_ip_address or self.address


group_name_validator = RegexValidator(r"^[A-Za-z0-9_.-]+$", _("Letters, digits, '.', '-' and '_' only."))


class RadiusGroup(models.Model):
    """A RADIUS group (service profile) with its reply and check attributes. Linked to
    an offer: its subscribers are in the group; without an offer: e.g. the suspended
    group (setting RADIUS_SUSPENDED_GROUP)."""

    name = models.CharField(_("group name"), max_length=64, unique=True, validators=[group_name_validator])
    offer = models.OneToOneField(
        "offers.Offer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="radius_group",
        verbose_name=_("offer"),
    )

    class Meta:
        verbose_name = _("RADIUS group")
        verbose_name_plural = _("RADIUS groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


attribute_validator = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9:._-]*$", _("Enter a RADIUS attribute name."))


class RadiusGroupAttribute(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("reply")
        CHECK = "check", _("check")

    class Op(models.TextChoices):
        SET = ":=", ":="
        EQ = "=", "="
        ADD = "+=", "+="
        CMP = "==", "=="

    group = models.ForeignKey(RadiusGroup, on_delete=models.CASCADE, related_name="attributes")
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.REPLY)
    attribute = models.CharField(_("attribute"), max_length=64, validators=[attribute_validator])
    op = models.CharField(_("operator"), max_length=2, choices=Op.choices, default=Op.SET)
    value = models.CharField(_("value"), max_length=253)

    class Meta:
        verbose_name = _("RADIUS attribute")
        verbose_name_plural = _("RADIUS attributes (e.g. a rate limit)")
        ordering = ["group", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.attribute} {self.op} {self.value}"


login_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9._@-]*$", _("Lower-case letters, digits, '.', '-', '_' and '@' only.")
)


def default_login(configuration: "RadiusAccount") -> str:
    """The login given to an account created without one: member's username and the
    subscription's id, e.g. ``jdoe-42`` (letters outside the login alphabet dropped)."""
    subscription = configuration.offersubscription
    base = re.sub(r"[^a-z0-9._-]", "", subscription.member.username.lower()) or "sub"
    return f"{base}-{subscription.pk}"


class RadiusAccount(Configuration):
    """A PPPoE/IPoE subscriber that a BNG authenticates through FreeRADIUS."""

    url_namespace = "radius"
    provisioners = ["coa.provisioning.RadiusProvisioner"]

    login = models.CharField(
        _("login"),
        max_length=64,
        unique=True,
        blank=True,
        validators=[login_validator],
        help_text=_("Generated when left empty."),
    )
    password_hash = models.CharField(_("password (SSHA-512)"), max_length=200, blank=True, editable=False)
    cleartext_password = models.CharField(max_length=128, blank=True, editable=False)
    bng = models.ForeignKey(BNG, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("BNG"))

    class Meta:
        verbose_name = _("RADIUS account (BNG)")
        verbose_name_plural = _("RADIUS accounts (BNG)")

    def __str__(self) -> str:
        return f"RADIUS {self.login or '?'} — {self.offersubscription.reference}"

    _stored_login: str | None = None  # the login of the RADIUS rows, when loaded from the database

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> "RadiusAccount":
        """The loaded row, remembering its login: a rename must move the RADIUS rows
        (``**kwargs``: what later Django versions pass, such as ``fetch_mode``)."""
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._stored_login = instance.__dict__.get("login")
        return instance

    def set_password(self, raw: str) -> None:
        """Store the salted hash (and the clear text only when RADIUS_STORE_CLEARTEXT)."""
        from coa.conf import setting
        from coa.passwords import ssha512

        self.password_hash = ssha512(raw)
        self.cleartext_password = raw if setting("RADIUS_STORE_CLEARTEXT") else ""

    def save(self, *args, **kwargs) -> None:
        if not self.login:
            self.login = default_login(self)
        super().save(*args, **kwargs)
        self._stored_login = self.login

    def provision(self, action: str = "update") -> None:
        """The RADIUS rows, then what the open session must be told (coa.session_changes)."""
        from coa.session_changes import pushed_group, schedule_session_change

        previous_group = pushed_group(self)
        super().provision(action)
        schedule_session_change(self, action, previous_group)

    def subnet_event(self) -> None:
        """The session is disconnected so that it comes back with its new addresses."""
        from coa.session_changes import schedule_session_change

        schedule_session_change(self, "disconnect")


# FreeRADIUS's tables, as Debian's schema.sql creates them.


class RadCheck(models.Model):
    id = models.AutoField(primary_key=True)
    username = models.TextField(default="")
    attribute = models.TextField(default="")
    op = models.CharField(max_length=2, default="==")
    value = models.TextField(default="")

    class Meta:
        db_table = "radcheck"
        indexes = [models.Index(fields=["username", "attribute"], name="radcheck_UserName")]

    def __str__(self) -> str:
        return f"{self.username} {self.attribute} {self.op} {self.value}"


class RadReply(models.Model):
    id = models.AutoField(primary_key=True)
    username = models.TextField(default="")
    attribute = models.TextField(default="")
    op = models.CharField(max_length=2, default="=")
    value = models.TextField(default="")

    class Meta:
        db_table = "radreply"
        indexes = [models.Index(fields=["username", "attribute"], name="radreply_UserName")]

    def __str__(self) -> str:
        return f"{self.username} {self.attribute} {self.op} {self.value}"


class RadGroupCheck(models.Model):
    id = models.AutoField(primary_key=True)
    groupname = models.TextField(default="")
    attribute = models.TextField(default="")
    op = models.CharField(max_length=2, default="==")
    value = models.TextField(default="")

    class Meta:
        db_table = "radgroupcheck"
        indexes = [models.Index(fields=["groupname", "attribute"], name="radgroupcheck_GroupName")]

    def __str__(self) -> str:
        return f"{self.groupname} {self.attribute} {self.op} {self.value}"


class RadGroupReply(models.Model):
    id = models.AutoField(primary_key=True)
    groupname = models.TextField(default="")
    attribute = models.TextField(default="")
    op = models.CharField(max_length=2, default="=")
    value = models.TextField(default="")

    class Meta:
        db_table = "radgroupreply"
        indexes = [models.Index(fields=["groupname", "attribute"], name="radgroupreply_GroupName")]

    def __str__(self) -> str:
        return f"{self.groupname} {self.attribute} {self.op} {self.value}"


class RadUserGroup(models.Model):
    id = models.AutoField(primary_key=True)
    username = models.TextField(default="")
    groupname = models.TextField(default="")
    priority = models.IntegerField(default=0)

    class Meta:
        db_table = "radusergroup"
        indexes = [models.Index(fields=["username"], name="radusergroup_UserName")]

    def __str__(self) -> str:
        return f"{self.username} in {self.groupname}"


class RadAcct(models.Model):
    radacctid = models.BigAutoField(primary_key=True)
    acctsessionid = models.TextField()
    acctuniqueid = models.TextField(unique=True)
    username = models.TextField(null=True)
    realm = models.TextField(null=True)
    nasipaddress = models.GenericIPAddressField()
    nasportid = models.TextField(null=True)
    nasporttype = models.TextField(null=True)
    acctstarttime = models.DateTimeField(null=True)
    acctupdatetime = models.DateTimeField(null=True)
    acctstoptime = models.DateTimeField(null=True)
    acctinterval = models.BigIntegerField(null=True)
    acctsessiontime = models.BigIntegerField(null=True)
    acctauthentic = models.TextField(null=True)
    connectinfo_start = models.TextField(null=True)
    connectinfo_stop = models.TextField(null=True)
    acctinputoctets = models.BigIntegerField(null=True)
    acctoutputoctets = models.BigIntegerField(null=True)
    calledstationid = models.TextField(null=True)
    callingstationid = models.TextField(null=True)
    acctterminatecause = models.TextField(null=True)
    servicetype = models.TextField(null=True)
    framedprotocol = models.TextField(null=True)
    framedipaddress = models.GenericIPAddressField(null=True)
    framedipv6address = models.GenericIPAddressField(null=True)
    framedipv6prefix = models.GenericIPAddressField(null=True)
    framedinterfaceid = models.TextField(null=True)
    delegatedipv6prefix = models.GenericIPAddressField(null=True)
    class_field = models.TextField(null=True, db_column="class")

    class Meta:
        db_table = "radacct"
        verbose_name = _("RADIUS session")
        verbose_name_plural = _("RADIUS sessions")
        indexes = [
            # Debian's schema.sql (the last two are partial: open sessions only).
            models.Index(fields=["acctstarttime", "username"], name="radacct_start_user_idx"),
            models.Index(fields=["class_field"], name="radacct_calss_idx"),
            models.Index(
                fields=["acctuniqueid"],
                name="radacct_active_session_idx",
                condition=Q(acctstoptime__isnull=True),
            ),
            models.Index(
                fields=["nasipaddress", "acctstarttime"],
                name="radacct_bulk_close",
                condition=Q(acctstoptime__isnull=True),
            ),
            # Coin's: a subscriber's sessions, its open one, the rollup's "changed since", stale sessions.
            models.Index(fields=["username", "acctstarttime"], name="radacct_user_start_idx"),
            models.Index(
                fields=["username"], name="radacct_open_user_idx", condition=Q(acctstoptime__isnull=True)
            ),
            models.Index(fields=["acctupdatetime"], name="radacct_update_idx"),
            models.Index(
                fields=["acctupdatetime"],
                name="radacct_open_update_idx",
                condition=Q(acctstoptime__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.acctstarttime}"


class RadPostAuth(models.Model):
    id = models.BigAutoField(primary_key=True)
    username = models.TextField()
    password = models.TextField(null=True, db_column="pass")
    reply = models.TextField(null=True)
    calledstationid = models.TextField(null=True)
    callingstationid = models.TextField(null=True)
    authdate = models.DateTimeField(auto_now_add=True)
    class_field = models.TextField(null=True, db_column="class")

    class Meta:
        db_table = "radpostauth"
        indexes = [
            models.Index(fields=["username"], name="radpostauth_username_idx"),
            models.Index(fields=["class_field"], name="radpostauth_class_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.authdate}"


class Nas(models.Model):
    id = models.AutoField(primary_key=True)
    nasname = models.TextField()
    shortname = models.TextField()
    type = models.TextField(default="other")
    ports = models.IntegerField(null=True)
    secret = models.TextField()
    server = models.TextField(null=True)
    community = models.TextField(null=True)
    description = models.TextField(null=True)

    class Meta:
        db_table = "nas"
        indexes = [models.Index(fields=["nasname"], name="nas_nasname")]

    def __str__(self) -> str:
        return self.shortname


# CoA and Disconnect requests sent to BNGs (RFC 5176).


class CoARequest(models.Model):
    """One CoA-Request or Disconnect-Request Coin sent to a BNG, and its answer."""

    class Code(models.IntegerChoices):
        DISCONNECT = 40, "Disconnect-Request"
        COA = 43, "CoA-Request"

    class Answer(models.IntegerChoices):
        DISCONNECT_ACK = 41, "Disconnect-ACK"
        DISCONNECT_NAK = 42, "Disconnect-NAK"
        COA_ACK = 44, "CoA-ACK"
        COA_NAK = 45, "CoA-NAK"

    class Outcome(models.TextChoices):
        ACK = "ack", _("acknowledged")
        NAK = "nak", _("refused (NAK)")
        GONE = "gone", _("no such session (done)")
        TIMEOUT = "timeout", _("no answer")
        ERROR = "error", _("not sent (error)")

    class Origin(models.TextChoices):
        ADMIN = "admin", _("admin")
        API = "api", _("API")
        PROVISIONING = "provisioning", _("provisioning")
        COMMAND = "command", _("command")

    created_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    bng = models.ForeignKey(
        BNG,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coa_requests",
        verbose_name=_("BNG"),
    )
    bng_name = models.CharField(_("BNG name"), max_length=64, blank=True)
    code = models.PositiveSmallIntegerField(_("request"), choices=Code.choices)
    operation = models.CharField(_("operation"), max_length=64, blank=True)
    origin = models.CharField(_("asked from"), max_length=16, choices=Origin.choices, default=Origin.ADMIN)
    requested_by = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked by"),
    )
    account = models.ForeignKey(
        RadiusAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coa_requests",
        verbose_name=_("RADIUS account"),
    )
    username = models.CharField(_("User-Name"), max_length=253, blank=True, db_index=True)
    acct_session_id = models.CharField(_("Acct-Session-Id"), max_length=253, blank=True)
    attributes = models.JSONField(_("attributes sent"), default=list)
    answer = models.PositiveSmallIntegerField(_("answer"), choices=Answer.choices, null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    error_cause = models.PositiveIntegerField(_("Error-Cause"), null=True, blank=True)
    reply_attributes = models.JSONField(_("attributes received"), default=list)
    latency_ms = models.FloatField(_("latency (ms)"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("sends"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("CoA request")
        verbose_name_plural = _("CoA requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_code_display()} {self.username or '?'} → {self.bng_name}: {self.outcome}"

    @property
    def done(self) -> bool:
        """Acknowledged, or a Disconnect for a session the BNG no longer has."""
        return self.outcome in (self.Outcome.ACK, self.Outcome.GONE)


# Coin's rollups of radacct (coa/accounting.py), next to radacct in RADIUS_DATABASE.


class RadiusTrafficDay(models.Model):
    """Octets of one login on one day (local time), summed from radacct's counters."""

    username = models.TextField(_("login"))
    day = models.DateField(_("day"))
    input_octets = models.BigIntegerField(_("octets from the subscriber"), default=0)
    output_octets = models.BigIntegerField(_("octets to the subscriber"), default=0)

    class Meta:
        verbose_name = _("RADIUS traffic of a day")
        verbose_name_plural = _("RADIUS traffic per day")
        constraints = [
            models.UniqueConstraint(fields=["username", "day"], name="radius_traffic_one_row_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.day}"


class RadiusSessionMark(models.Model):
    """How much of a radacct row's counters the rollup has already counted."""

    radacctid = models.BigIntegerField(primary_key=True)
    input_octets = models.BigIntegerField(default=0)
    output_octets = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.radacctid)


class RadiusRollupState(models.Model):
    """Where the last rollup stopped (the latest acctupdatetime it read)."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


#: FreeRADIUS's own tables.
FREERADIUS_MODELS = (
    RadCheck,
    RadReply,
    RadGroupCheck,
    RadGroupReply,
    RadUserGroup,
    RadAcct,
    RadPostAuth,
    Nas,
)
#: Every model that lives in the RADIUS_DATABASE alias (coa.routers.RadiusRouter).
RADIUS_DATABASE_MODELS = (*FREERADIUS_MODELS, RadiusTrafficDay, RadiusSessionMark, RadiusRollupState)
