"""The hardware_provisioning app's settings, with their defaults (see README's
settings table). Read them through ``setting(name)`` at call time, so that an
installation's settings_local and tests' overrides always win."""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # True: a member's borrow starts the loan at once. False: it is a request that
    # an admin approves (Loans admin, "Approve" action).
    "HARDWARE_DIRECT_LOANS": False,
}


def setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
