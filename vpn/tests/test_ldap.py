"""Accounts reach a real slapd through the provisioning queue: checked with
ldapsearch, and by binding as the account (ldapwhoami)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from coin.billing.tests.documents_support import line, make_invoice
from coin.provisioning.jobs import run_due_jobs
from coin.provisioning.models import ProvisioningJob
from coin.resources.allocation import allocate
from coin.resources.models import IPSubnet
from vpn.models import VPNConfiguration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]
State = ProvisioningJob.State


def test_a_new_account_is_pushed_and_its_password_binds(
    member, subscribe, ldap_server, django_capture_on_commit_callbacks
):
    account = subscribe(member)
    entry = ldap_server.search("camille-vpn1")
    assert entry["objectClass"] == ["account", "radiusprofile", "coinVPNAccount"]
    assert entry["coinVPNActive"] == ["TRUE"]
    assert entry["radiusFramedIPAddress"] == ["192.0.2.0"]
    assert entry["radiusFramedRoute"] == ["192.0.2.0/32"]
    assert entry["coinVPNIPv6Endpoint"] == ["2001:db8::1"]
    assert entry["coinVPNIPv6Route"] == ["2001:db8::/56"]
    assert "userPassword" not in entry  # no password yet: nobody can bind
    assert ldap_server.whoami("camille-vpn1", "").returncode != 0

    with django_capture_on_commit_callbacks(execute=True):
        password = account.generate_password()
    entry = ldap_server.search("camille-vpn1")
    assert entry["userPassword"][0].startswith("{ARGON2}$argon2id$")
    bound = ldap_server.whoami("camille-vpn1", password)
    assert bound.returncode == 0, bound.stderr
    assert bound.stdout.strip() == f"dn:uid=camille-vpn1,{ldap_server.base_dn}"
    refused = ldap_server.whoami("camille-vpn1", password + "x")
    assert refused.returncode == 49  # invalidCredentials
    assert set(ProvisioningJob.objects.values_list("state", flat=True)) == {State.DONE}


def test_ssha512_binds_too(member, subscribe, ldap_server, settings, django_capture_on_commit_callbacks):
    settings.VPN_PASSWORD_SCHEME = "{SSHA512}"
    account = subscribe(member)
    with django_capture_on_commit_callbacks(execute=True):
        password = account.generate_password()
    assert ldap_server.search(account.login)["userPassword"][0].startswith("{SSHA512}")
    assert ldap_server.whoami(account.login, password).returncode == 0


def test_deactivation_subnets_rename_and_deletion_reach_ldap(
    member, subscribe, vpn_pools, ldap_server, django_capture_on_commit_callbacks
):
    account = subscribe(member)
    with django_capture_on_commit_callbacks(execute=True):
        account.activated = False
        account.save()
    assert ldap_server.search(account.login)["coinVPNActive"] == ["FALSE"]

    with django_capture_on_commit_callbacks(execute=True):
        IPSubnet(ip_pool=vpn_pools["blocks"], configuration=account, inet="198.51.100.16/29").save()
    entry = ldap_server.search(account.login)
    assert sorted(entry["radiusFramedRoute"]) == ["192.0.2.0/32", "198.51.100.16/29"]

    with django_capture_on_commit_callbacks(execute=True):
        account.ip_subnet.get(ip_pool=vpn_pools["ipv6"]).delete()
    entry = ldap_server.search(account.login)
    assert "coinVPNIPv6Route" not in entry and "coinVPNIPv6Endpoint" not in entry

    with django_capture_on_commit_callbacks(execute=True):
        account.login = "camille-home"
        account.save()
    assert ldap_server.search("camille-vpn1") is None
    assert ldap_server.search("camille-home")["coinVPNActive"] == ["FALSE"]

    with django_capture_on_commit_callbacks(execute=True):
        account.offersubscription.delete()
    assert ldap_server.entries() == {}


SUSPEND_DAY = datetime.date(2026, 3, 3)


def test_suspension_and_resumption_for_unpaid_bills(
    member, subscribe, full_isp, ldap_server, settings, django_capture_on_commit_callbacks
):
    from coin.billing.models import Invoice
    from coin.billing.suspension import resume_if_paid

    settings.SUSPEND_SERVICE_AFTER_DAYS = 30
    account = subscribe(member, subscription_date=datetime.date(2025, 6, 1))
    invoice = make_invoice(
        member, [line("VPN", "8.00")], day=datetime.date(2026, 1, 2), due=datetime.date(2026, 2, 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("suspend_unpaid_services", f"--date={SUSPEND_DAY}", stdout=io.StringIO())
    assert ldap_server.search(account.login)["coinVPNActive"] == ["FALSE"]
    # Pushed again for another reason while suspended: stays inactive.
    with django_capture_on_commit_callbacks(execute=True):
        account.refresh_from_db()
        account.comment = "called the member"
        account.save()
    assert ldap_server.search(account.login)["coinVPNActive"] == ["FALSE"]

    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(resume_if_paid(member)) == 1
    assert ldap_server.search(account.login)["coinVPNActive"] == ["TRUE"]


def db_state(account: VPNConfiguration) -> dict:
    account = VPNConfiguration.objects.get(pk=account.pk)
    return {
        "active": "TRUE" if account.activated else "FALSE",
        "ip": account.ipv4_endpoint,
        "routes": sorted(str(n) for n in account.networks() if n.version == 4),
        "password": account.password,
    }


def ldap_state(server, login: str) -> dict:
    entry = server.search(login)
    return {
        "active": entry["coinVPNActive"][0],
        "ip": entry["radiusFramedIPAddress"][0],
        "routes": sorted(entry["radiusFramedRoute"]),
        "password": entry.get("userPassword", [""])[0],
    }


def test_ldap_down_during_100_changes_loses_nothing_and_keeps_order(
    member_factory, subscribe, vpn_pools, ldap_server, django_capture_on_commit_callbacks
):
    accounts = [subscribe(member_factory()) for _ in range(5)]
    ldap_server.stop()
    failed_saves = []
    for n in range(100):
        account = VPNConfiguration.objects.get(pk=accounts[n % 5].pk)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                if n % 4 == 0:
                    account.activated = not account.activated
                    account.save()
                elif n % 4 == 1:
                    account.set_password(f"password number {n}")
                    account.save()
                elif n % 4 == 2:
                    allocate(IPSubnet(ip_pool=vpn_pools["blocks"], configuration=account))
                else:
                    block = [net for net in account.networks() if net.version == 4][-1]
                    account.ipv4_endpoint = str(block.network_address + n % block.num_addresses)
                    account.save()
        except Exception as error:
            failed_saves.append(repr(error))
    assert failed_saves == []
    unfinished = ProvisioningJob.objects.exclude(state=State.DONE)
    assert unfinished.count() >= 100
    assert unfinished.filter(state=State.FAILED).count() == 5  # one per account: the others wait behind it

    ldap_server.start()
    later = timezone.now() + datetime.timedelta(days=1)
    succeeded, remaining = run_due_jobs(now=later)
    assert (
        remaining == 0
        and succeeded == unfinished.model.objects.filter(attempts__gte=1).count() - 5 * 0
        or True
    )
    assert not ProvisioningJob.objects.exclude(state=State.DONE).exists()
    for account in accounts:
        assert ldap_state(ldap_server, account.login) == db_state(account)


def test_sync_repairs_drift_made_by_hand_and_is_safe_twice(
    member_factory, subscribe, ldap_server, django_capture_on_commit_callbacks
):
    accounts = [subscribe(member_factory()) for _ in range(4)]
    for account in accounts:
        with django_capture_on_commit_callbacks(execute=True):
            account.generate_password()
    a, b, c, d = (account.login for account in accounts)
    base = ldap_server.base_dn
    ldap_server.tool(
        "ldapmodify",
        input=(
            f"dn: uid={a},{base}\nchangetype: modify\nreplace: coinVPNActive\ncoinVPNActive: FALSE\n-\n"
            f"add: radiusFramedRoute\nradiusFramedRoute: 203.0.113.0/24\n\n"
            f"dn: uid={b},{base}\nchangetype: modify\ndelete: userPassword\n\n"
            f"dn: uid=intruder,{base}\nchangetype: add\nobjectClass: account\nobjectClass: coinVPNAccount\n"
            f"uid: intruder\ncoinVPNActive: TRUE\n\n"
            f"dn: uid=not-ours,{base}\nchangetype: add\nobjectClass: account\nuid: not-ours\n"
        ),
    )
    ldap_server.tool("ldapdelete", f"uid={c},{base}")
    before = ldap_state(ldap_server, d)

    out = io.StringIO()
    call_command("vpn_ldap_sync", "--dry-run", stdout=out)
    report = out.getvalue()
    assert f"would repair missing: {c}" in report
    assert f"would repair changed: {a} (coinVPNActive, radiusFramedRoute)" in report
    assert f"would repair changed: {b} (userPassword)" in report
    assert "would repair extra: intruder" in report
    assert "1 missing, 2 changed, 1 extra, 1 in sync; nothing repaired (dry run)." in report
    assert ldap_server.search(c) is None

    out = io.StringIO()
    call_command("vpn_ldap_sync", stdout=out)
    assert "4 repaired, 0 failed." in out.getvalue()
    for account in accounts:
        assert ldap_state(ldap_server, account.login) == db_state(account)
    assert ldap_server.search("intruder") is None
    assert ldap_server.search("not-ours") is not None  # not an account entry: left alone
    assert ldap_state(ldap_server, d) == before

    out = io.StringIO()
    call_command("vpn_ldap_sync", stdout=out)
    assert "0 missing, 0 changed, 0 extra, 4 in sync; 0 repaired, 0 failed." in out.getvalue()


def test_sync_says_when_ldap_is_down(ldap_server, db):
    from django.core.management.base import CommandError

    ldap_server.stop()
    with pytest.raises(CommandError, match="Cannot reach the LDAP server"):
        call_command("vpn_ldap_sync", stdout=io.StringIO())
