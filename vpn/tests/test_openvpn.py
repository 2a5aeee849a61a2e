"""The whole road, with the real components: Coin's database → provisioning queue →
slapd → OpenVPN server (contrib/openvpn: openvpn-auth-ldap + client-connect.py) →
a real OpenVPN client using the member's downloaded .ovpn profile. Both ends run
inside a network namespace made by the test (needs root, as CI has)."""

import os

import pytest

from coin.resources.models import IPSubnet
from vpn.profiles import client_profile
from vpn.tests.openvpn_harness import Namespace, OpenVPNServer, connect_client

pytestmark = [pytest.mark.django_db, pytest.mark.openvpn]


@pytest.fixture
def openvpn(ldap_server, tmp_path, settings):
    if os.geteuid() != 0:
        pytest.fail("The OpenVPN test needs root (network namespace and tun devices).")
    namespace = Namespace()
    server = None
    try:
        server = OpenVPNServer(tmp_path, namespace, ldap_server)
        settings.VPN_SERVER_HOST = "127.0.0.1"
        settings.VPN_SERVER_PORT = server.port
        settings.VPN_SERVER_PROTO = "udp"
        settings.VPN_CA_CERTIFICATE_FILE = str(tmp_path / "ca.pem")
        yield server
    finally:
        if server is not None:
            server.stop()
        namespace.close()


def test_openvpn_authenticates_against_ldap_and_gets_endpoints_and_routes(
    member, subscribe, vpn_pools, openvpn, tmp_path, django_capture_on_commit_callbacks
):
    account = subscribe(member)
    with django_capture_on_commit_callbacks(execute=True):
        IPSubnet(ip_pool=vpn_pools["blocks"], configuration=account, inet="198.51.100.16/29").save()
        password = account.generate_password()
    client_folder = tmp_path / "client"

    result = connect_client(
        client_folder, openvpn.namespace, client_profile(account), account.login, password
    )
    assert result.connected, result.log[-3000:] + openvpn.log_text()[-3000:]
    pushed = result.pushed()
    assert "ifconfig 192.0.2.0 10.8.0.1" in pushed
    assert "ifconfig-ipv6 2001:db8::1/64 fd00:c01::1" in pushed
    assert "inet 192.0.2.0 peer 10.8.0.1/32" in result.addresses
    assert "inet6 2001:db8::1/64" in result.addresses
    routes = openvpn.routing_table(account.login)
    assert routes.get("198.51.100.16/29") == account.login
    assert routes.get("2001:db8::/56") == account.login
    assert routes.get("192.0.2.0") == account.login

    refused = connect_client(
        client_folder, openvpn.namespace, client_profile(account), account.login, "wrong"
    )
    assert not refused.connected and "AUTH_FAILED" in refused.log

    # Subnets change: the next connection gets the new routes.
    with django_capture_on_commit_callbacks(execute=True):
        account.ip_subnet.get(inet="198.51.100.16/29").delete()
        IPSubnet(ip_pool=vpn_pools["blocks"], configuration=account, inet="198.51.100.64/28").save()
    again = connect_client(client_folder, openvpn.namespace, client_profile(account), account.login, password)
    assert again.connected, again.log[-3000:]
    routes = openvpn.routing_table(account.login, expect="198.51.100.64/28")
    assert routes.get("198.51.100.64/28") == account.login
    assert "198.51.100.16/29" not in routes

    # Deactivated: refused, even with the right password.
    with django_capture_on_commit_callbacks(execute=True):
        account.refresh_from_db()
        account.activated = False
        account.save()
    deactivated = connect_client(
        client_folder, openvpn.namespace, client_profile(account), account.login, password
    )
    assert not deactivated.connected and "AUTH_FAILED" in deactivated.log
