"""Members' entries on Coin's provisioning queue (subject ``member:<pk>``).

Every sign-up, profile change, password change and status change of a member
records an "update" job whose payload is the entry's full wanted state (the
password only as its salted hash); deleting the member records a "delete".
``apply`` makes the directory hold exactly that state, so replaying a job is
harmless, and raises when the directory is down (the queue retries, in order).
"""

from typing import Any

from django.utils import timezone

from coin.members.models import Member
from coin.members_ldap import directory
from coin.members_ldap.accounts import member_state
from coin.provisioning.base import Provisioner
from coin.provisioning.jobs import schedule_subject
from coin.provisioning.models import ProvisioningJob

PROVISIONER = "coin.members_ldap.provisioning.MemberLDAPProvisioner"


def subject_of(member: Member) -> str:
    return f"member:{member.pk}"


def wanted_state(member: Member) -> dict[str, Any]:
    """The state the directory must hold for ``member`` today."""
    from coin.members_ldap.models import DirectoryAccount

    account = DirectoryAccount.objects.filter(member_id=member.pk).first()
    return member_state(
        username=member.username,
        first_name=member.first_name,
        last_name=member.last_name,
        organization_name=member.organization_name,
        member_type=member.type,
        email=member.email,
        status=member.status,
        is_active=member.is_active,
        resign_date=member.resign_date,
        password_hash=account.password_hash if account else "",
        id_number=account.id_number if account else None,
        today=timezone.localdate(),
    )


def last_pushed_uid(member: Member) -> str | None:
    """The uid of the subject's last job: the entry's name in LDAP before a rename."""
    last = (
        ProvisioningJob.objects.filter(subject=subject_of(member), provisioner=PROVISIONER)
        .order_by("-id")
        .values_list("payload", flat=True)
        .first()
    )
    return (last or {}).get("uid")


class MemberLDAPProvisioner(Provisioner):
    name = "members-ldap"

    def snapshot(self, member: Member, action: str) -> dict[str, Any]:
        if action == "delete":
            return {"uid": last_pushed_uid(member) or member.username}
        payload = wanted_state(member)
        previous = last_pushed_uid(member)
        payload["previous_uid"] = previous if previous and previous != member.username else None
        return payload

    def apply(self, action: str, payload: dict[str, Any]) -> None:
        connection = directory.connect()
        try:
            if action == "delete":
                directory.delete_member(connection, payload["uid"])
                return
            if payload.get("previous_uid"):
                directory.delete_member(connection, payload["previous_uid"])
            directory.put_member(connection, payload)
        finally:
            connection.unbind_s()


def schedule_member(member: Member, action: str = "update") -> list[ProvisioningJob]:
    """Record, in the current transaction, that the member's entry must change; a
    state equal to the last one recorded adds no job (e.g. a login that only
    touched ``last_login``)."""
    return schedule_subject(subject_of(member), member, [PROVISIONER], action, skip_if_same_as_last=True)
