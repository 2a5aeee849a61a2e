"""The rules of a VPN account: its login, its endpoints, and the state that the
directory must hold for it. Pure functions of their arguments: the caller reads
the logins taken (``VPNConfiguration.save()``)."""

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def login_prefix(username: str) -> str:
    """What every VPN login of ``username`` starts with."""
    return f"{username}-vpn"


def next_free_login(username: str, taken: Iterable[str]) -> str:
    """``<username>-vpn<k>`` with the smallest k ≥ 1 not in ``taken``."""
    base = login_prefix(username)
    pattern = re.compile(re.escape(base) + r"(\d+)$")
    used = {int(match.group(1)) for login in taken if (match := pattern.match(login))}
    k = 1
    while k in used:
        k += 1
    return f"{base}{k}"


def default_endpoints(networks: Iterable[IPNetwork]) -> tuple[str | None, str | None]:
    """The first address of the first IPv4 subnet and ``::1`` of the first IPv6
    subnet (networks in address order), or None when there is no such subnet."""
    networks = sorted(networks, key=lambda network: (network.version, network))
    ipv4 = next((n for n in networks if n.version == 4), None)
    ipv6 = next((n for n in networks if n.version == 6), None)
    ipv6_endpoint = None
    if ipv6 is not None:
        ipv6_endpoint = str(ipv6.network_address + 1 if ipv6.num_addresses > 1 else ipv6.network_address)
    return (str(ipv4.network_address) if ipv4 else None, ipv6_endpoint)


def endpoint_problem(field: str, value: str | None, networks: Iterable[IPNetwork]) -> str | None:
    """Why ``value`` cannot be the endpoint ``field`` ("ipv4_endpoint" or
    "ipv6_endpoint") of an account routed ``networks``; None when it can."""
    if not value:
        return None
    version = 4 if field == "ipv4_endpoint" else 6
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return _("“%(value)s” is not an IP address.") % {"value": value}
    if address.version != version:
        return _("“%(value)s” is not an IPv%(version)d address.") % {"value": value, "version": version}
    mine = [network for network in networks if network.version == version]
    if not mine:
        return _("This account has no IPv%(version)d subnet: leave the endpoint empty.") % {
            "version": version
        }
    if not any(address in network for network in mine):
        return _("%(value)s is not inside this account's IPv%(version)d subnets (%(subnets)s).") % {
            "value": value,
            "version": version,
            "subnets": ", ".join(str(network) for network in sorted(mine)),
        }
    return None


def effective_endpoint(field: str, value: str | None, networks: list[IPNetwork]) -> str | None:
    """The endpoint pushed to the directory: the chosen one while it lies inside the
    subnets, the default one otherwise (e.g. right after the subnets changed)."""
    if value:
        version = 4 if field == "ipv4_endpoint" else 6
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            address = None
        # The same test as endpoint_problem(), without building its messages: the
        # sync calls this for every account.
        if address is not None and address.version == version:
            if any(network.version == version and address in network for network in networks):
                return str(address)
    ipv4, ipv6 = default_endpoints(networks)
    return ipv4 if field == "ipv4_endpoint" else ipv6


def account_state(
    *,
    login: str,
    password_hash: str,
    activated: bool,
    in_service: bool,
    ipv4_endpoint: str | None,
    ipv6_endpoint: str | None,
    networks: Iterable[IPNetwork],
) -> dict[str, Any]:
    """What the directory must hold for one account (JSON-serialisable).

    ``in_service``: the subscription is running and not suspended for unpaid bills.
    The account is active only when it is activated *and* in service.
    """
    networks = sorted(networks, key=lambda network: (network.version, network))
    return {
        "login": login,
        "password": password_hash,
        "active": bool(activated and in_service),
        "ipv4_endpoint": effective_endpoint("ipv4_endpoint", ipv4_endpoint, networks),
        "ipv6_endpoint": effective_endpoint("ipv6_endpoint", ipv6_endpoint, networks),
        "ipv4_routes": [str(n) for n in networks if n.version == 4],
        "ipv6_routes": [str(n) for n in networks if n.version == 6],
    }
