"""What FreeRADIUS's tables must hold for an account, a group or a BNG, and writing it.

Rules (documented in README's BNG section):
- credentials go to radcheck: SSHA2-512-Password (salted SHA-512, verified by rlm_pap
  with no configuration), plus Cleartext-Password only when RADIUS_STORE_CLEARTEXT;
- the first IPv4 /32 is Framed-IP-Address; every other IPv4 subnet is a Framed-Route
  ("<subnet> 0.0.0.0 1": routed to the subscriber's address);
- the first IPv6 /64 is Framed-IPv6-Prefix (the WAN link, SLAAC); every other IPv6
  subnet is a Delegated-IPv6-Prefix (DHCPv6 prefix delegation);
- the account is in its offer's group; while its subscription is suspended it is in
  the RADIUS_SUSPENDED_GROUP group instead.
"""

import ipaddress
from typing import Any

from django.db import models, transaction

from coa.conf import setting

Row = list[str]  # [attribute, op, value]


def credential_rows(password_hash: str, cleartext: str) -> list[Row]:
    from coa.passwords import HASH_ATTRIBUTE

    rows = []
    if password_hash:
        rows.append([HASH_ATTRIBUTE, ":=", password_hash])
    if cleartext:
        rows.append(["Cleartext-Password", ":=", cleartext])
    return rows


def address_rows(subnets: "list[str] | list[ipaddress.IPv4Network | ipaddress.IPv6Network]") -> list[Row]:
    """radreply rows for the subnets (strings or networks) of an account, in a stable order."""
    networks = sorted((ipaddress.ip_network(s) for s in subnets), key=lambda n: (n.version, n))
    rows: list[Row] = []
    framed_ip_done = wan_prefix_done = False
    for network in networks:
        if network.version == 4:
            if not framed_ip_done and network.prefixlen == 32:
                rows.append(["Framed-IP-Address", ":=", str(network.network_address)])
                framed_ip_done = True
            else:
                rows.append(["Framed-Route", "+=", f"{network} 0.0.0.0 1"])
        elif not wan_prefix_done and network.prefixlen == 64:
            rows.append(["Framed-IPv6-Prefix", ":=", str(network)])
            wan_prefix_done = True
        else:
            rows.append(["Delegated-IPv6-Prefix", "+=", str(network)])
    return rows


def account_groups(offer_group: str | None, suspended: bool) -> list[list[Any]]:
    """radusergroup rows [group, priority]."""
    if suspended:
        return [[setting("RADIUS_SUSPENDED_GROUP"), 1]]
    return [[offer_group, 1]] if offer_group else []


def account_state(account: Any, suspended: bool) -> dict[str, Any]:
    """The JSON snapshot of what FreeRADIUS must hold for ``account``."""
    group = getattr(account.offersubscription.offer, "radius_group", None)
    subnets = [s.inet for s in account.ip_subnet.all()] if hasattr(account, "ip_subnet") else []
    previous = getattr(account, "_stored_login", None)
    return state_of(
        login=account.login,
        previous_login=previous,
        password_hash=account.password_hash,
        cleartext=account.cleartext_password,
        subnets=subnets,
        group=group.name if group else None,
        suspended=suspended,
    )


def state_of(
    *,
    login: str,
    password_hash: str,
    cleartext: str,
    subnets: list[Any],
    group: str | None,
    suspended: bool,
    previous_login: str | None = None,
) -> dict[str, Any]:
    """The snapshot from an account's values (account_state, and radius_sync's rows)."""
    return {
        "login": login,
        "previous_logins": [previous_login] if previous_login and previous_login != login else [],
        "check": credential_rows(password_hash, cleartext),
        "reply": address_rows(subnets),
        "groups": account_groups(group, suspended),
    }


def write_account(state: dict[str, Any]) -> None:
    """Make FreeRADIUS's tables hold exactly ``state`` for its login (idempotent)."""
    write_accounts([state])


def write_accounts(states: list[dict[str, Any]], batch_size: int = 1000) -> None:
    """write_account() for many accounts: per batch of logins, one transaction with one
    delete and one insert per table (radius_sync's repairs)."""
    from coa.models import RadCheck, RadReply, RadUserGroup

    alias = setting("RADIUS_DATABASE")
    for first in range(0, len(states), batch_size):
        batch = states[first : first + batch_size]
        logins = [login for state in batch for login in (state["login"], *state.get("previous_logins", []))]
        with transaction.atomic(using=alias):
            remove_logins(logins)
            RadCheck.objects.using(alias).bulk_create(
                RadCheck(username=state["login"], attribute=a, op=o, value=v)
                for state in batch
                for a, o, v in state["check"]
            )
            RadReply.objects.using(alias).bulk_create(
                RadReply(username=state["login"], attribute=a, op=o, value=v)
                for state in batch
                for a, o, v in state["reply"]
            )
            RadUserGroup.objects.using(alias).bulk_create(
                RadUserGroup(username=state["login"], groupname=g, priority=p)
                for state in batch
                for g, p in state["groups"]
            )


def remove_logins(logins: list[str]) -> None:
    from coa.models import RadCheck, RadReply, RadUserGroup

    alias = setting("RADIUS_DATABASE")
    with transaction.atomic(using=alias):
        for model in (RadCheck, RadReply, RadUserGroup):
            for first in range(0, len(logins), 1000):
                model.objects.using(alias).filter(username__in=logins[first : first + 1000]).delete()


def sync_group(group) -> None:
    """radgroupreply/radgroupcheck hold exactly the group's attributes."""
    from coa.models import RadGroupCheck, RadGroupReply, RadiusGroupAttribute

    alias = setting("RADIUS_DATABASE")
    attributes = list(group.attributes.all())
    with transaction.atomic(using=alias):
        tables: list[tuple[type[models.Model], str]] = [
            (RadGroupReply, RadiusGroupAttribute.Kind.REPLY),
            (RadGroupCheck, RadiusGroupAttribute.Kind.CHECK),
        ]
        for model, kind in tables:
            model._default_manager.using(alias).filter(groupname=group.name).delete()
            model._default_manager.using(alias).bulk_create(
                [
                    model(groupname=group.name, attribute=a.attribute, op=a.op, value=a.value)
                    for a in attributes
                    if a.kind == kind
                ]
            )


def delete_group(name: str) -> None:
    from coa.models import RadGroupCheck, RadGroupReply

    alias = setting("RADIUS_DATABASE")
    for model in (RadGroupReply, RadGroupCheck):
        model.objects.using(alias).filter(groupname=name).delete()


NAS_TYPES = {"generic": "other", "cisco": "cisco", "juniper": "juniper", "mikrotik": "other"}


def sync_nas(bng, previous_name: str | None = None) -> None:
    """FreeRADIUS's nas table knows the BNG as a client (shortname = the BNG's name)."""
    from coa.models import Nas

    alias = setting("RADIUS_DATABASE")
    with transaction.atomic(using=alias):
        Nas.objects.using(alias).filter(shortname__in=[bng.name, previous_name or bng.name]).delete()
        Nas.objects.using(alias).create(
            nasname=bng.address,
            shortname=bng.name,
            type=NAS_TYPES.get(bng.vendor, "other"),
            secret=bng.secret,
            description="Coin",
        )


def delete_nas(name: str) -> None:
    from coa.models import Nas

    Nas.objects.using(setting("RADIUS_DATABASE")).filter(shortname=name).delete()
