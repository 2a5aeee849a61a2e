"""Password storage for RADIUS: a salted SHA-512 FreeRADIUS's pap module verifies."""

import base64
import hashlib
import secrets

#: radcheck attribute that carries the hash (rlm_pap knows it with no configuration).
HASH_ATTRIBUTE = "SSHA2-512-Password"


def ssha512(password: str, salt: bytes | None = None) -> str:
    """base64(SHA-512(password + salt) + salt), the value of SSHA2-512-Password."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.sha512(password.encode() + salt).digest()
    return base64.b64encode(digest + salt).decode()


def check_ssha512(password: str, stored: str) -> bool:
    """True when ``password`` matches a value made by ssha512()."""
    raw = base64.b64decode(stored)
    digest, salt = raw[:64], raw[64:]
    return secrets.compare_digest(hashlib.sha512(password.encode() + salt).digest(), digest)


def generate_password() -> str:
    return secrets.token_urlsafe(12)
