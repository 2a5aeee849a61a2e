"""Comparing the database with the directory, and repairing the drift.

The database is the truth: an account missing from LDAP is added, one that
differs is modified to the exact wanted state, and an account entry
(``objectClass=coinVPNAccount``) under VPN_LDAP_BASE_DN that no configuration has
is deleted. Other entries under the base DN are left alone. Running it twice is
harmless: the second run finds nothing to do.
"""

import functools
from collections.abc import Callable, Iterator
from typing import Any

from django.apps import apps
from django.utils import timezone
from ldap.ldapobject import LDAPObject

from coin.ldap import drift as ldap_drift
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
    networks: dict[int, list[Any]] = {}
    # Networks rebuilt from their stored integer keys: much cheaper than parsing
    # the text of 20,000 networks.
    for configuration_id, range_start, prefixlen in IPSubnet.objects.filter(
        configuration__in=VPNConfiguration.objects.values("pk")
    ).values_list("configuration_id", "range_start", "prefixlen"):
        networks.setdefault(configuration_id, []).append(
            network_from_range(*key_value(range_start), prefixlen)
        )
    accounts: dict[str, Account] = {}
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


class Drift(ldap_drift.Drift):
    """Accounts by login; an extra account entry is deleted."""

    def describe(self) -> Iterator[str]:
        yield from self.describe_entries()
        for login in self.extra:
            yield f"extra: {login}"


def compare(wanted: dict[str, Account], current: dict[str, directory.Entry]) -> Drift:
    return ldap_drift.compare(Drift(key="login"), wanted, current, directory.entry_for, directory.differences)


def repair(
    connection: LDAPObject, drift: Drift, on_item: Callable[[str], None] | None = None
) -> tuple[int, list[tuple[str, str]]]:
    """Apply the drift's repairs; one failure does not stop the others.
    Returns (repaired, [(login, error)])."""
    failures = directory.add_accounts(connection, drift.missing, on_item=on_item)
    operations = [
        (account["login"], functools.partial(directory.put_account, connection, account))
        for account, _changes in drift.changed
    ] + [(login, functools.partial(directory.delete_account, connection, login)) for login in drift.extra]
    done, more_failures = ldap_drift.apply_each(operations, on_item)
    return len(drift.missing) - len(failures) + done, failures + more_failures
