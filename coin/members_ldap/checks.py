from typing import Any

from django.core.checks import Error, register

from coin.ldap.passwords import SCHEMES
from coin.members_ldap.conf import setting


@register()
def members_ldap_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Settings that cannot work, said at start-up rather than at the first push."""
    errors = []
    if setting("LDAP_ACTIVATE") is True and not setting("MEMBERS_LDAP_BASE_DN"):
        errors.append(
            Error(
                "LDAP_ACTIVATE is True but MEMBERS_LDAP_BASE_DN is empty: say where members' entries go.",
                id="members_ldap.E001",
            )
        )
    if setting("MEMBERS_LDAP_PASSWORD_SCHEME") not in SCHEMES:
        errors.append(
            Error(
                f"MEMBERS_LDAP_PASSWORD_SCHEME: {setting('MEMBERS_LDAP_PASSWORD_SCHEME')!r} is not one of "
                f"{', '.join(SCHEMES)}.",
                id="members_ldap.E002",
            )
        )
    low, high = setting("MEMBERS_LDAP_ID_RANGE")
    if not (isinstance(low, int) and isinstance(high, int) and 0 < low <= high):
        errors.append(
            Error(
                f"MEMBERS_LDAP_ID_RANGE: {(low, high)!r} must be two integers 0 < first <= last.",
                id="members_ldap.E003",
            )
        )
    return errors
