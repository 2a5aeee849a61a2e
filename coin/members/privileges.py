"""Who may change the keys of an account: its email (password resets go there), its
password and its permissions.

A staff account's keys are a superuser's business: otherwise a staff user allowed to
change members could point an administrator's email at themselves and reset its
password. Granting staff or superuser status, groups or permissions to anyone is a
superuser's business too.
"""

from django.db.models import Q

from coin.members.models import Member

#: Fields that make an account powerful; only a superuser sets them, on anyone.
PERMISSION_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
#: Fields that let whoever controls them take the account over.
CREDENTIAL_FIELDS = ("email", "password")


def is_privileged(member: Member | None) -> bool:
    """A staff or superuser account, as saved in the database (not as being edited)."""
    if member is None or member.pk is None:
        return False
    return Member.objects.filter(Q(is_staff=True) | Q(is_superuser=True), pk=member.pk).exists()


def may_change_credentials(actor, member: Member | None) -> bool:
    """Whether ``actor`` may change ``member``'s email or password (or, in the admin,
    whether the account is active): anyone allowed to change members may, but for a
    staff or superuser account, which only a superuser may."""
    return bool(actor.is_superuser) or not is_privileged(member)


def may_change_permissions(actor) -> bool:
    """Whether ``actor`` may set staff or superuser status, groups or permissions."""
    return bool(actor.is_superuser)
