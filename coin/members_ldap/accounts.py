"""The rules of a member's LDAP entry: who is in the members' group, whose entry
is disabled, what the entry holds, and which POSIX id a member gets. Pure
functions of their arguments, except ``ensure_accounts`` (database)."""

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from coin.members.models import Member
from coin.members_ldap.conf import setting

Status = Member.Status
logger = logging.getLogger(__name__)


def in_good_standing(
    status: str, is_active: bool, resign_date: datetime.date | None, today: datetime.date
) -> bool:
    """In the members' group: a member (status), active, not resigned as of today."""
    return status == Status.MEMBER and is_active and (resign_date is None or resign_date > today)


def is_disabled(
    status: str, is_active: bool, resign_date: datetime.date | None, today: datetime.date
) -> bool:
    """Resigned, excluded (no longer a member) or deactivated: the entry stays, but
    nobody can bind as it (no userPassword) until that changes. A pending sign-up
    is not disabled (it can bind) but is not in the group."""
    resigned = resign_date is not None and resign_date <= today
    return not is_active or status == Status.NOT_MEMBER or resigned


def member_state(
    *,
    username: str,
    first_name: str,
    last_name: str,
    organization_name: str,
    member_type: str,
    email: str,
    status: str,
    is_active: bool,
    resign_date: datetime.date | None,
    password_hash: str,
    id_number: int | None,
    today: datetime.date,
) -> dict[str, Any]:
    """What the directory must hold for one member (JSON-serialisable)."""
    legal = member_type == Member.Type.LEGAL_ENTITY and organization_name.strip()
    full_name = " ".join(part for part in (first_name.strip(), last_name.strip()) if part)
    display = organization_name.strip() if legal else (full_name or username)
    disabled = is_disabled(status, is_active, resign_date, today)
    state: dict[str, Any] = {
        "uid": username,
        "cn": display,
        "sn": (organization_name.strip() if legal else last_name.strip()) or username,
        "given_name": "" if legal else first_name.strip(),
        "display_name": display,
        "mail": email.strip(),
        "password": "" if disabled else password_hash,
        "enabled": not disabled,
        "in_group": in_good_standing(status, is_active, resign_date, today),
        "posix": None,
    }
    if setting("MEMBERS_LDAP_POSIX") and id_number is not None:
        state["posix"] = {
            "id_number": id_number,
            "home": setting("MEMBERS_LDAP_HOME_DIRECTORY").format(username=username),
            "shell": setting("MEMBERS_LDAP_LOGIN_SHELL"),
        }
    return state


def free_id_numbers(count: int, taken: Iterable[int], first: int, last: int) -> list[int]:
    """The ``count`` lowest numbers of [first, last] not in ``taken``; ValueError
    naming MEMBERS_LDAP_ID_RANGE when the range is full."""
    taken = set(taken)
    numbers: list[int] = []
    candidate = first
    while len(numbers) < count:
        if candidate > last:
            raise ValueError(
                f"MEMBERS_LDAP_ID_RANGE {first}-{last} is full: widen it to give POSIX ids to more members."
            )
        if candidate not in taken:
            numbers.append(candidate)
        candidate += 1
    return numbers


def ensure_accounts(member_ids: Iterable[int], strict: bool = True) -> None:
    """Give each member a DirectoryAccount (and a POSIX id when MEMBERS_LDAP_POSIX),
    in a few queries. Ids are taken under a lock on the table's rows, so two
    writers never hand out the same one (and a unique constraint backs it). A full
    MEMBERS_LDAP_ID_RANGE raises ValueError; with ``strict=False`` (a member's own
    save, which must not fail for it) it is logged and the members go without a
    POSIX id until the range is widened and members_ldap_sync runs."""
    from coin.members_ldap.models import DirectoryAccount

    member_ids = list(member_ids)
    posix = setting("MEMBERS_LDAP_POSIX")
    with transaction.atomic():
        existing = dict(
            DirectoryAccount.objects.filter(member_id__in=member_ids).values_list("member_id", "id_number")
        )
        missing = [pk for pk in member_ids if pk not in existing]
        if missing:
            DirectoryAccount.objects.bulk_create(
                [DirectoryAccount(member_id=pk) for pk in missing], ignore_conflicts=True
            )
        if not posix:
            return
        without = sorted(pk for pk in member_ids if existing.get(pk) is None)
        if not without:
            return
        first, last = setting("MEMBERS_LDAP_ID_RANGE")
        taken = [
            number
            for number in DirectoryAccount.objects.select_for_update()
            .filter(id_number__isnull=False)
            .values_list("id_number", flat=True)
            if number is not None
        ]
        accounts = list(DirectoryAccount.objects.filter(member_id__in=without, id_number__isnull=True))
        try:
            numbers = free_id_numbers(len(accounts), taken, first, last)
        except ValueError as error:
            if strict:
                raise
            logger.error("%s (members %s have no POSIX id)", error, [a.member_id for a in accounts])
            return
        for account, number in zip(accounts, numbers, strict=True):
            account.id_number = number
        DirectoryAccount.objects.bulk_update(accounts, ["id_number"], batch_size=2000)
