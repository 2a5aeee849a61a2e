"""Becoming a member: saving a person, recording a fee, and the welcome email.

The one write path of the admin, the API, the sign-up views and the demo data for
``Member`` and ``MembershipFee`` rows whose saving can make someone a member: the
person who becomes a member (status "member", which the stored row did not have)
gets the welcome email once the transaction commits.
"""

from typing import Any

from django.db import transaction

from coin.members.models import Member, MembershipFee
from coin.members.tasks import send_welcome_email


def becomes_member(member: Member) -> bool:
    """True when saving ``member`` now makes them a member: status "member", and the
    stored row (asked of the database, not of this maybe stale instance) is not."""
    if member.status != Member.Status.MEMBER:
        return False
    return member.pk is None or not Member.objects.filter(pk=member.pk, status=Member.Status.MEMBER).exists()


def welcome_on_commit(member: Member) -> None:
    """Queue the welcome email for after the commit (a mail server that is down never
    undoes the change)."""
    member_id = member.pk
    transaction.on_commit(lambda: send_welcome_email.enqueue(member_id))


def save_member(member: Member, **save_kwargs: Any) -> Member:
    """Save a new or changed member; welcome them if this save makes them a member."""
    with transaction.atomic():
        welcome = becomes_member(member)
        member.save(**save_kwargs)
        if welcome:
            welcome_on_commit(member)
    return member


def register_member(member: Member) -> Member:
    """Save a new account (admin, API, sign-up, demo)."""
    if not member._state.adding:
        raise ValueError("register_member() takes a member that is not saved yet.")
    return save_member(member)


def record_fee(fee: MembershipFee) -> MembershipFee:
    """Save a membership fee (new or changed). Recording a fee is what turns a pending
    sign-up into a member, who is then welcomed."""
    with transaction.atomic():
        fee.save()
        member = Member.objects.select_for_update().get(pk=fee.member_id)
        if member.status == Member.Status.PENDING:
            member.status = Member.Status.MEMBER
            save_member(member, update_fields=["status"])
    return fee
