"""The vpn app's settings, with their defaults (see README's settings table).

Read them through ``setting(name)`` at call time, so that an installation's
settings_local (and tests' overrides) always win.
"""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # The directory that the OpenVPN server reads.
    "LDAP_URI": "ldap://127.0.0.1/",
    "LDAP_BIND_DN": "",
    "LDAP_BIND_PASSWORD": "",
    "LDAP_START_TLS": False,
    # Seconds before a connection or an operation to the directory gives up.
    "LDAP_TIMEOUT": 5,
    # Where the accounts' entries live: uid=<login>,VPN_LDAP_BASE_DN.
    "VPN_LDAP_BASE_DN": "ou=vpn,dc=isp,dc=example",
    # "{ARGON2}" (slapd's argon2 module) or "{SSHA512}" (slapd's pw-sha2 module).
    "VPN_PASSWORD_SCHEME": "{ARGON2}",
    # Argon2id cost (RFC 9106's second recommended choice by default).
    "VPN_ARGON2_TIME_COST": 3,
    "VPN_ARGON2_MEMORY_COST": 65536,  # KiB
    "VPN_ARGON2_PARALLELISM": 4,
    # What the members' .ovpn profile connects to.
    "VPN_SERVER_HOST": "vpn.isp.example",
    "VPN_SERVER_PORT": 1194,
    "VPN_SERVER_PROTO": "udp",
    # Path of the PEM file of the CA that signed the OpenVPN server's certificate.
    "VPN_CA_CERTIFICATE_FILE": "",
}


def setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
