"""Model fields for IP networks.

Django has no network field, so:

- ``CIDRField`` holds an ``ipaddress`` network. On PostgreSQL the column is a real
  ``cidr`` (validated by the server, usable by GiST exclusion constraints); elsewhere
  it is text holding the normalised network (``2001:db8::/32``).
- ``NetworkKeyField`` and ``NetworkPrefixField`` are derived, read-only columns
  computed from a ``CIDRField`` of the same model (see coin.resources.ip for the
  key format). They let both databases compare and sort networks with plain
  indexed columns. Their value is always recomputed from the source network when
  the instance is read or saved, whatever the save path (``save()``,
  ``bulk_create()``, ``loaddata``), so they can never drift from it. Only
  ``QuerySet.update()`` could bypass them, and the models refuse that.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext_lazy as _

from coin.resources.ip import KEY_LENGTH, IPNetwork, end_key, parse_network, start_key


class CIDRFormField(forms.Field):
    """A text box whose cleaned value is a network (None when left empty): text
    around it is stripped, as a ``CharField`` would."""

    default_error_messages = {"invalid": _("Enter an IPv4 or IPv6 network.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)  # the cleaned value is a network, not text
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("maxlength", "43")

    def prepare_value(self, value: Any) -> str:
        return "" if value is None else str(value)

    def to_python(self, value: Any) -> IPNetwork | None:
        if value in self.empty_values or not str(value).strip():
            return None
        return parse_network(value)


class CIDRDescriptor(DeferredAttribute):
    """Turns assigned text into a network object when it parses, so that
    ``subnet.inet = "192.0.2.0/24"`` then ``subnet.inet.prefixlen`` works. Text that
    does not parse is kept as is, for ``full_clean()`` to report."""

    def __set__(self, instance, value) -> None:
        if isinstance(value, str):
            try:
                value = parse_network(value) if value.strip() else None
            except ValidationError:
                pass
        instance.__dict__[self.field.attname] = value


class CIDRField(models.Field):
    description = _("IPv4 or IPv6 network")
    descriptor_class = CIDRDescriptor
    empty_strings_allowed = False
    default_error_messages = {"invalid": _("“%(value)s” is not an IPv4 or IPv6 network.")}

    def db_type(self, connection) -> str:
        return "cidr" if connection.vendor == "postgresql" else "varchar(43)"

    def get_internal_type(self) -> str:
        return "CIDRField"

    def from_db_value(self, value, expression, connection) -> IPNetwork | None:
        if value is None:
            return None
        return parse_network(str(value))

    def to_python(self, value) -> IPNetwork | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return parse_network(value)

    def get_prep_value(self, value) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return None
        return str(parse_network(value))

    def value_to_string(self, obj) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": CIDRFormField, **kwargs})


class DerivedAttribute(DeferredAttribute):
    """Value computed from the model's source CIDRField whenever it is loaded."""

    field: "DerivedFromCIDRMixin"

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        source = self.field.source
        if source in instance.__dict__:
            try:
                network = parse_network(instance.__dict__[source])
            except ValidationError:
                return None  # empty or invalid: full_clean() reports it on the source field
            return self.field.derive(network)
        return super().__get__(instance, cls)

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = value


if TYPE_CHECKING:
    # What the mixin is mixed into: its methods call the field's own.
    _DerivedFieldBase = models.Field[Any, Any]
else:
    _DerivedFieldBase = object


class DerivedFromCIDRMixin(_DerivedFieldBase):
    descriptor_class: type = DerivedAttribute

    def __init__(self, *args, source: str = "inet", **kwargs):
        self.source = source
        kwargs["editable"] = False
        kwargs["serialize"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        kwargs.pop("serialize", None)
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        return getattr(model_instance, self.attname)

    def derive(self, network: IPNetwork) -> Any:
        """The column's value for ``network`` (each derived field says how)."""
        raise NotImplementedError


class NetworkKeyField(DerivedFromCIDRMixin, models.CharField):
    """First (``end=False``) or last (``end=True``) address of the source network,
    as a sortable key. A fixed-width ``char`` column: PostgreSQL then needs no
    extra pattern index, and the digits-only keys sort alike in every collation."""

    def __init__(self, *args, end: bool = False, **kwargs):
        self.end = end
        kwargs["max_length"] = KEY_LENGTH
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        if self.end:
            kwargs["end"] = True
        return name, path, args, kwargs

    def db_type(self, connection) -> str:
        return f"char({KEY_LENGTH})"

    def derive(self, network: IPNetwork) -> str:
        return end_key(network) if self.end else start_key(network)


class NetworkPrefixField(DerivedFromCIDRMixin, models.PositiveSmallIntegerField):
    """Prefix length of the source network (to count addresses per pool cheaply)."""

    def derive(self, network: IPNetwork) -> int:
        return network.prefixlen
