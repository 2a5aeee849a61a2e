"""Settings of members in LDAP, with their defaults (README's settings table).

The feature is on when MEMBERS_LDAP_BASE_DN is set. ``LDAP_ACTIVATE`` (the seed's
name) is kept as a master switch: unset, it follows MEMBERS_LDAP_BASE_DN; False
turns members in LDAP off even with a base DN; True without a base DN is a
configuration error (coin.members_ldap.checks). The connection settings (LDAP_URI,
LDAP_BIND_DN…) are Coin's own (coin.ldap.conf), shared with vpn.
"""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Where members' entries live: uid=<username>,MEMBERS_LDAP_BASE_DN. Empty: off.
    "MEMBERS_LDAP_BASE_DN": "",
    # The group of members in good standing (groupOfNames); default
    # cn=members,<MEMBERS_LDAP_BASE_DN>.
    "MEMBERS_LDAP_GROUP_DN": "",
    # "{ARGON2}" (slapd's argon2 module, LDAP_ARGON2_* cost) or "{SSHA512}" (pw-sha2).
    "MEMBERS_LDAP_PASSWORD_SCHEME": "{ARGON2}",
    # posixAccount too (shell-less POSIX ids): uidNumber = gidNumber, taken once per
    # member from this range (inclusive) and never changed.
    "MEMBERS_LDAP_POSIX": False,
    "MEMBERS_LDAP_ID_RANGE": (10000, 59999),
    "MEMBERS_LDAP_HOME_DIRECTORY": "/home/{username}",
    "MEMBERS_LDAP_LOGIN_SHELL": "/usr/sbin/nologin",
    # Master switch (see above): None follows MEMBERS_LDAP_BASE_DN.
    "LDAP_ACTIVATE": None,
}


def setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def enabled() -> bool:
    """Whether members are written to LDAP."""
    return bool(setting("MEMBERS_LDAP_BASE_DN")) and setting("LDAP_ACTIVATE") is not False


def base_dn() -> str:
    return setting("MEMBERS_LDAP_BASE_DN")


def group_dn() -> str:
    return setting("MEMBERS_LDAP_GROUP_DN") or f"cn=members,{base_dn()}"
