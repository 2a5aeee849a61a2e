"""Username generation for members created without one."""

import re
import unicodedata

from django.contrib.auth import get_user_model

MAX_LENGTH = 30


def slugify_name(text: str) -> str:
    """ASCII, lower case, letters and digits only: 'Élodie Lefèvre-Ñuñez' -> 'elodielefevrenunez'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def base_username(member) -> str:
    """First letter of the first name and the last name for a person
    (jdupont), the organization name for a legal entity."""
    if member.type == member.Type.LEGAL_ENTITY:
        base = slugify_name(member.organization_name)
    else:
        base = slugify_name(member.first_name[:1] + member.last_name)
    return (base or slugify_name(member.nickname) or "member")[:MAX_LENGTH]


def generate_username(member) -> str:
    """A unique username derived from the member's name: jdupont, jdupont2, jdupont3…"""
    base = base_username(member)
    # Case-insensitively, as the sign-up and admin forms compare usernames.
    taken = {
        username.lower()
        for username in get_user_model()
        .objects.filter(username__istartswith=base)
        .exclude(pk=member.pk)
        .values_list("username", flat=True)
    }
    candidate, counter = base, 1
    while candidate in taken:
        counter += 1
        suffix = str(counter)
        candidate = base[: MAX_LENGTH - len(suffix)] + suffix
    return candidate
