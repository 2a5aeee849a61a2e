"""The vpn app's settings, with their defaults (see README's settings table).

Read them through ``setting(name)`` at call time, so that an installation's
settings_local (and tests' overrides) always win.
"""

from typing import Any

from django.conf import settings

from coin.ldap.conf import setting as ldap_setting

DEFAULTS: dict[str, Any] = {
    # The connection settings (LDAP_URI, LDAP_BIND_DN…) are Coin's (coin.ldap.conf).
    # Where the accounts' entries live: uid=<login>,VPN_LDAP_BASE_DN.
    "VPN_LDAP_BASE_DN": "ou=vpn,dc=isp,dc=example",
    # "{ARGON2}" (slapd's argon2 module) or "{SSHA512}" (slapd's pw-sha2 module).
    "VPN_PASSWORD_SCHEME": "{ARGON2}",
    # Argon2id cost of the VPN passwords: by default the LDAP_ARGON2_* ones.
    "VPN_ARGON2_TIME_COST": None,
    "VPN_ARGON2_MEMORY_COST": None,
    "VPN_ARGON2_PARALLELISM": None,
    # What the members' .ovpn profile connects to.
    "VPN_SERVER_HOST": "vpn.isp.example",
    "VPN_SERVER_PORT": 1194,
    "VPN_SERVER_PROTO": "udp",
    # Path of the PEM file of the CA that signed the OpenVPN server's certificate.
    "VPN_CA_CERTIFICATE_FILE": "",
}


def setting(name: str) -> Any:
    """The vpn setting ``name``, or Coin's LDAP one (``LDAP_*``) for the rest; a
    VPN_ARGON2_* left unset is the matching LDAP_ARGON2_*."""
    if name not in DEFAULTS:
        return ldap_setting(name)
    value = getattr(settings, name, DEFAULTS[name])
    if value is None and name.startswith("VPN_ARGON2_"):
        return ldap_setting(name.replace("VPN_", "LDAP_", 1))
    return value
