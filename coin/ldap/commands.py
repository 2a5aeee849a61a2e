"""What the drift-repair commands of LDAP directories (vpn_ldap_sync, members_ldap_sync)
share: the connection or a clear error, repairing under a progress bar, and the
closing report."""

from collections.abc import Callable
from typing import Any

import ldap
from django.core.management.base import BaseCommand, CommandError
from ldap.ldapobject import LDAPObject

from coin.commands import progress
from coin.ldap.directory import connect

#: ``repair(connection, drift, on_item=...)`` → (number repaired, [(name, error), …])
Repair = Callable[..., tuple[int, list[tuple[str, Any]]]]


def connect_or_fail() -> LDAPObject:
    """A bound connection, or the command's error saying that LDAP is out of reach
    (server down, refused bind, failed StartTLS) and why."""
    try:
        return connect()
    except ldap.LDAPError as error:
        raise CommandError(f"Cannot reach the LDAP server: {error}") from error


def repair_with_progress(
    connection: Any, drift: Any, repair: Repair, verbosity: int
) -> tuple[int, list[tuple[str, Any]]]:
    """Run ``repair`` on ``drift`` (which has a ``total``), one tick of the bar per entry."""
    bar = progress(range(drift.total), drift.total, "Repairing", enabled=verbosity >= 1)
    repaired, failures = repair(connection, drift, on_item=lambda _name: next(bar, None))
    for _rest in bar:
        pass
    return repaired, failures


def report_repair(command: BaseCommand, summary: str, repaired: int, failures: list[tuple[str, Any]]) -> None:
    """Each failure on stderr, then the summary; exit non-zero when something failed, so
    that cron or the systemd timer reports it."""
    for name, error in failures:
        command.stderr.write(f"failed: {name}: {error}")
    command.stdout.write(f"{summary}; {repaired} repaired, {len(failures)} failed.")
    if failures:
        raise CommandError(f"{len(failures)} entries could not be repaired: run it again.")
