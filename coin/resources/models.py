"""IP pools, the subnets allocated in them, reverse DNS and assignment history.

Rules enforced here, on every save (not only in forms):
- a pool's default subnet size lies between its own prefix and /32 or /128;
- pools never overlap; a pool cannot shrink below (or move away from) its subnets;
- a subnet lies inside its pool and never overlaps another subnet, in any pool.
A subnet without a network is not saved: ``coin.resources.allocation.allocate()``
gives it the lowest free aligned block of its pool (forms and the API call
``allocation.save_subnet()``, which allocates or saves).
On PostgreSQL, GiST exclusion constraints (migration 0002) make overlaps impossible
even for writers that race past these checks.
"""

from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import IntegrityError, connection, models, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coin.configuration.models import configuration_model
from coin.resources.fields import CIDRField, NetworkKeyField, NetworkPrefixField
from coin.resources.ip import (
    KEY_LENGTH,
    IPAddress,
    IPNetwork,
    end_key,
    max_prefixlen,
    parse_address,
    start_key,
    subnet_of,
)
from coin.resources.reverse_dns import check_ptr_address, normalise_hostname

if TYPE_CHECKING:
    from coin.resources.allocation import PoolUsage

NETWORK_FIELDS = {"inet", "range_start", "range_end", "prefixlen"}

_M = TypeVar("_M", bound=models.Model)


class SubnetOverlap(ValidationError):
    """The database refused a subnet because it overlaps another one."""


class NetworkQuerySet(models.QuerySet[_M]):
    """``update()`` would skip the rules, the derived key columns, the history and
    the events: fields that need them must be changed by saving each object."""

    guarded_fields: frozenset[str] = frozenset(NETWORK_FIELDS)

    def update(self, **kwargs: Any) -> int:
        refused = sorted(self.guarded_fields & kwargs.keys())
        if refused:
            raise TypeError(
                f"{self.model.__name__}.objects.update() cannot change {', '.join(refused)}: "
                "save each object instead, so that its rules, history and events apply."
            )
        return super().update(**kwargs)


class PoolQuerySet(NetworkQuerySet["IPPool"]):
    def lock(self, pk: int) -> "IPPool | None":
        """The pool, locked until the end of the transaction: every writer of the
        pool's subnets (allocation, a subnet typed by hand) takes this lock first,
        so that what one of them checked stays true until it commits.

        PostgreSQL: ``SELECT … FOR NO KEY UPDATE``, which still lets another
        transaction check a foreign key to the pool. SQLite has no row locks:
        taking the database's write lock first makes a concurrent writer wait here
        instead of failing on its own write."""
        if connection.features.has_select_for_update:
            return self._select_locked(pk)
        pools = self.filter(pk=pk)
        pools.update(allocation_hint=models.F("allocation_hint"))
        return pools.first()

    def _select_locked(self, pk: int) -> "IPPool | None":
        """The locking SELECT written out: through the ORM, building the query and
        the object cost several times what the database takes to run it, on every
        allocation (a pool's columns need no conversion but its network's)."""
        model = self.model
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        mode = "NO KEY UPDATE" if connection.features.has_select_for_no_key_update else "UPDATE"
        columns = ", ".join(quote(_column(field)) for field in fields)
        sql = (
            f"SELECT {columns} FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(_column(model._meta.pk))} = %s FOR {mode}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        values = [
            field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
            for field, value in zip(fields, row, strict=True)
        ]
        return model.from_db(self.db, [field.attname for field in fields], values)


def _column(field: "models.Field[Any, Any] | None") -> str:
    """The column of a concrete field (Django types it optional for the fields that
    have none, which are not concrete)."""
    assert field is not None and field.column is not None
    return field.column


class SubnetQuerySet(NetworkQuerySet["IPSubnet"]):
    guarded_fields = frozenset(
        NETWORK_FIELDS | {"configuration", "configuration_id", "ip_pool", "ip_pool_id"}
    )

    def bulk_create(self, objs, *args, **kwargs):
        """Insert without the per-row rules (the caller vouches for them), then move
        the pools' allocation hints past the rows that fill them from the hint up,
        so that the next allocation does not walk them all."""
        from coin.resources.changes import advance_allocation_hints

        objs = super().bulk_create(objs, *args, **kwargs)
        if not (kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts")):
            advance_allocation_hints(objs)
        return objs

    def of_member(self, member) -> "SubnetQuerySet":
        return self.filter(configuration__offersubscription__member=member)


def first_overlapping(queryset: models.QuerySet, network: IPNetwork):
    """The object of ``queryset`` (non-overlapping networks with key columns) that
    overlaps ``network``, or None, in one indexed query whatever the table size:
    only the network starting last at or before ``network``'s end can overlap it."""
    candidate = queryset.filter(range_start__lte=end_key(network)).order_by("-range_start").first()
    if candidate is not None and candidate.range_end >= start_key(network):
        return candidate
    return None


#: The constraints by which the database refuses overlapping pools or subnets:
#: the GiST exclusion constraint (PostgreSQL, named in migration 0002) and the
#: unique start address (both databases; PostgreSQL names a column's UNIQUE
#: ``<table>_<column>_key``).
OVERLAP_CONSTRAINTS = {
    "resources_ippool": ("resources_ippool_no_overlap", "resources_ippool_range_start_key"),
    "resources_ipsubnet": ("resources_ipsubnet_no_overlap", "resources_ipsubnet_range_start_key"),
}


def is_overlap_error(error: IntegrityError, model: type[models.Model]) -> bool:
    """True when ``error`` is the database refusing a row of ``model`` (IPPool or
    IPSubnet) because it overlaps another: on PostgreSQL, the violated constraint's
    name (``diag.constraint_name``) is one of OVERLAP_CONSTRAINTS; SQLite names no
    constraint for a unique violation, only its column, in a fixed message."""
    table = model._meta.db_table
    diag = getattr(error.__cause__, "diag", None)
    if diag is not None:
        return diag.constraint_name in OVERLAP_CONSTRAINTS[table]
    return str(error) == f"UNIQUE constraint failed: {table}.range_start"


class IPPool(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    inet = CIDRField(_("network"), help_text=_("The pool's block, e.g. 192.0.2.0/24 or 2001:db8::/32."))
    default_subnetsize = models.PositiveSmallIntegerField(
        _("default subnet size"),
        validators=[MaxValueValidator(128)],
        help_text=_(
            "Prefix length handed out by default: 32 for single IPv4 addresses, 56 or 48 for IPv6 "
            "prefixes. Between the pool's own prefix length and 32 (IPv4) or 128 (IPv6)."
        ),
    )
    description = models.TextField(_("description"), blank=True)
    skip_network_and_broadcast = models.BooleanField(
        _("skip the network and broadcast addresses"),
        default=True,
        help_text=_(
            "IPv4 pools handing out single addresses (/32): never give the pool's first "
            "(network) and last (broadcast) address. Uncheck for a pool routed as /32s only."
        ),
    )
    range_start = NetworkKeyField(unique=True)
    range_end = NetworkKeyField(end=True)
    allocation_hint = models.CharField(
        max_length=KEY_LENGTH,
        default="",
        editable=False,
        help_text="Key of an address at or below the lowest free address of the pool "
        "(allocation starts looking there; empty: at the start of the pool).",
    )

    objects = PoolQuerySet.as_manager()

    #: The pool's usage, set by the admin's list for the pools of its page (one
    #: query for them all); not set otherwise.
    usage_cache: "PoolUsage"

    class Meta:
        verbose_name = _("IP pool")
        verbose_name_plural = _("IP pools")
        ordering = ["range_start"]

    def __str__(self) -> str:
        return f"{self.name} ({self.inet})"

    def save(self, *args, **kwargs) -> None:
        if self.network is None:
            raise ValidationError({"inet": gettext("Enter the pool's network.")})
        try:
            with transaction.atomic():
                previous = None
                if self.pk is not None:
                    previous = (
                        IPPool.objects.filter(pk=self.pk).values_list("range_start", "range_end").first()
                    )
                self.clean()
                if previous != (self.range_start, self.range_end):
                    # The pool moved or grew: free space may now lie below the hint.
                    self.allocation_hint = ""
                    if kwargs.get("update_fields") is not None:
                        kwargs["update_fields"] = {*kwargs["update_fields"], "allocation_hint"}
                _extend_update_fields(kwargs)
                super().save(*args, **kwargs)
        except IntegrityError as error:
            if is_overlap_error(error, IPPool):
                raise ValidationError(
                    {"inet": gettext("%(network)s overlaps another pool.") % {"network": self.inet}}
                ) from error
            raise

    @property
    def network(self) -> IPNetwork | None:
        return self.inet if isinstance(self.inet, IPNetwork) else None

    def clean(self) -> None:
        network = self.network
        if network is None:
            return
        errors: dict[str, list] = {}
        size = self.default_subnetsize
        if size is not None and not network.prefixlen <= size <= max_prefixlen(network.version):
            errors.setdefault("default_subnetsize", []).append(
                ValidationError(
                    _("Choose a prefix length between /%(low)d (the pool's) and /%(high)d."),
                    code="size_out_of_bounds",
                    params={"low": network.prefixlen, "high": max_prefixlen(network.version)},
                )
            )
        other = first_overlapping(IPPool.objects.exclude(pk=self.pk), network)
        if other is not None:
            errors.setdefault("inet", []).append(
                ValidationError(
                    _("%(network)s overlaps the pool “%(other)s” (%(other_network)s)."),
                    code="pool_overlap",
                    params={"network": network, "other": other.name, "other_network": other.inet},
                )
            )
        if self.pk is not None:
            outside = self.subnets.filter(
                models.Q(range_start__lt=start_key(network)) | models.Q(range_end__gt=end_key(network))
            ).order_by("range_start")
            count = outside.count()
            if count:
                examples = ", ".join(str(subnet.inet) for subnet in outside[:5])
                errors.setdefault("inet", []).append(
                    ValidationError(
                        _(
                            "%(count)d subnet(s) of this pool would fall outside %(network)s "
                            "(%(examples)s): move or delete them first."
                        ),
                        code="pool_shrink",
                        params={"count": count, "network": network, "examples": examples},
                    )
                )
        if errors:
            raise ValidationError(errors)

    @property
    def version(self) -> int:
        return self.inet.version


def _extend_update_fields(kwargs: dict) -> None:
    """Saving ``inet`` alone must also save the key columns derived from it."""
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "inet" in update_fields:
        kwargs["update_fields"] = {*update_fields, *NETWORK_FIELDS}


class NameServer(models.Model):
    """A DNS server to which reverse zones are delegated: one of the ISP's (no
    owner) or one of a member's."""

    name = models.CharField(
        _("host name"), max_length=253, help_text=_("Fully qualified host name, e.g. ns1.example.net.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="name_servers",
        verbose_name=_("owner"),
        help_text=_("Leave empty for a server of the ISP."),
    )
    comment = models.CharField(_("comment"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("name server")
        verbose_name_plural = _("name servers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "owner"], name="resources_nameserver_unique_per_owner"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(owner__isnull=True),
                name="resources_nameserver_unique_isp",
            ),
        ]

    def __str__(self) -> str:
        owner = self.owner.username if self.owner is not None else gettext("ISP")
        return f"{self.name} ({owner})"

    def save(self, *args, **kwargs) -> None:
        self.name = normalise_hostname(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            self.name = normalise_hostname(self.name)
        except ValidationError as error:
            raise ValidationError({"name": error.messages}) from error
        duplicate = NameServer.objects.filter(name=self.name, owner_id=self.owner_id).exclude(pk=self.pk)
        if duplicate.exists():
            raise ValidationError({"name": gettext("This name server is already recorded for this owner.")})


class IPSubnet(models.Model):
    inet = CIDRField(
        _("network"),
        blank=True,
        help_text=_("Leave empty to allocate the lowest free block of the pool automatically."),
    )
    ip_pool = models.ForeignKey(
        IPPool, on_delete=models.PROTECT, related_name="subnets", verbose_name=_("pool")
    )
    configuration = models.ForeignKey(
        "configuration.Configuration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ip_subnet",
        verbose_name=_("configuration"),
        help_text=_("Empty: allocated but not assigned to any subscription."),
    )
    delegate_reverse_dns = models.BooleanField(
        _("delegate reverse DNS"),
        default=False,
        help_text=_("Delegate the reverse zone of this subnet to the name servers below."),
    )
    name_server = models.ManyToManyField(
        NameServer, blank=True, related_name="subnets", verbose_name=_("name servers")
    )
    range_start = NetworkKeyField(unique=True)
    range_end = NetworkKeyField(end=True)
    prefixlen = NetworkPrefixField()

    objects = SubnetQuerySet.as_manager()

    class Meta:
        verbose_name = _("IP subnet")
        verbose_name_plural = _("IP subnets")
        ordering = ["range_start"]
        indexes = [models.Index(fields=["ip_pool", "prefixlen"], name="resources_subnet_pool_size")]

    def __str__(self) -> str:
        if self.network is None:
            return gettext("new subnet")
        return str(self.inet)

    def save(self, *args, **kwargs) -> None:
        """Check the rules, save, and record what changed (history, reverse DNS
        clean-up, subnet events). A subnet without a network is allocated instead
        (``coin.resources.allocation.allocate()``), not saved."""
        if self.network is None:
            if self.inet not in (None, ""):
                raise ValidationError(
                    {"inet": gettext("“%(value)s” is not a network.") % {"value": self.inet}}
                )
            raise ValidationError(
                {"inet": gettext("Enter the subnet's network, or allocate one from its pool.")}
            )
        self.store(*args, **kwargs)

    @property
    def network(self) -> IPNetwork | None:
        return self.inet if isinstance(self.inet, IPNetwork) else None

    def member(self) -> "models.Model | None":
        """The member holding this subnet, if it is assigned."""
        configuration = self.configuration
        if configuration is None:
            return None
        return configuration.offersubscription.member

    def clean_fields(self, exclude=None) -> None:
        """A pool or configuration that the caller has loaded (a form has just
        fetched it) is not looked up a second time: the database's foreign key
        still refuses a row whose pool or configuration went meanwhile."""
        exclude = set(exclude or ())
        for name in ("ip_pool", "configuration"):
            field = self._meta.get_field(name)
            assert isinstance(field, models.ForeignKey)  # both are foreign keys
            if field.is_cached(self) and getattr(self, name) is not None:
                related = getattr(self, name)
                if related.pk is not None and related.pk == getattr(self, field.attname):
                    exclude.add(name)
        super().clean_fields(exclude)

    def clean(self) -> None:
        """The rules of a subnet with a network (one to allocate is checked by
        ``coin.resources.allocation.check_allocatable_subnet()``)."""
        if self.ip_pool_id is None or self.inet is None:
            return
        self.check_rules()

    def check_rules(self, check_overlap: bool = True) -> None:
        """Inside its pool, and (unless the caller just proved it) no overlap."""
        network = self.network
        if network is None:
            return
        if self.ip_pool_id is None:
            raise ValidationError({"ip_pool": gettext("Choose the pool of this subnet.")})
        pool = self.ip_pool
        pool_network = pool.network
        if pool_network is None:
            return
        if network.version != pool_network.version or not subnet_of(network, pool_network):
            raise ValidationError(
                {
                    "inet": ValidationError(
                        _("%(network)s is not inside the pool “%(pool)s” (%(pool_network)s)."),
                        code="outside_pool",
                        params={"network": network, "pool": pool.name, "pool_network": pool_network},
                    )
                }
            )
        if check_overlap:
            other = first_overlapping(IPSubnet.objects.exclude(pk=self.pk).select_related("ip_pool"), network)
            if other is not None:
                raise SubnetOverlap(
                    {
                        "inet": ValidationError(
                            _("%(network)s overlaps the subnet %(other)s of the pool “%(pool)s”."),
                            code="subnet_overlap",
                            params={"network": network, "other": other.inet, "pool": other.ip_pool.name},
                        )
                    }
                )

    def store(self, *args, check_overlap: bool = True, **kwargs) -> None:
        """Save with a network already chosen.

        A subnet typed by hand (``check_overlap=True``) locks its pool, is checked
        and written in a savepoint of its own: a refusal leaves the caller's
        transaction usable. Allocation calls this with ``check_overlap=False``: it
        holds the pool's lock and has just found the block free."""
        _extend_update_fields(kwargs)
        if not check_overlap:
            self._write(None if self._state.adding else self._previous_state(), False, args, kwargs)
            return
        with transaction.atomic():
            if self.ip_pool_id is not None and IPPool.objects.lock(self.ip_pool_id) is None:
                raise ValidationError({"ip_pool": gettext("This pool does not exist any more.")})
            self._write(None if self._state.adding else self._previous_state(), True, args, kwargs)

    def _previous_state(self):
        from coin.resources import changes

        return changes.previous_state(self)

    def _write(self, previous, check_overlap: bool, args, kwargs) -> None:
        from coin.resources import changes

        self.check_rules(check_overlap=check_overlap)
        try:
            super().save(*args, **kwargs)
        except IntegrityError as error:
            if is_overlap_error(error, IPSubnet):
                raise SubnetOverlap(
                    {
                        "inet": gettext("%(network)s overlaps another subnet (refused by the database).")
                        % {"network": self.inet}
                    }
                ) from error
            raise
        changes.subnet_saved(self, previous)


def name_server_problems(configuration, servers, delegate_reverse_dns: bool) -> list[str]:
    """What is wrong with the name servers chosen for a subnet held by
    ``configuration`` (admin form and API): servers of another member, or a
    delegation without servers."""
    problems = []
    member_id = configuration.offersubscription.member_id if configuration else None
    foreign = [server for server in servers if server.owner_id not in (None, member_id)]
    if foreign:
        problems.append(
            gettext("%(servers)s belong(s) to a member other than the subnet's holder.")
            % {"servers": ", ".join(server.name for server in foreign)}
        )
    if delegate_reverse_dns and not servers:
        problems.append(gettext("Choose the name servers to delegate the reverse zone to."))
    return problems


class OfferIPPool(models.Model):
    """A pool in which each new subscription to the offer gets a subnet."""

    offer = models.ForeignKey(
        "offers.Offer", on_delete=models.CASCADE, related_name="ip_pools", verbose_name=_("offer")
    )
    pool = models.ForeignKey(IPPool, on_delete=models.PROTECT, related_name="offers", verbose_name=_("pool"))
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Subnets are allocated in this order (lowest first).")
    )

    class Meta:
        verbose_name = _("IP pool of an offer")
        verbose_name_plural = _("IP pools of an offer")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["offer", "pool"], name="resources_offerippool_unique")]

    def __str__(self) -> str:
        return f"{self.offer} → {self.pool}"

    def clean(self) -> None:
        if self.offer_id and configuration_model(self.offer.configuration_type) is None:
            raise ValidationError(
                _(
                    "The offer “%(offer)s” has no configuration type (or its app is not installed): its "
                    "subscriptions would have no configuration to attach subnets to. Choose a "
                    "configuration type first."
                ),
                code="no_configuration_type",
                params={"offer": self.offer.name},
            )


class ReverseDNSEntry(models.Model):
    """A PTR record that a member sets for one of their own addresses."""

    subnet = models.ForeignKey(
        IPSubnet, on_delete=models.CASCADE, related_name="reverse_dns_entries", verbose_name=_("subnet")
    )
    ip = models.GenericIPAddressField(_("address"), unique=True)
    name = models.CharField(
        _("host name"),
        max_length=253,
        help_text=_("The name this address resolves back to, e.g. mail.example.org."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reverse DNS record")
        verbose_name_plural = _("reverse DNS records")
        ordering = ["subnet__range_start", "ip"]

    def __str__(self) -> str:
        return f"{self.ip} → {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.name = normalise_hostname(self.name)
        super().save(*args, **kwargs)

    @property
    def address(self) -> IPAddress:
        return parse_address(self.ip)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            self.name = normalise_hostname(self.name)
        except ValidationError as error:
            errors["name"] = error.messages
        if self.ip and self.subnet_id:
            try:
                self.ip = str(
                    check_ptr_address(self.ip, self.subnet.network, self.subnet.delegate_reverse_dns)
                )
            except ValidationError as error:
                errors["ip"] = error.messages
        if errors:
            raise ValidationError(errors)


class IPSubnetAssignment(models.Model):
    """Which subnet was assigned to which subscription, from when to when.

    Kept after the subnet, configuration or subscription is gone (the text
    columns keep what the foreign keys pointed to): French law requires
    connection-source data to be kept for a year. ``manage.py purge_ip_history``
    deletes entries ended longer ago than IP_HISTORY_RETENTION_DAYS.
    """

    subnet = models.ForeignKey(
        IPSubnet, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignments"
    )
    inet = CIDRField(_("network"))
    range_start = NetworkKeyField(db_index=True)
    range_end = NetworkKeyField(end=True)
    configuration = models.ForeignKey(
        "configuration.Configuration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("configuration"),
    )
    configuration_description = models.CharField(_("configuration"), max_length=255, blank=True)
    subscription = models.ForeignKey(
        "offers.OfferSubscription",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ip_assignments",
        verbose_name=_("subscription"),
    )
    subscription_reference = models.CharField(_("subscription reference"), max_length=100, blank=True)
    member_username = models.CharField(_("member"), max_length=150, blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), null=True, blank=True, db_index=True)

    objects = NetworkQuerySet.as_manager()

    class Meta:
        verbose_name = _("IP assignment (history)")
        verbose_name_plural = _("IP assignments (history)")
        ordering = ["-start", "-id"]

    def __str__(self) -> str:
        until = self.end.isoformat(timespec="seconds") if self.end else "…"
        return f"{self.inet} → {self.subscription_reference or '?'} ({self.start:%Y-%m-%d} – {until})"
