"""The RADIUS dictionary Coin sends CoA with, and the validation of attributes.

Rules:
- the dictionaries shipped in ``coa/dictionaries/`` (written for Coin from the RFCs
  and vendors' documentation) are always read first, then every file named
  ``dictionary*`` of each folder of the RADIUS_DICTIONARY_DIRS setting, in name order;
- a change in those folders (a file added, removed or modified: their mtimes) is seen
  on the next use, without a restart;
- an attribute is sent only if the dictionary knows its name and its value has the
  attribute's type (an unknown name, a bad value, or a tag on an untagged attribute
  raise ``InvalidAttribute`` naming it), and so does a value too long for an attribute,
  an encrypted attribute (User-Password…) or a TLV; Message-Authenticator and
  Event-Timestamp are Coin's to add, never the caller's.
"""

import ipaddress
import socket
import threading
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from struct import error as struct_error
from typing import Any

from django.utils.translation import gettext as _
from pyrad import tools
from pyrad.dictionary import Dictionary, ParseError

from coa.conf import setting
from coa.encoding import encoder_for

SHIPPED_ROOT = Path(__file__).resolve().parent / "dictionaries" / "dictionary"

#: Attributes the client adds itself to every request.
RESERVED = frozenset({"Message-Authenticator", "Event-Timestamp"})

INTEGER_TYPES = frozenset({"integer", "signed", "short", "byte", "integer64", "date"})

Pair = tuple[str, Any]


class InvalidAttribute(ValueError):
    """An attribute that cannot be sent: ``attribute`` names it, ``reason`` says why."""

    def __init__(self, attribute: str, reason: str) -> None:
        self.attribute = attribute
        self.reason = reason
        super().__init__(f"{attribute}: {reason}")


class DictionaryError(RuntimeError):
    """A dictionary file of RADIUS_DICTIONARY_DIRS cannot be read."""


def extra_folders() -> list[Path]:
    return [Path(folder) for folder in setting("RADIUS_DICTIONARY_DIRS")]


def dictionary_files() -> list[Path]:
    """The files read, in order: the shipped root, then the extra folders' files."""
    files = [SHIPPED_ROOT]
    for folder in extra_folders():
        if folder.is_dir():
            files.extend(
                sorted(p for p in folder.iterdir() if p.name.startswith("dictionary") and p.is_file())
            )
    return files


def _signature() -> tuple:
    """What must change for the dictionary to be read again: the extra folders'
    mtimes and their files' names, mtimes and sizes."""
    parts: list[tuple] = []
    for folder in extra_folders():
        try:
            parts.append((str(folder), folder.stat().st_mtime_ns))
        except OSError:
            parts.append((str(folder), None))
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith("dictionary"):
                stat = path.stat()
                parts.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(parts)


_lock = threading.Lock()
_cache: dict[str, Any] = {"signature": None, "dictionary": None}


def get_dictionary() -> Dictionary:
    """The dictionary, read again when the extra folders changed since last time."""
    signature = _signature()
    with _lock:
        if _cache["dictionary"] is None or _cache["signature"] != signature:
            files = dictionary_files()
            try:
                dictionary = Dictionary(*(str(path) for path in files))
            except (ParseError, OSError, ValueError) as error:
                raise DictionaryError(f"RADIUS dictionary: {error}") from error
            _cache.update(signature=signature, dictionary=dictionary)
        return _cache["dictionary"]


def split_tag(name: str) -> tuple[str, int | None]:
    """``"ERX-Service-Activate:1"`` → ``("ERX-Service-Activate", 1)``."""
    base, colon, tag = name.partition(":")
    if not colon:
        return name, None
    if not tag.isdigit() or not 0 <= int(tag) <= 31:
        raise InvalidAttribute(name, _("the tag must be a number from 0 to 31."))
    return base, int(tag)


def normalize_pairs(attributes: Mapping[str, Any] | Iterable[Any]) -> list[Pair]:
    """Accepts ``{"name": value or [values]}`` or ``[[name, value], …]`` (order and
    repeats kept) and returns ``[(name, value), …]``."""
    pairs: list[Pair] = []
    if isinstance(attributes, Mapping):
        for name, value in attributes.items():
            if isinstance(value, list):
                pairs.extend([(str(name), v) for v in value])
            else:
                pairs.append((str(name), value))
        return pairs
    for item in attributes:
        if not isinstance(item, (list, tuple)) or len(item) != 2 or not isinstance(item[0], str):
            raise InvalidAttribute(str(item), _("expected a pair [name, value]."))
        pairs.append((item[0], item[1]))
    return pairs


def _coerce(attribute, name: str, value: Any) -> Any:
    """The Python value pyrad encodes for ``attribute``, or InvalidAttribute."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict, float)):
        raise InvalidAttribute(name, _("%(value)r is not a valid value.") % {"value": value})
    kind = attribute.type
    if kind in INTEGER_TYPES:
        if isinstance(value, str) and attribute.values.HasForward(value):
            return value
        try:
            number = int(value)
        except (TypeError, ValueError):
            names = ", ".join(sorted(attribute.values.forward)) if attribute.values.forward else ""
            reason = _("%(value)r is not a number") % {"value": value}
            if names:
                reason += _(" nor one of its names (%(names)s)") % {"names": names}
            raise InvalidAttribute(name, reason + ".") from None
        return number
    if kind == "ipaddr":
        try:
            text = str(value)
            socket.inet_pton(socket.AF_INET, text)  # strict dotted quad, and fast
            return text
        except (OSError, ValueError):
            raise InvalidAttribute(name, _("%(value)r is not an IPv4 address.") % {"value": value}) from None
    if kind == "ipv6addr":
        try:
            return str(ipaddress.IPv6Address(str(value)))
        except ValueError:
            raise InvalidAttribute(name, _("%(value)r is not an IPv6 address.") % {"value": value}) from None
    if kind == "ipv6prefix":
        try:
            return str(ipaddress.IPv6Network(str(value), strict=False))
        except ValueError:
            raise InvalidAttribute(name, _("%(value)r is not an IPv6 prefix.") % {"value": value}) from None
    return str(value) if not isinstance(value, bytes) else value


def _sendable(dictionary: Dictionary, name: str) -> Any:
    """The dictionary's attribute for ``name`` (``Name`` or ``Name:tag``) if Coin may
    send it, else InvalidAttribute."""
    base, tag = split_tag(name)
    if base in RESERVED:
        raise InvalidAttribute(name, _("Coin adds this attribute itself."))
    if base not in dictionary:
        raise InvalidAttribute(name, _("unknown attribute (not in the RADIUS dictionaries)."))
    attribute = dictionary[base]
    if tag is not None and not attribute.has_tag:
        raise InvalidAttribute(name, _("this attribute takes no tag."))
    if attribute.type == "tlv" or attribute.is_sub_attribute:
        raise InvalidAttribute(name, _("TLV attributes cannot be sent."))
    if attribute.encrypt:
        raise InvalidAttribute(name, _("encrypted attributes cannot be sent in a CoA request."))
    return attribute


#: Per dictionary, the names already found sendable (validating many requests
#: looks each name up once).
_sendable_names: "weakref.WeakKeyDictionary[Dictionary, dict[str, Any]]" = weakref.WeakKeyDictionary()


def validate_pairs(attributes: Mapping[str, Any] | Iterable[Any]) -> list[Pair]:
    """Check every attribute against the dictionary and return the pairs ready for
    pyrad (values converted to their type). Raises InvalidAttribute for the first bad one."""
    dictionary = get_dictionary()
    encoder = encoder_for(dictionary)
    known = _sendable_names.get(dictionary)
    if known is None:
        known = _sendable_names[dictionary] = {}
    checked: list[Pair] = []
    for name, value in normalize_pairs(attributes):
        attribute = known.get(name)
        if attribute is None:
            attribute = known[name] = _sendable(dictionary, name)
        coerced = _coerce(attribute, name, value)
        try:
            encoder.pair(name, coerced)  # what will be sent: its type and length fit
        except (TypeError, ValueError, OverflowError, UnicodeError, struct_error) as error:
            raise InvalidAttribute(name, str(error)) from None
        checked.append((name, coerced))
    return checked


def error_cause_name(code: int | None) -> str:
    """``503`` → ``"Session-Context-Not-Found"`` (the number as text if unnamed)."""
    if code is None:
        return ""
    values = get_dictionary()["Error-Cause"].values
    return (
        values.GetBackward(tools.EncodeInteger(code))
        if values.HasBackward(tools.EncodeInteger(code))
        else str(code)
    )
