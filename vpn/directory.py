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

from typing import Any

import ldap
import ldap.dn
import ldap.modlist

from vpn.conf import setting

OBJECT_CLASSES = ["account", "radiusprofile", "coinVPNAccount"]
MANAGED_ATTRIBUTES = [
    "objectClass",
    "uid",
    "userPassword",
    "radiusFramedIPAddress",
    "radiusFramedRoute",
    "coinVPNActive",
    "coinVPNIPv6Endpoint",
    "coinVPNIPv6Route",
]
Entry = dict[str, list[bytes]]


def base_dn() -> str:
    return setting("VPN_LDAP_BASE_DN")


def account_dn(login: str) -> str:
    return f"uid={ldap.dn.escape_dn_chars(login)},{base_dn()}"


def connect() -> "ldap.ldapobject.LDAPObject":
    """A bound connection to LDAP_URI (StartTLS first when LDAP_START_TLS)."""
    timeout = setting("LDAP_TIMEOUT")
    connection = ldap.initialize(setting("LDAP_URI"))
    connection.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
    connection.set_option(ldap.OPT_NETWORK_TIMEOUT, timeout)
    connection.set_option(ldap.OPT_TIMEOUT, timeout)
    connection.set_option(ldap.OPT_REFERRALS, 0)
    if setting("LDAP_START_TLS"):
        connection.start_tls_s()
    connection.simple_bind_s(setting("LDAP_BIND_DN"), setting("LDAP_BIND_PASSWORD"))
    return connection


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
    """Managed attributes only, under their schema names, values sorted (LDAP
    attribute names are case-insensitive and values unordered)."""
    by_lower = {name.lower(): name for name in MANAGED_ATTRIBUTES}
    result: Entry = {}
    for name, values in entry.items():
        canonical = by_lower.get(name.lower())
        if canonical is not None:
            result[canonical] = sorted(values)
    if "objectClass" in result:
        result["objectClass"] = sorted(value.lower() for value in result["objectClass"])
    return result


def differences(current: Entry, wanted: Entry) -> list:
    """The modify list that turns ``current`` into ``wanted`` (empty when equal)."""
    current, wanted = normalise(current), normalise(wanted)
    if current.get("objectClass") == wanted.get("objectClass"):
        current.pop("objectClass", None)
        wanted.pop("objectClass", None)
    else:
        wanted["objectClass"] = [value.encode() for value in OBJECT_CLASSES]
    return ldap.modlist.modifyModlist(current, wanted)


def read_account(connection, login: str) -> Entry | None:
    try:
        results = connection.search_s(
            account_dn(login), ldap.SCOPE_BASE, "(objectClass=*)", MANAGED_ATTRIBUTES
        )
    except ldap.NO_SUCH_OBJECT:
        return None
    return results[0][1] if results else None


def read_all(connection) -> dict[str, Entry]:
    """Every account entry under the base DN, by login (one paged-free subtree search)."""
    results = connection.search_s(
        base_dn(), ldap.SCOPE_ONELEVEL, "(objectClass=coinVPNAccount)", MANAGED_ATTRIBUTES
    )
    entries = {}
    for _dn, attributes in results:
        uid = attributes.get("uid") or attributes.get("userid")
        if uid:
            entries[uid[0].decode()] = attributes
    return entries


def add_account(connection, account: dict[str, Any]) -> None:
    connection.add_s(account_dn(account["login"]), ldap.modlist.addModlist(entry_for(account)))


def add_accounts(connection, accounts, window: int = 64, on_item=None) -> list[tuple[str, str]]:
    """Add many entries, keeping up to ``window`` adds in flight on the connection
    (asynchronous LDAP operations) instead of waiting for each answer. Returns the
    failures as (login, error); an entry that exists already is no failure."""
    pending: list[tuple[int, str]] = []
    failures: list[tuple[str, str]] = []

    def collect() -> None:
        message_id, login = pending.pop(0)
        try:
            connection.result(message_id)
        except ldap.ALREADY_EXISTS:
            pass
        except ldap.LDAPError as error:
            failures.append((login, str(error)))
        if on_item:
            on_item(login)

    for account in accounts:
        login = account["login"]
        pending.append(
            (connection.add(account_dn(login), ldap.modlist.addModlist(entry_for(account))), login)
        )
        if len(pending) >= window:
            collect()
    while pending:
        collect()
    return failures


def put_account(connection, account: dict[str, Any]) -> str:
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


def delete_account(connection, login: str) -> bool:
    """Remove the entry; False when there was none."""
    try:
        connection.delete_s(account_dn(login))
    except ldap.NO_SUCH_OBJECT:
        return False
    return True
