"""Repairing drift between Coin and FreeRADIUS's tables (manage.py radius_sync)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction

from coa.conf import setting


@dataclass
class SyncReport:
    checked: int = 0
    repaired: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def stored_state(logins: set[str] | None = None) -> dict[str, dict]:
    """What FreeRADIUS's tables hold now, per login, in the snapshot's shape (sorted)."""
    from coa.models import RadCheck, RadReply, RadUserGroup

    alias = setting("RADIUS_DATABASE")
    state: dict[str, dict] = defaultdict(lambda: {"check": [], "reply": [], "groups": []})
    for key, model, columns in (
        ("check", RadCheck, ("attribute", "op", "value")),
        ("reply", RadReply, ("attribute", "op", "value")),
        ("groups", RadUserGroup, ("groupname", "priority")),
    ):
        rows = model.objects.using(alias).order_by("id")
        if logins is not None:
            rows = rows.filter(username__in=logins)
        for username, *values in rows.values_list("username", *columns):
            state[username][key].append(list(values))
    return state


def suspended_subscription_ids() -> set[int]:
    """Subscriptions suspended now (coin.billing.suspension.is_suspended, in one query)."""
    from coin.billing.models import ServiceSuspension

    return set(
        ServiceSuspension.objects.filter(resumed_at__isnull=True).values_list(
            "offersubscription_id", flat=True
        )
    )


def _comparable(state: dict) -> tuple:
    return tuple(sorted(map(tuple, state[key])) for key in ("check", "reply", "groups"))


def wanted_states() -> list[dict]:
    """What FreeRADIUS must hold for every RADIUS account (radius.state_of), read in
    three queries of plain values (no model instances: the full sync stays cheap)."""
    from coa.models import RadiusAccount
    from coa.radius import state_of
    from coin.resources.models import IPSubnet

    suspended = suspended_subscription_ids()
    accounts = RadiusAccount.objects.non_polymorphic().order_by("pk")
    subnets: dict[int, list] = defaultdict(list)
    for configuration_id, inet in IPSubnet.objects.filter(
        configuration_id__in=accounts.values("pk")
    ).values_list("configuration_id", "inet"):
        subnets[configuration_id].append(inet)
    return [
        state_of(
            login=login,
            password_hash=password_hash,
            cleartext=cleartext,
            subnets=subnets.get(pk, []),
            group=group,
            suspended=subscription_id in suspended,
        )
        for pk, login, password_hash, cleartext, subscription_id, group in accounts.values_list(
            "pk",
            "login",
            "password_hash",
            "cleartext_password",
            "offersubscription_id",
            "offersubscription__offer__radius_group__name",
        )
    ]


def radius_sync(dry_run: bool = False, progress=lambda items, total: items) -> SyncReport:
    """Rewrite the rows of every account whose rows differ from what Coin holds, and
    remove the rows of logins Coin does not know (Coin owns radcheck, radreply and
    radusergroup). Running it twice changes nothing the second time."""
    from coa.radius import remove_logins, write_accounts

    wanted_all = wanted_states()
    stored = stored_state()
    report = SyncReport()
    known = set()
    repairs = []
    empty: dict[str, list] = {"check": [], "reply": [], "groups": []}
    for wanted in progress(wanted_all, len(wanted_all)):
        report.checked += 1
        known.add(wanted["login"])
        if _comparable(stored.get(wanted["login"], empty)) != _comparable(wanted):
            report.repaired.append(wanted["login"])
            repairs.append(wanted)
    if repairs and not dry_run:
        write_accounts(repairs)
    report.removed = sorted(set(stored) - known)
    if report.removed and not dry_run:
        with transaction.atomic(using=setting("RADIUS_DATABASE")):
            remove_logins(report.removed)
    return report
