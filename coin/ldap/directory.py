"""A bound connection, paged reads and pipelined writes, and exact-state
comparison of entries: the LDAP plumbing that the apps' own directory modules
(``vpn.directory``, ``coin.members.directory``) build on.

An *entry* here is python-ldap's attribute dict: ``{name: [bytes, ...]}``.
"""

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import ldap
import ldap.modlist
from ldap.controls import SimplePagedResultsControl
from ldap.ldapobject import LDAPObject

from coin.ldap.conf import setting

Entry = dict[str, list[bytes]]
Modlist = list[tuple[Any, ...]]


def connect() -> LDAPObject:
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


def paged_search(
    connection: LDAPObject,
    base: str,
    filterstr: str,
    attributes: Iterable[str],
    scope: int = ldap.SCOPE_ONELEVEL,
    page_size: int | None = None,
) -> Iterator[tuple[str, Entry]]:
    """Every (dn, entry) of one search of ``base``, read in pages of ``page_size``
    (LDAP_PAGE_SIZE) with the simple paged results control, so a server's size
    limit for the bind DN never cuts the result short. The next page is asked for
    as soon as one arrives, before the caller handles it. A missing base yields
    nothing."""
    size = page_size or setting("LDAP_PAGE_SIZE")
    attributes = list(attributes)
    control = SimplePagedResultsControl(True, size=size, cookie="")
    try:
        message_id = connection.search_ext(base, scope, filterstr, attributes, serverctrls=[control])
        while True:
            _type, results, _id, controls = connection.result3(message_id)
            cookie = next(
                (c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType),
                b"",
            )
            if cookie:
                control.cookie = cookie
                message_id = connection.search_ext(base, scope, filterstr, attributes, serverctrls=[control])
            for dn, entry in results:
                if dn is not None:  # search references carry no dn
                    yield dn, entry
            if not cookie:
                return
    except ldap.NO_SUCH_OBJECT:
        return


def entries_by_uid(
    connection: LDAPObject, base: str, filterstr: str, attributes: Iterable[str]
) -> dict[str, Entry]:
    """Every entry of one paged one-level search of ``base``, by its ``uid`` (entries
    without one are left out)."""
    entries = {}
    for _dn, entry in paged_search(connection, base, filterstr, attributes):
        uid = entry.get("uid") or entry.get("userid")
        if uid:
            entries[uid[0].decode()] = entry
    return entries


def read_entry(connection: LDAPObject, dn: str, attributes: Iterable[str]) -> Entry | None:
    """The entry at ``dn`` (those attributes), None when there is none."""
    try:
        results = connection.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", list(attributes))
    except ldap.NO_SUCH_OBJECT:
        return None
    return results[0][1] if results else None


def add_many(
    connection: LDAPObject,
    entries: Iterable[tuple[str, str, Entry]],
    window: int = 64,
    on_item: Callable[[str], None] | None = None,
) -> list[tuple[str, str]]:
    """Add many entries given as (key, dn, entry), keeping up to ``window`` adds in
    flight on the connection (asynchronous LDAP operations) instead of waiting for
    each answer. Returns the failures as (key, error); an entry that exists
    already is no failure."""
    pending: list[tuple[int, str]] = []
    failures: list[tuple[str, str]] = []

    def collect() -> None:
        message_id, key = pending.pop(0)
        try:
            connection.result(message_id)
        except ldap.ALREADY_EXISTS:
            pass
        except ldap.LDAPError as error:
            failures.append((key, str(error)))
        if on_item:
            on_item(key)

    for key, dn, entry in entries:
        pending.append((connection.add(dn, ldap.modlist.addModlist(entry)), key))
        if len(pending) >= window:
            collect()
    while pending:
        collect()
    return failures


@functools.lru_cache(maxsize=32)
def _by_lower(managed: tuple[str, ...]) -> dict[str, str]:
    return {name.lower(): name for name in managed}


def normalise(entry: Entry, managed: Iterable[str]) -> Entry:
    """The ``managed`` attributes only, under their schema names, values sorted
    (LDAP attribute names are case-insensitive and values unordered; objectClass
    values are compared lower-cased)."""
    by_lower = _by_lower(tuple(managed))
    result: Entry = {}
    for name, values in entry.items():
        canonical = by_lower.get(name.lower())
        if canonical is not None:
            result[canonical] = sorted(values)
    if "objectClass" in result:
        result["objectClass"] = sorted(value.lower() for value in result["objectClass"])
    return result


def differences(current: Entry, wanted: Entry, managed: Iterable[str]) -> Modlist:
    """The modify list that turns ``current`` into ``wanted`` for the ``managed``
    attributes (empty when they are equal). Object classes are rewritten as
    ``wanted`` has them when they differ."""
    managed = tuple(managed)
    current, normal = normalise(current, managed), normalise(wanted, managed)
    if current == normal:
        return []
    if current.get("objectClass") == normal.get("objectClass"):
        current.pop("objectClass", None)
        normal.pop("objectClass", None)
    else:
        normal["objectClass"] = list(wanted["objectClass"])
    changes: Modlist = ldap.modlist.modifyModlist(current, normal)
    return changes
