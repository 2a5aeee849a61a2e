"""The LDAP side: one entry per account, ``uid=<login>,VPN_LDAP_BASE_DN``.

Attributes (see vpn/ldap/ for the schemas that slapd loads):

========================  =================================  ==========================
attribute                 holds                              schema
========================  =================================  ==========================
uid                       the login                          cosine (``account``)
userPassword              the salted hash ({ARGON2}…)        core
radiusFramedIPAddress     IPv4 endpoint                      FreeRADIUS ``radiusprofile``
radiusFramedRoute         each routed IPv4 subnet (CIDR)     FreeRADIUS ``radiusprofile``
coinVPNActive             TRUE / FALSE                       Coin's ``coinVPNAccount``
coinVPNIPv6Endpoint       IPv6 endpoint                      Coin's ``coinVPNAccount``
coinVPNIPv6Route          each routed IPv6 subnet (CIDR)     Coin's ``coinVPNAccount``
========================  =================================  ==========================

Writing is idempotent: ``put_account`` makes the entry hold exactly the wanted
state (adding it, or modifying only what differs, removing what should not be
there); ``delete_account`` is a no-op for an entry already gone.
"""

from collections.abc import Callable, Iterable
from typing import Any

import ldap
import ldap.dn
import ldap.modlist
from ldap.ldapobject import LDAPObject

from coin.ldap import directory as ldap_directory
from coin.ldap.directory import Entry, Modlist
from vpn.conf import setting

OBJECT_CLASSES = ["account", "radiusprofile", "coinVPNAccount"]
MANAGED_ATTRIBUTES = (
    "objectClass",
    "uid",
    "userPassword",
    "radiusFramedIPAddress",
    "radiusFramedRoute",
    "coinVPNActive",
    "coinVPNIPv6Endpoint",
    "coinVPNIPv6Route",
)
connect = ldap_directory.connect


def base_dn() -> str:
    return setting("VPN_LDAP_BASE_DN")


def account_dn(login: str) -> str:
    return f"uid={ldap.dn.escape_dn_chars(login)},{base_dn()}"


def entry_for(account: dict[str, Any]) -> Entry:
    """The attributes of an account's entry (``account`` as made by
    vpn.accounts.account_state)."""
    entry: dict[str, list[str]] = {
        "objectClass": OBJECT_CLASSES,
        "uid": [account["login"]],
        "coinVPNActive": ["TRUE" if account["active"] else "FALSE"],
    }
    if account["password"]:
        entry["userPassword"] = [account["password"]]
    if account["ipv4_endpoint"]:
        entry["radiusFramedIPAddress"] = [account["ipv4_endpoint"]]
    if account["ipv4_routes"]:
        entry["radiusFramedRoute"] = list(account["ipv4_routes"])
    if account["ipv6_endpoint"]:
        entry["coinVPNIPv6Endpoint"] = [account["ipv6_endpoint"]]
    if account["ipv6_routes"]:
        entry["coinVPNIPv6Route"] = list(account["ipv6_routes"])
    return {name: [value.encode() for value in values] for name, values in entry.items()}


def normalise(entry: Entry) -> Entry:
    """Managed attributes only, under their schema names, values sorted."""
    return ldap_directory.normalise(entry, MANAGED_ATTRIBUTES)


def differences(current: Entry, wanted: Entry) -> Modlist:
    """The modify list that turns ``current`` into ``wanted`` (empty when equal)."""
    return ldap_directory.differences(current, wanted, MANAGED_ATTRIBUTES)


def read_account(connection: LDAPObject, login: str) -> Entry | None:
    return ldap_directory.read_entry(connection, account_dn(login), MANAGED_ATTRIBUTES)


def read_all(connection: LDAPObject) -> dict[str, Entry]:
    """Every account entry under the base DN, by login: one paged one-level search."""
    return ldap_directory.entries_by_uid(
        connection, base_dn(), "(objectClass=coinVPNAccount)", MANAGED_ATTRIBUTES
    )


def add_account(connection: LDAPObject, account: dict[str, Any]) -> None:
    connection.add_s(account_dn(account["login"]), ldap.modlist.addModlist(entry_for(account)))


def add_accounts(
    connection: LDAPObject,
    accounts: Iterable[dict[str, Any]],
    window: int = 64,
    on_item: Callable[[str], None] | None = None,
) -> list[tuple[str, str]]:
    """Add many entries, pipelined (see coin.ldap.directory.add_many). Returns the
    failures as (login, error); an entry that exists already is no failure."""
    return ldap_directory.add_many(
        connection,
        ((a["login"], account_dn(a["login"]), entry_for(a)) for a in accounts),
        window=window,
        on_item=on_item,
    )


def put_account(connection: LDAPObject, account: dict[str, Any]) -> str:
    """Make the account's entry hold exactly ``account``: "added", "modified" or
    "unchanged"."""
    wanted = entry_for(account)
    current = read_account(connection, account["login"])
    if current is None:
        try:
            connection.add_s(account_dn(account["login"]), ldap.modlist.addModlist(wanted))
            return "added"
        except ldap.ALREADY_EXISTS:  # added meanwhile: compare again
            current = read_account(connection, account["login"]) or {}
    changes = differences(current, wanted)
    if not changes:
        return "unchanged"
    connection.modify_s(account_dn(account["login"]), changes)
    return "modified"


def delete_account(connection: LDAPObject, login: str) -> bool:
    """Remove the entry; False when there was none."""
    try:
        connection.delete_s(account_dn(login))
    except ldap.NO_SUCH_OBJECT:
        return False
    return True
