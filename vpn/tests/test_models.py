"""VPN accounts in the database: login generation, password hashes, endpoints."""

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from coin.resources.models import IPSubnet
from vpn import accounts, passwords
from vpn.models import VPNConfiguration

pytestmark = pytest.mark.django_db


def test_a_subscription_gets_an_account_with_login_and_default_endpoints(member, subscribe):
    account = subscribe(member)
    assert isinstance(account, VPNConfiguration)
    assert account.login == "camille-vpn1"
    assert account.activated and account.password == ""
    account.refresh_from_db()
    assert [str(n) for n in account.networks()] == ["192.0.2.0/32", "2001:db8::/56"]
    # Filled in by subnet_event once the subnets were allocated.
    assert account.ipv4_endpoint == "192.0.2.0"
    assert account.ipv6_endpoint == "2001:db8::1"
    assert str(account) == f"VPN camille-vpn1 — {account.offersubscription.reference}"
    assert account.get_absolute_url() == f"/vpn/{account.pk}/"


def test_logins_are_numbered_and_reuse_the_lowest_free_number(member, subscribe):
    first, second, third = subscribe(member), subscribe(member), subscribe(member)
    assert [first.login, second.login, third.login] == ["camille-vpn1", "camille-vpn2", "camille-vpn3"]
    second.delete()
    assert subscribe(member).login == "camille-vpn2"
    assert accounts.next_free_login("x", ["x-vpn1", "x-vpn3", "x-vpnfoo", "y-vpn2"]) == "x-vpn2"


def test_a_duplicate_login_is_refused_on_the_field(member, other_member, subscribe):
    subscribe(member)
    other = subscribe(other_member)
    other.login = "camille-vpn1"
    with pytest.raises(ValidationError) as error:
        other.full_clean()
    assert "login" in error.value.message_dict


@pytest.mark.parametrize("scheme", ["{ARGON2}", "{SSHA512}"])
def test_password_is_stored_only_as_a_salted_hash(member, subscribe, scheme):
    account = subscribe(member)
    with override_settings(VPN_PASSWORD_SCHEME=scheme):
        raw = account.generate_password()
    account.refresh_from_db()
    assert len(raw) == passwords.GENERATED_LENGTH
    assert raw not in account.password and account.password.startswith(scheme)
    assert account.check_password(raw) and not account.check_password(raw + "x")
    again = passwords.hash_password(raw, scheme)
    assert again != account.password  # salted
    if scheme == "{ARGON2}":
        assert account.password.startswith("{ARGON2}$argon2id$v=19$m=1024,t=1,p=1$")


def test_set_password_then_save(member, subscribe):
    account = subscribe(member)
    account.set_password("my own password")
    account.save()
    assert VPNConfiguration.objects.get(pk=account.pk).check_password("my own password")


def test_unknown_scheme_is_a_clear_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="VPN_PASSWORD_SCHEME"):
        passwords.hash_password("x", "{MD5}")


def test_endpoints_must_lie_inside_the_subnets_with_an_error_naming_the_field(member, subscribe):
    account = subscribe(member)
    account.ipv4_endpoint = "203.0.113.7"
    account.ipv6_endpoint = "2001:db8:ffff::1"
    with pytest.raises(ValidationError) as error:
        account.full_clean()
    assert (
        "not inside this account's IPv4 subnets (192.0.2.0/32)"
        in error.value.message_dict["ipv4_endpoint"][0]
    )
    assert "2001:db8::/56" in error.value.message_dict["ipv6_endpoint"][0]
    # save() refuses it too: nothing is half-saved.
    with pytest.raises(ValidationError):
        account.save()
    account.refresh_from_db()
    assert account.ipv4_endpoint == "192.0.2.0"
    account.ipv6_endpoint = "2001:db8:0:ab::42"
    account.full_clean()
    account.save()
    account.refresh_from_db()
    assert account.ipv6_endpoint == "2001:db8:0:ab::42"


def test_no_subnet_of_a_version_means_no_endpoint_of_that_version():
    networks = [ipaddress.ip_network("2001:db8::/56")]
    problem = accounts.endpoint_problem("ipv4_endpoint", "192.0.2.1", networks)
    assert "no IPv4 subnet" in problem
    assert "not an IPv6 address" in accounts.endpoint_problem("ipv6_endpoint", "192.0.2.1", networks)
    assert accounts.default_endpoints(networks) == (None, "2001:db8::1")


def test_endpoints_follow_the_subnets_when_they_change(
    member, subscribe, vpn_pools, django_capture_on_commit_callbacks
):
    account = subscribe(member)
    subnet = account.ip_subnet.get(ip_pool=vpn_pools["ipv4"])
    with django_capture_on_commit_callbacks(execute=True):
        subnet.delete()
        IPSubnet(ip_pool=vpn_pools["blocks"], configuration=account, inet="198.51.100.8/29").save()
    account.refresh_from_db()
    assert account.ipv4_endpoint == "198.51.100.8"
    # A chosen endpoint inside the subnets is kept when another subnet comes.
    account.ipv4_endpoint = "198.51.100.12"
    account.save()
    with django_capture_on_commit_callbacks(execute=True):
        IPSubnet(ip_pool=vpn_pools["ipv4"], configuration=account, inet="192.0.2.77/32").save()
    account.refresh_from_db()
    assert account.ipv4_endpoint == "198.51.100.12"
