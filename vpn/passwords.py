"""VPN passwords: generated, and stored only as a salted hash in a scheme that
slapd verifies itself when the OpenVPN server binds as the account. The hashing
is Coin's (coin.ldap.passwords); this module applies the vpn settings
(VPN_PASSWORD_SCHEME, VPN_ARGON2_*)."""

from coin.ldap.passwords import GENERATED_LENGTH, SCHEMES, Argon2Cost, check_password, generate_password
from coin.ldap.passwords import hash_password as _hash_password
from vpn.conf import setting

__all__ = ["GENERATED_LENGTH", "SCHEMES", "check_password", "generate_password", "hash_password"]


def hash_password(raw: str, scheme: str | None = None) -> str:
    """The ``userPassword`` value for ``raw`` in ``scheme`` (default: VPN_PASSWORD_SCHEME)."""
    cost = Argon2Cost(
        setting("VPN_ARGON2_TIME_COST"), setting("VPN_ARGON2_MEMORY_COST"), setting("VPN_ARGON2_PARALLELISM")
    )
    return _hash_password(raw, scheme or setting("VPN_PASSWORD_SCHEME"), cost, "VPN_PASSWORD_SCHEME")
