"""Member pages and admin of VPN accounts."""

import pytest

from coin.provisioning.models import ProvisioningJob
from vpn.models import VPNConfiguration

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_details_page_shows_login_state_endpoints_and_subnets(member, member_client, subscribe):
    account = subscribe(member)
    page = member_client.get(f"/vpn/{account.pk}/", **EN).content.decode()
    for text in ("camille-vpn1", "active", "192.0.2.0", "2001:db8::1", "192.0.2.0/32", "2001:db8::/56"):
        assert text in page
    assert "vpn/vpn.js" in page and "<script>" not in page and "onsubmit" not in page
    index = member_client.get("/vpn/", **EN).content.decode()
    assert f'href="/vpn/{account.pk}/"' in index
    assert 'href="/vpn/"' in member_client.get("/", **EN).content.decode()  # menu entry


def test_another_members_pages_are_404(member, other_member, client, subscribe):
    account = subscribe(member)
    client.force_login(other_member)
    for url in (f"/vpn/{account.pk}/", f"/vpn/{account.pk}/endpoints/", f"/vpn/{account.pk}/profile.ovpn"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/vpn/{account.pk}/password/").status_code == 404
    assert VPNConfiguration.objects.get(pk=account.pk).password == ""
    assert "camille-vpn1" not in client.get("/vpn/").content.decode()


def test_new_password_is_shown_once_and_only_its_hash_kept(member, member_client, subscribe):
    account = subscribe(member)
    assert member_client.get(f"/vpn/{account.pk}/password/").status_code == 405
    response = member_client.post(f"/vpn/{account.pk}/password/", **EN)
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    password = page.split('class="vpn-password"><code>')[1].split("<")[0]
    account.refresh_from_db()
    assert account.check_password(password) and password not in account.password
    assert password not in member_client.get(f"/vpn/{account.pk}/", **EN).content.decode()


def test_member_chooses_endpoints_within_their_subnets(member, member_client, subscribe):
    account = subscribe(member)
    url = f"/vpn/{account.pk}/endpoints/"
    response = member_client.post(url, {"ipv4_endpoint": "203.0.113.9", "ipv6_endpoint": ""}, **EN)
    assert response.status_code == 200
    assert "203.0.113.9 is not inside this account&#x27;s IPv4 subnets" in response.content.decode()
    response = member_client.post(
        url, {"ipv4_endpoint": "192.0.2.0", "ipv6_endpoint": "2001:db8:0:42::1"}, **EN
    )
    assert response.status_code == 302 and response["Location"] == f"/vpn/{account.pk}/"
    account.refresh_from_db()
    assert account.ipv6_endpoint == "2001:db8:0:42::1"
    job = ProvisioningJob.objects.filter(configuration=account).order_by("-id").first()
    assert job.payload["ipv6_endpoint"] == "2001:db8:0:42::1"


def test_ovpn_profile(member, member_client, subscribe, settings, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    settings.VPN_CA_CERTIFICATE_FILE = str(ca)
    settings.VPN_SERVER_HOST = "vpn.arlp.example"
    settings.VPN_SERVER_PORT = 1195
    settings.VPN_SERVER_PROTO = "tcp"
    account = subscribe(member)
    response = member_client.get(f"/vpn/{account.pk}/profile.ovpn")
    assert response["Content-Disposition"] == 'attachment; filename="camille-vpn1.ovpn"'
    profile = response.content.decode()
    assert "remote vpn.arlp.example 1195\n" in profile and "proto tcp\n" in profile
    assert "auth-user-pass\n" in profile
    assert "<ca>\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n</ca>" in profile


def test_admin_lists_edits_and_generates_passwords(admin_client, member, subscribe):
    account = subscribe(member)
    listing = admin_client.get("/admin/vpn/vpnconfiguration/", **EN).content.decode()
    assert "camille-vpn1" in listing
    assert "not in sync: failed 1 time(s), will retry" in listing  # LDAP_URI points nowhere here
    change = admin_client.get(f"/admin/vpn/vpnconfiguration/{account.pk}/change/", **EN)
    assert change.status_code == 200
    response = admin_client.post(
        "/admin/vpn/vpnconfiguration/",
        {"action": "generate_password", "_selected_action": [account.pk]},
        follow=True,
        **EN,
    )
    message = next(str(m) for m in response.context["messages"] if "New password" in str(m))
    password = message.split("camille-vpn1: ")[1].split(" ")[0]
    account.refresh_from_db()
    assert account.check_password(password)
    # The subscription's page edits the account through the inline.
    page = admin_client.get(
        f"/admin/offers/offersubscription/{account.offersubscription.pk}/change/", **EN
    ).content.decode()
    assert "camille-vpn1" in page


def test_admin_shows_in_sync_once_pushed(admin_client, member, subscribe, ldap_server):
    subscribe(member)
    assert "in sync" in admin_client.get("/admin/vpn/vpnconfiguration/", **EN).content.decode()
