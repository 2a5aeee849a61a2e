"""RADIUS accounts and BNGs reach FreeRADIUS's tables through the provisioning queue."""

import pytest
from django.core.management import call_command

from coa.models import Nas, RadCheck, RadGroupReply, RadiusAccount, RadReply, RadUserGroup
from coa.passwords import check_ssha512, ssha512
from coa.radius import address_rows, sync_group
from coa.tests.conftest import add_subnet
from coin.provisioning.jobs import run_due_jobs
from coin.provisioning.models import ProvisioningJob

pytestmark = pytest.mark.django_db


def rows(model, login):
    return sorted(model.objects.filter(username=login).values_list("attribute", "op", "value"))


def test_ssha512_round_trip_and_salted():
    a, b = ssha512("secret"), ssha512("secret")
    assert a != b
    assert check_ssha512("secret", a) and not check_ssha512("other", a)


def test_login_generated_unique_and_password_hashed(account, member):
    assert account.login == f"{member.username}-{account.offersubscription.pk}"
    assert check_ssha512("right-password", account.password_hash)
    assert account.cleartext_password == ""
    assert "right-password" not in account.password_hash


def test_cleartext_only_when_opted_in(account, settings):
    settings.RADIUS_STORE_CLEARTEXT = True
    account.set_password("chap-pass")
    account.save()
    run_due_jobs()
    assert ("Cleartext-Password", ":=", "chap-pass") in rows(RadCheck, account.login)


def test_rows_follow_the_account(account, pools, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add_subnet(account, pools["v4"], "198.51.100.7/32")
        add_subnet(account, pools["v4"], "198.51.100.16/29")
        add_subnet(account, pools["v6"], "2001:db8:0:1::/64")
        add_subnet(account, pools["v6"], "2001:db8:100::/56")
    assert [a for a, _, _ in rows(RadCheck, account.login)] == ["SSHA2-512-Password"]
    assert rows(RadReply, account.login) == [
        ("Delegated-IPv6-Prefix", "+=", "2001:db8:100::/56"),
        ("Framed-IP-Address", ":=", "198.51.100.7"),
        ("Framed-IPv6-Prefix", ":=", "2001:db8:0:1::/64"),
        ("Framed-Route", "+=", "198.51.100.16/29 0.0.0.0 1"),
    ]
    assert list(RadUserGroup.objects.filter(username=account.login).values_list("groupname", "priority")) == [
        ("fibre-100", 1)
    ]
    assert not ProvisioningJob.objects.exclude(state="done").exists()
    # The full sync (plain values, no model instances) wants exactly what the provisioner wrote.
    from coa.sync import radius_sync

    report = radius_sync(dry_run=True)
    assert report.checked == 1 and report.repaired == [] and report.removed == []


def test_address_rules_without_a_32():
    assert address_rows(["198.51.100.8/29"]) == [["Framed-Route", "+=", "198.51.100.8/29 0.0.0.0 1"]]
    assert address_rows(["2001:db8::/48"]) == [["Delegated-IPv6-Prefix", "+=", "2001:db8::/48"]]


def test_suspend_resume_switch_groups(account, settings):
    settings.RADIUS_SUSPENDED_GROUP = "captive"
    account.provision("suspend")
    run_due_jobs()
    assert list(RadUserGroup.objects.filter(username=account.login).values_list("groupname", flat=True)) == [
        "captive"
    ]
    account.provision("resume")
    run_due_jobs()
    assert list(RadUserGroup.objects.filter(username=account.login).values_list("groupname", flat=True)) == [
        "fibre-100"
    ]


def test_login_change_and_delete_remove_rows(account):
    old = account.login
    account.login = "renamed"
    account.save()
    run_due_jobs()
    assert rows(RadCheck, old) == [] and len(rows(RadCheck, "renamed")) == 1
    account.delete()
    run_due_jobs()
    assert not RadCheck.objects.exists() and not RadUserGroup.objects.exists()


def test_group_attributes_and_nas(radius_offer, bng):
    sync_group(radius_offer.radius_group)
    assert list(RadGroupReply.objects.values_list("groupname", "attribute", "op", "value")) == [
        ("fibre-100", "Mikrotik-Rate-Limit", ":=", "100M/100M")
    ]
    assert list(Nas.objects.values_list("nasname", "shortname", "secret")) == [
        ("192.0.2.254", "bng1", "s3cr3t-shared")
    ]
    bng.delete()
    assert not Nas.objects.exists()


def test_radius_sync_repairs_drift_and_is_safe_twice(account, capsys):
    run_due_jobs()
    RadCheck.objects.filter(username=account.login).delete()
    RadReply.objects.create(username="stranger", attribute="Framed-IP-Address", value="10.0.0.1")
    call_command("radius_sync", "--dry-run")
    assert "would repair: " + account.login in capsys.readouterr().out
    assert not RadCheck.objects.filter(username=account.login).exists()
    call_command("radius_sync")
    out = capsys.readouterr().out
    assert f"repaired: {account.login}" in out and "removed: stranger" in out
    assert (
        len(rows(RadCheck, account.login)) == 1 and not RadReply.objects.filter(username="stranger").exists()
    )
    call_command("radius_sync")
    assert "1 accounts checked, 0 repaired, 0 unknown logins removed." in capsys.readouterr().out


def test_radius_database_unreachable_saves_succeed_and_jobs_catch_up(
    account, settings, tmp_path, django_capture_on_commit_callbacks
):
    """FreeRADIUS's database (an SQLite file in a folder that does not exist yet) is
    unreachable during 100 changes: every save succeeds; once it is back the rows are exact."""
    from django.db import connections
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from coa import models as coa_models

    folder = tmp_path / "down"
    # A connection made at run time (not in DATABASES), to a file that cannot be opened yet.
    connections["radius_fault"] = DatabaseWrapper(
        {
            **connections.settings["default"],
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(folder / "radius.sqlite3"),
            "OPTIONS": {},
            "TEST": {},
        },
        alias="radius_fault",
    )
    run_due_jobs()
    settings.RADIUS_DATABASE = "radius_fault"
    try:
        for n in range(100):
            account.comment = f"change {n}"
            account.set_password(f"password-{n}")
            with django_capture_on_commit_callbacks(execute=True):
                account.save()  # never raises; the worker's attempt fails
        assert ProvisioningJob.objects.filter(configuration=account).exclude(state="done").count() == 100
        assert ProvisioningJob.objects.filter(state="failed").exists()
        folder.mkdir()
        with connections["radius_fault"].schema_editor() as editor:
            for model in (coa_models.RadCheck, coa_models.RadReply, coa_models.RadUserGroup):
                editor.create_model(model)
        ProvisioningJob.objects.update(next_attempt_at="2000-01-01T00:00:00Z")
        run_due_jobs()
        assert not ProvisioningJob.objects.exclude(state="done").exists()
        stored = list(RadCheck.objects.using("radius_fault").values_list("username", "attribute", "value"))
        assert len(stored) == 1
        assert stored[0][0] == account.login and check_ssha512("password-99", stored[0][2])
        assert RadUserGroup.objects.using("radius_fault").count() == 1
    finally:
        connections["radius_fault"].close()
        del connections["radius_fault"]


def test_account_in_polymorphic_list(account):
    assert RadiusAccount.objects.get() == account


def test_radius_sync_keeps_a_suspended_account_in_the_suspended_group(account, member, isp):
    from coin.billing.models import ServiceSuspension
    from coin.billing.tests.documents_support import line, make_invoice

    run_due_jobs()
    unpaid = make_invoice(member, [line("Fibre", "30.00")])
    ServiceSuspension.objects.create(offersubscription=account.offersubscription, invoice=unpaid)
    call_command("radius_sync")
    groups = RadUserGroup.objects.filter(username=account.login).values_list("groupname", flat=True)
    assert list(groups) == ["coin-suspended"]
