"""The drift between the database (the truth) and a directory, for the sync
commands of the apps that keep entries in LDAP (``vpn.sync``,
``coin.members_ldap.sync``): which wanted entries are missing, which differ, which
entries only the directory has; and the repairs applied one by one, one failure
stopping none of the others.

A *state* is an app's own dict of what one entry must hold (``account_state``,
``member_state``); the app gives the function that turns it into an entry and the
comparison of entries for its managed attributes.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import ldap

from coin.ldap.directory import Entry, Modlist

State = dict[str, Any]


@dataclass
class Drift:
    """What differs, by the entries' key (a VPN login, a member's uid): ``key`` names
    the state's item that holds it."""

    key: str
    missing: list[State] = field(default_factory=list)
    changed: list[tuple[State, Modlist]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.changed) + len(self.extra)

    def describe_entries(self) -> Iterator[str]:
        """One line per missing or changed entry, naming the attributes that differ."""
        for state in self.missing:
            yield f"missing: {state[self.key]}"
        for state, changes in self.changed:
            names = sorted({change[1] for change in changes})
            yield f"changed: {state[self.key]} ({', '.join(names)})"


AnyDrift = TypeVar("AnyDrift", bound=Drift)


def compare(
    drift: AnyDrift,
    wanted: dict[str, State],
    current: dict[str, Entry],
    entry_for: Callable[[State], Entry],
    differences: Callable[[Entry, Entry], Modlist],
) -> AnyDrift:
    """Fill ``drift`` with what turns ``current`` (entries by key) into ``wanted``
    (states by key); returns it."""
    for key, state in wanted.items():
        entry = current.get(key)
        if entry is None:
            drift.missing.append(state)
            continue
        changes = differences(entry, entry_for(state))
        if changes:
            drift.changed.append((state, changes))
        else:
            drift.unchanged += 1
    drift.extra = sorted(set(current) - set(wanted))
    return drift


def apply_each(
    operations: Iterable[tuple[str, Callable[[], object]]], on_item: Callable[[str], None] | None = None
) -> tuple[int, list[tuple[str, str]]]:
    """Run each (key, operation); an LDAP error is recorded for its key and the next
    one runs. Returns (how many succeeded, [(key, error)])."""
    done = 0
    failures: list[tuple[str, str]] = []
    for key, operation in operations:
        try:
            operation()
            done += 1
        except ldap.LDAPError as error:
            failures.append((key, str(error)))
        if on_item:
            on_item(key)
    return done, failures
