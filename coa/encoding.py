"""RADIUS attributes on the wire, from (name, value) pairs and pyrad's dictionaries.

Rules (RFC 2865 section 5, Vendor-Specific as section 5.26 with the one-octet vendor
type and length every shipped vendor uses, tags as RFC 2868 section 3.1):
- pairs are encoded in their order, repeats kept;
- a name is ``Name`` or ``Name:tag`` (tag 0 to 31, only on ``has_tag`` attributes);
  a tagged integer carries its tag in its first octet, another tagged value before it;
  an untagged value of a tagged attribute whose first octet would read as a tag
  gets the tag 0 (as pyrad does);
- named values (the dictionary's VALUE lines) are sent as their number;
- encrypted and TLV attributes are refused, and values longer than an attribute holds.

What a name means is looked up once per name and dictionary (``encoder_for``), so
encoding many requests does no dictionary work beyond a dict lookup per attribute.
"""

import socket
import struct
import weakref
from collections.abc import Iterable
from typing import Any

from pyrad import tools
from pyrad.dictionary import Dictionary

UINT32 = struct.Struct("!I")
_HEADER = struct.Struct("!BB")
_VSA = struct.Struct("!BBLBB")


class Encoder:
    """Turns validated (name, value) pairs into attributes on the wire (RFC 2865
    section 5; vendors' attributes in Vendor-Specific, section 5.26; tags as RFC 2868
    section 3.1 and pyrad place them), in the pairs' order. What a name means (code,
    vendor, type, tag) is looked up in the dictionary once per name."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self._names: dict[str, tuple[int, int, str, bool, bytes, Any]] = {}

    def _describe(self, name: str) -> tuple[int, int, str, bool, bytes, Any]:
        base, _colon, tag = name.partition(":")
        attribute = self.dictionary.attributes[base]
        if attribute.encrypt or attribute.type == "tlv" or attribute.is_sub_attribute:
            raise ValueError(f"{name}: encrypted and TLV attributes cannot be sent in a CoA request")
        if tag and not (attribute.has_tag and tag.isdigit() and int(tag) <= 0x1F):
            raise ValueError(f"{name}: not a valid tag for this attribute")
        vendor = self.dictionary.vendors.GetForward(attribute.vendor) if attribute.vendor else 0
        described = (
            attribute.code,
            vendor,
            attribute.type,
            attribute.has_tag,
            bytes([int(tag)]) if tag else b"",
            attribute.values,
        )
        self._names[name] = described
        return described

    def pair(self, name: str, value: Any) -> bytes:
        """One attribute (its header and value); ValueError, TypeError or
        struct.error when the value does not fit its type."""
        code, vendor, kind, has_tag, tag, values = self._names.get(name) or self._describe(name)
        if isinstance(value, str) and values.forward and values.HasForward(value):
            data = values.GetForward(value)
        elif kind == "string":
            data = value.encode() if isinstance(value, str) else bytes(value)
        elif kind == "ipaddr":
            data = socket.inet_aton(value)
        elif kind in ("integer", "date"):
            data = UINT32.pack(value)
        else:
            data = tools.EncodeAttr(kind, value)
        if tag:
            data = tag + (data[1:] if kind == "integer" else data)
        elif has_tag and kind != "integer" and data and data[0] <= 0x1F:
            data = b"\0" + data  # a first octet up to 0x1F would read as a tag
        if vendor:
            if len(data) > 247:
                raise ValueError(f"{name}: value too long ({len(data)} octets, at most 247)")
            return _VSA.pack(26, len(data) + 8, vendor, code, len(data) + 2) + data
        if len(data) > 253:
            raise ValueError(f"{name}: value too long ({len(data)} octets, at most 253)")
        return _HEADER.pack(code, len(data) + 2) + data

    def pairs(self, pairs: Iterable[tuple[str, Any]]) -> bytes:
        return b"".join([self.pair(name, value) for name, value in pairs])


_encoders: "weakref.WeakKeyDictionary[Dictionary, Encoder]" = weakref.WeakKeyDictionary()


def encoder_for(dictionary: Dictionary) -> Encoder:
    """The dictionary's Encoder (one per dictionary, so its lookups are kept)."""
    encoder = _encoders.get(dictionary)
    if encoder is None:
        encoder = _encoders[dictionary] = Encoder(dictionary)
    return encoder
