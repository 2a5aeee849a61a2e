"""VPN passwords: generated, and stored only as a salted hash in a scheme that
slapd verifies itself when the OpenVPN server binds as the account.

- ``{ARGON2}``: slapd's argon2 module; the value is ``{ARGON2}`` followed by the
  PHC string encoding of an Argon2id hash
  (``$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>``, unpadded base64), which is what
  both libargon2's ``argon2_verify`` and argon2-cffi use.
- ``{SSHA512}``: slapd's pw-sha2 module; base64 of SHA-512(password + salt)
  followed by the salt.
"""

import base64
import hashlib
import secrets

from argon2 import PasswordHasher, Type
from django.core.exceptions import ImproperlyConfigured

from vpn.conf import setting

SCHEMES = ("{ARGON2}", "{SSHA512}")
GENERATED_LENGTH = 16
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random password that is easy to copy (no look-alike characters)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def hash_password(raw: str, scheme: str | None = None) -> str:
    """The ``userPassword`` value for ``raw`` in ``scheme`` (default: VPN_PASSWORD_SCHEME)."""
    scheme = scheme or setting("VPN_PASSWORD_SCHEME")
    if scheme == "{ARGON2}":
        hasher = PasswordHasher(
            time_cost=setting("VPN_ARGON2_TIME_COST"),
            memory_cost=setting("VPN_ARGON2_MEMORY_COST"),
            parallelism=setting("VPN_ARGON2_PARALLELISM"),
            type=Type.ID,
        )
        return "{ARGON2}" + hasher.hash(raw)
    if scheme == "{SSHA512}":
        salt = secrets.token_bytes(16)
        digest = hashlib.sha512(raw.encode() + salt).digest()
        return "{SSHA512}" + base64.b64encode(digest + salt).decode()
    raise ImproperlyConfigured(f"VPN_PASSWORD_SCHEME: {scheme!r} is not one of {', '.join(SCHEMES)}.")


def check_password(raw: str, stored: str) -> bool:
    """Whether ``raw`` matches a stored hash (the LDAP server does the same check)."""
    if stored.startswith("{ARGON2}"):
        try:
            return PasswordHasher().verify(stored.removeprefix("{ARGON2}"), raw)
        except Exception:
            return False
    if stored.startswith("{SSHA512}"):
        decoded = base64.b64decode(stored.removeprefix("{SSHA512}"))
        digest, salt = decoded[:64], decoded[64:]
        return secrets.compare_digest(hashlib.sha512(raw.encode() + salt).digest(), digest)
    return False
