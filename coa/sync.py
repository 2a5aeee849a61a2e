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


def radius_sync(dry_run: bool = False, accounts=None, progress=lambda items, total: items) -> SyncReport:
    """Rewrite the rows of every account whose rows differ from what Coin holds, and
    remove the rows of logins Coin does not know (Coin owns radcheck, radreply and
    radusergroup). Running it twice changes nothing the second time."""
    from coa.models import RadiusAccount
    from coa.radius import account_state, remove_logins, write_accounts

    accounts = (
        accounts
        if accounts is not None
        else RadiusAccount.objects.select_related("offersubscription__offer__radius_group").prefetch_related(
            "ip_subnet"
        )
    )
    accounts = list(accounts)
    stored = stored_state()
    report = SyncReport()
    suspended = suspended_subscription_ids()
    known = set()
    repairs = []
    for account in progress(accounts, len(accounts)):
        report.checked += 1
        wanted = account_state(account, account.offersubscription_id in suspended)
        wanted["previous_logins"] = []
        known.add(account.login)
        have = stored.get(account.login, {"check": [], "reply": [], "groups": []})
        if _comparable(have) != _comparable(wanted):
            report.repaired.append(account.login)
            repairs.append(wanted)
    if repairs and not dry_run:
        write_accounts(repairs)
    report.removed = sorted(set(stored) - known)
    if report.removed and not dry_run:
        with transaction.atomic(using=setting("RADIUS_DATABASE")):
            remove_logins(report.removed)
    return report
