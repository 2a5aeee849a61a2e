"""Comparing the database with the directory, and repairing the drift.

The database is the truth: an account missing from LDAP is added, one that
differs is modified to the exact wanted state, and an account entry
(``objectClass=coinVPNAccount``) under VPN_LDAP_BASE_DN that no configuration has
is deleted. Other entries under the base DN are left alone. Running it twice is
harmless: the second run finds nothing to do.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils import timezone

from vpn import directory
from vpn.accounts import account_state

Account = dict[str, Any]


def wanted_accounts() -> dict[str, Account]:
    """The state every account must have in LDAP, by login, in a few queries."""
    from vpn.models import VPNConfiguration

    suspended: set[int] = set()
    if apps.is_installed("coin.billing"):
        from coin.billing.models import ServiceSuspension

        suspended = set(
            ServiceSuspension.objects.filter(resumed_at__isnull=True).values_list(
                "offersubscription_id", flat=True
            )
        )
    from coin.resources.ip import key_value, network_from_range
    from coin.resources.models import IPSubnet

    today = timezone.localdate()
    networks: dict[int, list] = {}
    # Networks rebuilt from their stored integer keys: much cheaper than parsing
    # the text of 20,000 networks.
    for configuration_id, start, prefixlen in IPSubnet.objects.filter(
        configuration__in=VPNConfiguration.objects.values("pk")
    ).values_list("configuration_id", "range_start", "prefixlen"):
        networks.setdefault(configuration_id, []).append(network_from_range(*key_value(start), prefixlen))
    accounts = {}
    rows = VPNConfiguration.objects.order_by("login").values_list(
        "pk", "login", "password", "activated", "ipv4_endpoint", "ipv6_endpoint", "offersubscription_id",
        "offersubscription__subscription_date", "offersubscription__resign_date",
    )  # fmt: skip
    for pk, login, password, activated, ipv4, ipv6, subscription_id, start, end in rows.iterator(
        chunk_size=2000
    ):
        running = start <= today and (end is None or end > today)
        accounts[login] = account_state(
            login=login,
            password_hash=password,
            activated=activated,
            in_service=running and subscription_id not in suspended,
            ipv4_endpoint=ipv4,
            ipv6_endpoint=ipv6,
            networks=networks.get(pk, []),
        )
    return accounts


@dataclass
class Drift:
    missing: list[Account] = field(default_factory=list)
    changed: list[tuple[Account, list]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.changed) + len(self.extra)

    def describe(self) -> Iterable[str]:
        for account in self.missing:
            yield f"missing: {account['login']}"
        for account, changes in self.changed:
            names = sorted({name for _op, name, _values in changes})
            yield f"changed: {account['login']} ({', '.join(names)})"
        for login in self.extra:
            yield f"extra: {login}"


def compare(wanted: dict[str, Account], current: dict[str, directory.Entry]) -> Drift:
    drift = Drift()
    for login, account in wanted.items():
        entry = current.get(login)
        if entry is None:
            drift.missing.append(account)
            continue
        changes = directory.differences(entry, directory.entry_for(account))
        if changes:
            drift.changed.append((account, changes))
        else:
            drift.unchanged += 1
    drift.extra = sorted(set(current) - set(wanted))
    return drift


def repair(
    connection, drift: Drift, on_item: Callable[[str], None] | None = None
) -> tuple[int, list[tuple[str, str]]]:
    """Apply the drift's repairs; one failure does not stop the others.
    Returns (repaired, [(login, error)])."""
    import ldap

    failures = directory.add_accounts(connection, drift.missing, on_item=on_item)
    repaired = len(drift.missing) - len(failures)
    operations: list[tuple[str, Callable[[], None]]] = [
        (account["login"], lambda account=account: directory.put_account(connection, account))
        for account, _changes in drift.changed
    ]
    operations += [
        (login, lambda login=login: directory.delete_account(connection, login)) for login in drift.extra
    ]
    for login, operation in operations:
        try:
            operation()
            repaired += 1
        except ldap.LDAPError as error:
            failures.append((login, str(error)))
        if on_item:
            on_item(login)
    return repaired, failures
