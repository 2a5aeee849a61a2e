"""Passwords kept only as a salted hash in a scheme that slapd verifies itself when
a service binds as the entry (``userPassword``):

- ``{ARGON2}``: slapd's argon2 module; the value is ``{ARGON2}`` followed by the
  PHC string encoding of an Argon2id hash
  (``$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>``, unpadded base64), which is what
  both libargon2's ``argon2_verify`` and argon2-cffi use.
- ``{SSHA512}``: slapd's pw-sha2 module; base64 of SHA-512(password + salt)
  followed by the salt.

Used by vpn (VPN accounts) and members_ldap (members' entries)."""

import base64
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from django.core.exceptions import ImproperlyConfigured

from coin.ldap.conf import setting

SCHEMES = ("{ARGON2}", "{SSHA512}")
GENERATED_LENGTH = 16
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


@dataclass(frozen=True)
class Argon2Cost:
    time_cost: int
    memory_cost: int  # KiB
    parallelism: int


def default_argon2_cost() -> Argon2Cost:
    """The LDAP_ARGON2_* settings."""
    return Argon2Cost(
        setting("LDAP_ARGON2_TIME_COST"),
        setting("LDAP_ARGON2_MEMORY_COST"),
        setting("LDAP_ARGON2_PARALLELISM"),
    )


def generate_password(length: int = GENERATED_LENGTH) -> str:
    """A random password that is easy to copy (no look-alike characters)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def hash_password(raw: str, scheme: str, cost: Argon2Cost | None = None, setting_name: str = "scheme") -> str:
    """The ``userPassword`` value for ``raw`` in ``scheme`` (``{ARGON2}`` with
    ``cost``, default the LDAP_ARGON2_* settings, or ``{SSHA512}``). An unknown
    scheme is an ImproperlyConfigured naming ``setting_name``."""
    if scheme == "{ARGON2}":
        cost = cost or default_argon2_cost()
        hasher = PasswordHasher(
            time_cost=cost.time_cost, memory_cost=cost.memory_cost, parallelism=cost.parallelism, type=Type.ID
        )
        return "{ARGON2}" + hasher.hash(raw)
    if scheme == "{SSHA512}":
        salt = secrets.token_bytes(16)
        digest = hashlib.sha512(raw.encode() + salt).digest()
        return "{SSHA512}" + base64.b64encode(digest + salt).decode()
    raise ImproperlyConfigured(f"{setting_name}: {scheme!r} is not one of {', '.join(SCHEMES)}.")


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
