"""The LDAP side of members: ``uid=<username>,MEMBERS_LDAP_BASE_DN`` and the
members' group (MEMBERS_LDAP_GROUP_DN).

==================  ====================================  ================
attribute           holds                                 object class
==================  ====================================  ================
uid                 the username                          inetOrgPerson
cn, displayName     the full name (or organisation name)  inetOrgPerson
sn, givenName       last and first names                  inetOrgPerson
mail                the email address                     inetOrgPerson
userPassword        the salted hash ({ARGON2}…); absent   inetOrgPerson
                    while the entry is disabled or before
                    the member sets a password
uidNumber,          the member's POSIX id (both), home    posixAccount
gidNumber,          directory and a shell-less login      (MEMBERS_LDAP_POSIX)
homeDirectory,      shell
loginShell
==================  ====================================  ================

The group is a ``groupOfNames`` whose ``member`` values are the DNs of members in
good standing. groupOfNames needs at least one member: an empty group holds its
own DN. Writes are idempotent: ``put_member`` makes the entry and its group
membership exactly what the state says.
"""

from typing import Any

import ldap
import ldap.dn
import ldap.modlist
from ldap.ldapobject import LDAPObject

from coin.ldap import directory as ldap_directory
from coin.ldap.directory import Entry, Modlist
from coin.members_ldap.conf import base_dn, group_dn

MANAGED_ATTRIBUTES = (
    "objectClass", "uid", "cn", "sn", "givenName", "displayName", "mail", "userPassword",
    "uidNumber", "gidNumber", "homeDirectory", "loginShell",
)  # fmt: skip
connect = ldap_directory.connect


def member_dn(username: str) -> str:
    return f"uid={ldap.dn.escape_dn_chars(username)},{base_dn()}"


def object_classes(state: dict[str, Any]) -> list[str]:
    return ["inetOrgPerson", "posixAccount"] if state.get("posix") else ["inetOrgPerson"]


def entry_for(state: dict[str, Any]) -> Entry:
    """The attributes of a member's entry (``state`` as made by
    coin.members_ldap.accounts.member_state)."""
    entry: dict[str, list[str]] = {
        "objectClass": object_classes(state),
        "uid": [state["uid"]],
        "cn": [state["cn"]],
        "sn": [state["sn"]],
        "displayName": [state["display_name"]],
    }
    if state["given_name"]:
        entry["givenName"] = [state["given_name"]]
    if state["mail"]:
        entry["mail"] = [state["mail"]]
    if state["password"]:
        entry["userPassword"] = [state["password"]]
    if state.get("posix"):
        posix = state["posix"]
        entry["uidNumber"] = entry["gidNumber"] = [str(posix["id_number"])]
        entry["homeDirectory"] = [posix["home"]]
        entry["loginShell"] = [posix["shell"]]
    return {name: [value.encode() for value in values] for name, values in entry.items()}


def differences(current: Entry, wanted: Entry) -> Modlist:
    return ldap_directory.differences(current, wanted, MANAGED_ATTRIBUTES)


def read_member(connection: LDAPObject, username: str) -> Entry | None:
    return ldap_directory.read_entry(connection, member_dn(username), MANAGED_ATTRIBUTES)


def read_all(connection: LDAPObject) -> dict[str, Entry]:
    """Every person entry (inetOrgPerson) under the base DN, by uid: one paged search."""
    return ldap_directory.entries_by_uid(
        connection, base_dn(), "(objectClass=inetOrgPerson)", MANAGED_ATTRIBUTES
    )


def put_entry(connection: LDAPObject, state: dict[str, Any]) -> str:
    """Make the member's entry hold exactly ``state``: "added", "modified" or "unchanged"."""
    dn = member_dn(state["uid"])
    wanted = entry_for(state)
    current = read_member(connection, state["uid"])
    if current is None:
        try:
            connection.add_s(dn, ldap.modlist.addModlist(wanted))
            return "added"
        except ldap.ALREADY_EXISTS:
            current = read_member(connection, state["uid"]) or {}
    changes = differences(current, wanted)
    if not changes:
        return "unchanged"
    connection.modify_s(dn, changes)
    return "modified"


# --- the group ---------------------------------------------------------------


def group_members(connection: LDAPObject) -> set[str] | None:
    """The group's member DNs (lower-cased, its own placeholder left out), None when
    the group does not exist."""
    entry = ldap_directory.read_entry(connection, group_dn(), ["member"])
    if entry is None:
        return None
    own = group_dn().lower()
    return {value.decode().lower() for value in entry.get("member", [])} - {own}


def _create_group(connection: LDAPObject, members: list[str]) -> None:
    rdn = ldap.dn.str2dn(group_dn())[0][0]
    entry = {
        "objectClass": [b"groupOfNames"],
        rdn[0]: [rdn[1].encode()],
        "member": [dn.encode() for dn in (members or [group_dn()])],
    }
    connection.add_s(group_dn(), ldap.modlist.addModlist(entry))


def set_membership(connection: LDAPObject, username: str, member: bool) -> None:
    """Add the member's DN to the group or take it out (idempotent; the group is
    created when missing, and keeps its own DN as placeholder when empty)."""
    dn = member_dn(username)
    current = group_members(connection)
    if current is None:
        if member:
            try:
                _create_group(connection, [dn])
                return
            except ldap.ALREADY_EXISTS:
                current = group_members(connection) or set()
        else:
            return
    if member == (dn.lower() in current):
        return
    if member:
        changes = [(ldap.MOD_ADD, "member", [dn.encode()])]
        if not current:
            changes.append((ldap.MOD_DELETE, "member", [group_dn().encode()]))
    else:
        changes = [(ldap.MOD_DELETE, "member", [dn.encode()])]
        if current == {dn.lower()}:
            changes.insert(0, (ldap.MOD_ADD, "member", [group_dn().encode()]))
    try:
        connection.modify_s(group_dn(), changes)
    except (ldap.TYPE_OR_VALUE_EXISTS, ldap.NO_SUCH_ATTRIBUTE):
        # Changed by another writer meanwhile: do it one value at a time.
        _set_value(connection, dn, member)


def _set_value(connection: LDAPObject, dn: str, member: bool) -> None:
    try:
        connection.modify_s(
            group_dn(), [(ldap.MOD_ADD if member else ldap.MOD_DELETE, "member", [dn.encode()])]
        )
    except (ldap.TYPE_OR_VALUE_EXISTS, ldap.NO_SUCH_ATTRIBUTE):
        pass
    except ldap.OBJECT_CLASS_VIOLATION:  # it was the last member: keep the placeholder
        connection.modify_s(group_dn(), [(ldap.MOD_REPLACE, "member", [group_dn().encode()])])


def replace_group_members(connection: LDAPObject, dns: list[str]) -> None:
    """Make the group hold exactly ``dns`` (the sync's repair)."""
    if group_members(connection) is None:
        _create_group(connection, dns)
        return
    values = [dn.encode() for dn in (dns or [group_dn()])]
    connection.modify_s(group_dn(), [(ldap.MOD_REPLACE, "member", values)])


def put_member(connection: LDAPObject, state: dict[str, Any]) -> None:
    """The entry, then its group membership."""
    put_entry(connection, state)
    set_membership(connection, state["uid"], state["in_group"])


def delete_member(connection: LDAPObject, username: str) -> bool:
    """Take the member out of the group and remove the entry; False when there was none."""
    set_membership(connection, username, False)
    try:
        connection.delete_s(member_dn(username))
    except ldap.NO_SUCH_OBJECT:
        return False
    return True
