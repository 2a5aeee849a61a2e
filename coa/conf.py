"""The coa app's settings and their defaults (override them in settings_local.py)."""

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

DEFAULTS: dict[str, Any] = {
    # Folders of more RADIUS dictionaries (files named dictionary*), read after Coin's own
    # (coa/dictionaries/); a change there is seen without a restart.
    "RADIUS_DICTIONARY_DIRS": [],
    # Requests per account of POST /api/coa/ (DRF rate: "N/second|minute|hour|day").
    "COA_API_RATE": "60/minute",
    # The DATABASES alias that holds FreeRADIUS's tables.
    "RADIUS_DATABASE": "default",
    # The RADIUS group of suspended subscriptions (its reply attributes: a captive portal…).
    "RADIUS_SUSPENDED_GROUP": "coin-suspended",
    # Also store Cleartext-Password (needed for CHAP/MS-CHAP; readable by whoever reads radcheck).
    "RADIUS_STORE_CLEARTEXT": False,
    # Days of connection data (radacct) kept before purge_radius_accounting removes it.
    "RADIUS_ACCOUNTING_RETENTION_DAYS": 365,
    # An open session with no accounting update for longer than this is stale (admin).
    "RADIUS_STALE_SESSION_MINUTES": 30,
}


_values: dict[str, Any] = {}


def setting(name: str) -> Any:
    """The value of a coa setting, or its default.

    Remembered: an unset setting costs Django a failed lookup each time, and validating
    a CoA request reads RADIUS_DICTIONARY_DIRS (to see new dictionaries without a
    restart). A change through override_settings (tests) is seen at once.
    """
    try:
        return _values[name]
    except KeyError:
        value = _values[name] = getattr(settings, name, DEFAULTS[name])
        return value


@receiver(setting_changed)
def _forget_changed_setting(*, setting: str, **kwargs: Any) -> None:
    _values.pop(setting, None)
