"""The LDAP connection settings shared by every app that writes to the directory,
with their defaults (see README's settings table). Read them through
``setting(name)`` at call time, so an installation's settings_local (and tests'
overrides) always win."""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # The directory (one server for the VPN accounts and the members).
    "LDAP_URI": "ldap://127.0.0.1/",
    "LDAP_BIND_DN": "",
    "LDAP_BIND_PASSWORD": "",
    "LDAP_START_TLS": False,
    # Seconds before a connection or an operation to the directory gives up.
    "LDAP_TIMEOUT": 5,
    # Entries per page of the drift checks' paged searches (RFC 2696): under the
    # server's size limit for the bind DN.
    "LDAP_PAGE_SIZE": 500,
    # Argon2id cost of the {ARGON2} hashes (RFC 9106's second recommended choice).
    "LDAP_ARGON2_TIME_COST": 3,
    "LDAP_ARGON2_MEMORY_COST": 65536,  # KiB
    "LDAP_ARGON2_PARALLELISM": 4,
}


def setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
