"""Where member changes enter the LDAP queue (only when members in LDAP are on):

- ``password_set`` (Member.set_password / set_unusable_password): the LDAP hash is
  computed while the clear password is at hand and kept on the instance until the
  member is saved;
- ``post_save`` of Member (sign-up, profile, status, password): the hash is stored
  and an "update" job recorded, in the saving transaction;
- ``pre_delete`` of Member: a "delete" job.
"""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from coin.ldap.passwords import hash_password
from coin.members.models import Member
from coin.members.signals import password_set
from coin.members_ldap import conf
from coin.members_ldap.accounts import ensure_accounts
from coin.members_ldap.provisioning import schedule_member

_PENDING_HASH = "_members_ldap_password_hash"


def ldap_hash(raw_password: str) -> str:
    return hash_password(
        raw_password,
        conf.setting("MEMBERS_LDAP_PASSWORD_SCHEME"),
        setting_name="MEMBERS_LDAP_PASSWORD_SCHEME",
    )


@receiver(password_set, dispatch_uid="members-ldap-password")
def derive_ldap_hash(sender: type[Member], member: Member, raw_password: str | None, **kwargs: Any) -> None:
    if not conf.enabled():
        return
    setattr(member, _PENDING_HASH, ldap_hash(raw_password) if raw_password is not None else "")


@receiver(post_save, sender=Member, dispatch_uid="members-ldap-save")
def push_member(
    sender: type[Member],
    instance: Member,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if raw or not conf.enabled():
        return
    pending = getattr(instance, _PENDING_HASH, None)
    if pending is None and update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    from coin.members_ldap.models import DirectoryAccount

    with transaction.atomic():
        ensure_accounts([instance.pk], strict=False)
        if pending is not None:
            DirectoryAccount.objects.filter(member_id=instance.pk).update(password_hash=pending)
            delattr(instance, _PENDING_HASH)
        schedule_member(instance)


@receiver(pre_delete, sender=Member, dispatch_uid="members-ldap-delete")
def push_deletion(sender: type[Member], instance: Member, **kwargs: Any) -> None:
    if conf.enabled():
        schedule_member(instance, action="delete")
