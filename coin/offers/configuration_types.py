"""Which configuration types an offer may name.

An offer stores the label of a configuration model (``Offer.configuration_type``, e.g.
``"vpn.VPNConfiguration"``), but the offers app sits below coin.configuration and does
not import it: coin.configuration registers the function that lists the installed
types when it is ready (``set_source``).
"""

from collections.abc import Callable

Choices = list[tuple[str, str]]

_source: Callable[[], Choices] | None = None


def set_source(source: Callable[[], Choices]) -> None:
    """Called once by coin.configuration's AppConfig.ready()."""
    global _source
    _source = source


def configuration_type_choices() -> Choices:
    """``(label, verbose name)`` of every installed configuration type (none before
    coin.configuration is ready)."""
    return _source() if _source is not None else []


def is_configuration_type(label: str) -> bool:
    """True when ``label`` names an installed configuration type."""
    return any(value == label for value, _name in configuration_type_choices())
