#!/usr/bin/env python3
"""OpenVPN client-connect script for Coin's VPN accounts.

    client-connect "/usr/bin/python3 client-connect.py client-connect.ini"

OpenVPN runs it when a member has authenticated, with the login in the
``common_name`` environment variable (``username-as-common-name``) and the path of
a file to write as its last argument. It reads the account's LDAP entry and writes
the per-client directives:

    ifconfig-push <IPv4 endpoint> <server end>      (radiusFramedIPAddress)
    ifconfig-ipv6-push <IPv6 endpoint>/64 <server>  (coinVPNIPv6Endpoint)
    iroute <network> <netmask>                      (each radiusFramedRoute)
    iroute-ipv6 <prefix>                            (each coinVPNIPv6Route)

It refuses (exit status 1) an account that is missing or not active. Needs
python3-ldap (Debian) or python-ldap.
"""

import configparser
import ipaddress
import os
import sys

import ldap
import ldap.dn
import ldap.filter


def directives(entry: dict[str, list[bytes]], tunnel: configparser.SectionProxy) -> list[str]:
    def values(name: str) -> list[str]:
        return [value.decode() for value in entry.get(name, [])]

    lines = []
    for address in values("radiusFramedIPAddress"):
        lines.append(f"ifconfig-push {ipaddress.IPv4Address(address)} {tunnel['ipv4_server']}")
    for address in values("coinVPNIPv6Endpoint"):
        lines.append(
            f"ifconfig-ipv6-push {ipaddress.IPv6Address(address)}/{tunnel.get('ipv6_prefixlen', '64')} "
            f"{tunnel['ipv6_server']}"
        )
    endpoint = {f"{address}/32" for address in values("radiusFramedIPAddress")}
    for route in values("radiusFramedRoute"):
        network = ipaddress.IPv4Network(route.split()[0])
        if str(network) not in endpoint:  # the endpoint itself is the client's address already
            lines.append(f"iroute {network.network_address} {network.netmask}")
    for route in values("coinVPNIPv6Route"):
        lines.append(f"iroute-ipv6 {ipaddress.IPv6Network(route.split()[0])}")
    return lines


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: client-connect.py CONFIG.ini OUTPUT-FILE", file=sys.stderr)
        return 1
    config = configparser.ConfigParser(interpolation=None)
    config.read(argv[1])
    settings, tunnel = config["ldap"], config["tunnel"]
    login = os.environ.get("common_name") or os.environ.get("username") or ""
    if not login:
        print("client-connect: no login in the environment", file=sys.stderr)
        return 1
    connection = ldap.initialize(settings["uri"])
    connection.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
    if settings.getboolean("start_tls", fallback=False):
        connection.start_tls_s()
    connection.simple_bind_s(settings.get("bind_dn", ""), settings.get("bind_password", ""))
    try:
        results = connection.search_s(
            settings["base_dn"],
            ldap.SCOPE_ONELEVEL,
            ldap.filter.filter_format("(&(objectClass=coinVPNAccount)(uid=%s))", [login]),
        )
    finally:
        connection.unbind_s()
    if not results:
        print(f"client-connect: no VPN account {login!r}", file=sys.stderr)
        return 1
    entry = results[0][1]
    if entry.get("coinVPNActive") != [b"TRUE"]:
        print(f"client-connect: VPN account {login!r} is not active", file=sys.stderr)
        return 1
    lines = directives(entry, tunnel)
    with open(argv[-1], "w") as output:
        output.write("\n".join(lines) + "\n")
    print(f"client-connect: {login}: " + "; ".join(lines), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
