"""Comparing the members with their LDAP entries, and repairing the drift.

The database is the truth for every member: a missing entry is added, one that
differs is modified to the exact wanted state, and the group is made to hold
exactly the members in good standing. A person entry under MEMBERS_LDAP_BASE_DN
that no member has is only *reported* (it may be a service account made by hand;
it is taken out of the members' group, which Coin owns). Members with no LDAP
hash yet are listed: their entry has no userPassword until they set a password.
Running it twice is harmless.
"""

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone
from ldap.ldapobject import LDAPObject

from coin.ldap import directory as ldap_directory
from coin.ldap import drift as ldap_drift
from coin.members.models import Member
from coin.members_ldap import directory
from coin.members_ldap.accounts import ensure_accounts, member_state

State = ldap_drift.State


def wanted_members(create_accounts: bool = True) -> dict[str, State]:
    """The state every member's entry must have, by username, in a few queries.
    ``create_accounts`` gives members their DirectoryAccount (and POSIX id) first."""
    from coin.members_ldap.models import DirectoryAccount

    if create_accounts:
        ensure_accounts(Member.objects.values_list("pk", flat=True))
    accounts = dict(
        (pk, (password_hash, id_number))
        for pk, password_hash, id_number in DirectoryAccount.objects.values_list(
            "member_id", "password_hash", "id_number"
        )
    )
    today = timezone.localdate()
    rows = Member.objects.order_by("username").values_list(
        "pk", "username", "first_name", "last_name", "organization_name", "type", "email", "status",
        "is_active", "resign_date",
    )  # fmt: skip
    wanted = {}
    for pk, username, first, last, organization, kind, email, status, active, resign in rows.iterator(2000):
        password_hash, id_number = accounts.get(pk, ("", None))
        wanted[username] = member_state(
            username=username, first_name=first, last_name=last, organization_name=organization,
            member_type=kind, email=email, status=status, is_active=active, resign_date=resign,
            password_hash=password_hash, id_number=id_number, today=today,
        )  # fmt: skip
    return wanted


def without_hash() -> list[str]:
    """Usernames of members whose LDAP entry has no password yet (they never set one
    since members went to LDAP): they must set it again (password reset)."""
    from coin.members_ldap.models import DirectoryAccount

    with_hash = DirectoryAccount.objects.exclude(password_hash="").values("member_id")
    return list(
        Member.objects.exclude(pk__in=with_hash).order_by("username").values_list("username", flat=True)
    )


@dataclass
class Drift(ldap_drift.Drift):
    """Entries by uid, and the members' group; an entry only in LDAP is left alone."""

    group_to_add: list[str] = field(default_factory=list)
    group_to_remove: list[str] = field(default_factory=list)
    unchanged: int = 0
    wanted_group: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        group = 1 if self.group_to_add or self.group_to_remove else 0
        return len(self.missing) + len(self.changed) + group

    def describe(self) -> Iterator[str]:
        yield from self.describe_entries()
        for dn in self.group_to_add:
            yield f"group: add {dn}"
        for dn in self.group_to_remove:
            yield f"group: remove {dn}"
        for uid in self.extra:
            yield f"only in LDAP (left alone): {uid}"


def compare(
    wanted: dict[str, State], current: dict[str, ldap_directory.Entry], group: set[str] | None
) -> Drift:
    drift = ldap_drift.compare(Drift(key="uid"), wanted, current, directory.entry_for, directory.differences)
    drift.wanted_group = [directory.member_dn(uid) for uid, state in wanted.items() if state["in_group"]]
    wanted_lower = {dn.lower(): dn for dn in drift.wanted_group}
    present = group if group is not None else set()
    drift.group_to_add = [dn for lower, dn in wanted_lower.items() if lower not in present]
    drift.group_to_remove = sorted(present - set(wanted_lower))
    return drift


def repair(
    connection: LDAPObject, drift: Drift, on_item: Callable[[str], None] | None = None
) -> tuple[int, list[tuple[str, str]]]:
    """Apply the drift's repairs; one failure does not stop the others.
    Returns (repaired, [(uid, error)])."""
    failures = ldap_directory.add_many(
        connection,
        (
            (state["uid"], directory.member_dn(state["uid"]), directory.entry_for(state))
            for state in drift.missing
        ),
        on_item=on_item,
    )
    operations: list[tuple[str, Callable[[], object]]] = [
        (state["uid"], functools.partial(directory.put_entry, connection, state))
        for state, _changes in drift.changed
    ]
    if drift.group_to_add or drift.group_to_remove:
        operations.append(
            ("group", functools.partial(directory.replace_group_members, connection, drift.wanted_group))
        )
    done, more_failures = ldap_drift.apply_each(operations, on_item)
    return len(drift.missing) - len(failures) + done, failures + more_failures
