"""MAC addresses of lent hardware: one written form, whatever the input's."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s:.\-]")
_HEX12 = re.compile(r"[0-9a-f]{12}")


def normalise_mac(value: str) -> str:
    """``AA-BB-CC-DD-EE-FF``, ``aabb.ccdd.eeff`` or ``aabbccddeeff`` → ``aa:bb:cc:dd:ee:ff``;
    the empty string stays empty. Raises ValidationError for anything that is not a
    48-bit MAC address."""
    if value is None:
        return ""
    text = str(value).strip()
    if not text:
        return ""
    digits = _SEPARATORS.sub("", text).lower()
    if not _HEX12.fullmatch(digits):
        raise ValidationError(
            _("“%(value)s” is not a MAC address: give 12 hexadecimal digits, e.g. 00:11:22:aa:bb:cc."),
            code="invalid_mac",
            params={"value": text},
        )
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
