"""Members reach a real slapd through the provisioning queue: checked with
ldapsearch, and by binding as the member (ldapwhoami)."""

import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from coin.members.membership import record_fee
from coin.members.models import Member, MembershipFee
from coin.members_ldap.models import DirectoryAccount
from coin.members_ldap.provisioning import wanted_state
from coin.provisioning.jobs import run_due_jobs
from coin.provisioning.models import ProvisioningJob

pytestmark = pytest.mark.django_db
State = ProvisioningJob.State
PASSWORD = "tangerine-Octopus-1987"


_clock = {"hours": 0}


def push() -> None:
    """What the worker does after the commit (tests run inside one transaction), at
    a later moment each time, so retries of failed jobs are due."""
    _clock["hours"] += 2
    run_due_jobs(now=timezone.now() + datetime.timedelta(hours=_clock["hours"]))


def dn(server, username: str) -> str:
    return f"uid={username},{server.members_dn}"


def group(server) -> list[str]:
    """The group's members, without the placeholder an empty groupOfNames holds."""
    own = f"cn=members,{server.members_dn}"
    entry = server.read(own, "member")
    return sorted(value for value in entry["member"] if value != own) if entry else []


def binds(server, username: str, password: str) -> bool:
    return server.bind(dn(server, username), password).returncode == 0


def test_off_when_the_base_dn_is_unset(member_factory, settings):
    settings.MEMBERS_LDAP_BASE_DN = ""
    member_factory(username="nobody")
    assert not ProvisioningJob.objects.filter(subject__startswith="member:").exists()
    assert not DirectoryAccount.objects.exists()


def test_ldap_activate_false_turns_it_off_and_true_needs_a_base_dn(member_factory, settings):
    from django.core.checks import run_checks

    settings.MEMBERS_LDAP_BASE_DN = "ou=members,dc=coin,dc=test"
    settings.LDAP_ACTIVATE = False
    member_factory(username="nobody")
    assert not ProvisioningJob.objects.filter(subject__startswith="member:").exists()
    settings.MEMBERS_LDAP_BASE_DN = ""
    settings.LDAP_ACTIVATE = True
    assert "members_ldap.E001" in [error.id for error in run_checks()]


def test_a_new_member_binds_with_the_password_they_chose(client, settings, isp, members_ldap):
    settings.MEMBER_SELF_REGISTRATION = True
    signup = {
        "type": "natural_person", "first_name": "Sacha", "last_name": "Petit", "organization_name": "",
        "email": "sacha@example.org", "address": "1 place de la Mairie", "postal_code": "21000",
        "city": "Dijon", "country": "France", "mobile_phone_number": "", "username": "",
        "password1": PASSWORD, "password2": PASSWORD,
    }  # fmt: skip
    assert client.post(reverse("members:signup"), signup).status_code == 302
    push()
    entry = members_ldap.read(dn(members_ldap, "spetit"))
    assert entry["objectClass"] == ["inetOrgPerson"]
    assert (entry["cn"], entry["sn"], entry["givenName"], entry["mail"]) == (
        ["Sacha Petit"],
        ["Petit"],
        ["Sacha"],
        ["sacha@example.org"],
    )
    assert "userPassword" not in entry  # address not confirmed yet: disabled
    assert not binds(members_ldap, "spetit", PASSWORD)

    path = re.search(r"https://coin\.isp\.example(/members/signup/confirm/\S+/)", mail.outbox[0].body).group(
        1
    )
    client.get(path)
    push()
    assert members_ldap.read(dn(members_ldap, "spetit"), "userPassword")["userPassword"][0].startswith(
        "{ARGON2}$argon2id$"
    )
    assert binds(members_ldap, "spetit", PASSWORD)
    assert not binds(members_ldap, "spetit", PASSWORD + "x")
    assert group(members_ldap) == []  # pending: not in the members' group yet

    record_fee(MembershipFee(member=Member.objects.get(username="spetit"), amount="20.00"))
    push()
    assert group(members_ldap) == [dn(members_ldap, "spetit")]
    assert set(ProvisioningJob.objects.values_list("state", flat=True)) == {State.DONE}


def test_after_a_password_reset_the_old_password_fails_and_the_new_one_binds(client, members_ldap, member):
    member.set_password("old password 1234")
    member.save()
    push()
    assert binds(members_ldap, "camille", "old password 1234")

    client.post(reverse("password_reset"), {"email": member.email})
    uid, token = re.search(r"/password/reset/(\S+)/(\S+)/", mail.outbox[-1].body).groups()
    response = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302, response.context["form"].errors
    push()
    assert not binds(members_ldap, "camille", "old password 1234")
    assert binds(members_ldap, "camille", PASSWORD)
    stored = DirectoryAccount.objects.get(member=member).password_hash
    assert stored.startswith("{ARGON2}") and PASSWORD not in stored
    assert not any(PASSWORD in str(job.payload) for job in ProvisioningJob.objects.all())


def test_password_change_page_and_admin_reach_ldap(client, admin_client, members_ldap, member):
    client.force_login(member)
    response = client.post(
        reverse("password_change"),
        {"old_password": "correct horse battery", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 302
    push()
    assert binds(members_ldap, "camille", PASSWORD)

    url = reverse("admin:auth_user_password_change", args=[member.pk])
    response = admin_client.post(
        url, {"password1": "admin-chosen-Pass-42", "password2": "admin-chosen-Pass-42"}
    )
    assert response.status_code == 302
    push()
    assert binds(members_ldap, "camille", "admin-chosen-Pass-42")
    assert not binds(members_ldap, "camille", PASSWORD)


def test_a_resigned_member_drops_out_of_the_group_and_is_disabled_not_deleted(members_ldap, member):
    push()
    assert binds(members_ldap, "camille", "correct horse battery")
    assert group(members_ldap) == [dn(members_ldap, "camille")]

    member.resign_date = timezone.localdate()
    member.save()
    push()
    assert group(members_ldap) == []
    entry = members_ldap.read(dn(members_ldap, "camille"))
    assert entry is not None and "userPassword" not in entry
    assert not binds(members_ldap, "camille", "correct horse battery")

    member.resign_date = None  # back
    member.save()
    push()
    assert group(members_ldap) == [dn(members_ldap, "camille")]
    assert binds(members_ldap, "camille", "correct horse battery")

    member.status = Member.Status.NOT_MEMBER  # excluded
    member.save()
    push()
    assert group(members_ldap) == []
    assert not binds(members_ldap, "camille", "correct horse battery")


def test_profile_change_rename_and_deletion_reach_ldap(member_factory, members_ldap):
    member = member_factory(username="dom", first_name="Dominique", last_name="Durand")
    keep = member_factory(username="keep")
    member.email = "new@example.org"
    member.type = Member.Type.LEGAL_ENTITY
    member.organization_name = "Atelier Durand"
    member.save()
    push()
    entry = members_ldap.read(dn(members_ldap, "dom"))
    assert (entry["cn"], entry["sn"], entry["mail"]) == (
        ["Atelier Durand"],
        ["Atelier Durand"],
        ["new@example.org"],
    )
    assert "givenName" not in entry

    member.username = "dominique"
    member.save()
    push()
    assert members_ldap.read(dn(members_ldap, "dom")) is None
    assert members_ldap.read(dn(members_ldap, "dominique")) is not None
    assert group(members_ldap) == sorted([dn(members_ldap, "dominique"), dn(members_ldap, "keep")])

    member.delete()
    push()
    assert members_ldap.read(dn(members_ldap, "dominique")) is None
    assert group(members_ldap) == [dn(members_ldap, "keep")]
    keep.delete()
    push()
    # groupOfNames needs a member: the empty group keeps its own DN.
    own = f"cn=members,{members_ldap.members_dn}"
    assert members_ldap.read(own, "member")["member"] == [own]


def test_a_login_adds_no_job(client, members_ldap, member):
    push()
    before = ProvisioningJob.objects.count()
    response = client.post(reverse("login"), {"username": "camille", "password": "correct horse battery"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.last_login is not None
    member.refresh_from_db()
    member.save()  # nothing changed
    assert ProvisioningJob.objects.count() == before


def test_posix_ids_are_stable_and_from_the_range(member_factory, members_ldap, settings, caplog):
    settings.MEMBERS_LDAP_POSIX = True
    settings.MEMBERS_LDAP_ID_RANGE = (20000, 20002)
    first, second = member_factory(username="p1"), member_factory(username="p2")
    push()
    entry = members_ldap.read(dn(members_ldap, "p1"))
    assert sorted(entry["objectClass"]) == ["inetOrgPerson", "posixAccount"]
    assert (entry["uidNumber"], entry["gidNumber"], entry["homeDirectory"], entry["loginShell"]) == (
        ["20000"],
        ["20000"],
        ["/home/p1"],
        ["/usr/sbin/nologin"],
    )
    first.last_name = "Renamed"
    first.save()
    push()
    assert members_ldap.read(dn(members_ldap, "p1"))["uidNumber"] == ["20000"]
    assert members_ldap.read(dn(members_ldap, "p2"))["uidNumber"] == ["20001"]
    second.delete()
    member_factory(username="p3")
    push()
    assert members_ldap.read(dn(members_ldap, "p3"))["uidNumber"] == ["20001"]  # freed, lowest free
    member_factory(username="p4")
    with caplog.at_level("ERROR"):
        member_factory(username="p5")  # the range is full: the save still succeeds
    assert "MEMBERS_LDAP_ID_RANGE 20000-20002 is full" in caplog.text
    push()
    assert members_ldap.read(dn(members_ldap, "p5"))["objectClass"] == ["inetOrgPerson"]
    with pytest.raises(CommandError, match="MEMBERS_LDAP_ID_RANGE 20000-20002 is full"):
        call_command("members_ldap_sync", stdout=io.StringIO())


def test_ldap_down_during_50_changes_loses_nothing_and_keeps_order(member_factory, members_ldap):
    members = [member_factory(username=f"m{i}") for i in range(5)]
    push()
    members_ldap.stop()
    for round_ in range(10):  # 50 changes: names, passwords, statuses
        for index, member in enumerate(members):
            change = (round_ + index) % 3
            if change == 0:
                member.last_name = f"Name{round_}"
            elif change == 1:
                member.set_password(f"password-{round_}-{index}")
            else:
                member.status = (
                    Member.Status.NOT_MEMBER if member.status == Member.Status.MEMBER else "member"
                )
            member.save()  # never fails
    # Each member's last job holds its state now (a change that leaves the entry as
    # it was, e.g. a new password while disabled, adds no job: the hash is kept).
    for member in members:
        last = ProvisioningJob.objects.filter(subject=f"member:{member.pk}").order_by("-id").first()
        assert last.payload == {**wanted_state(member), "previous_uid": None}
    assert ProvisioningJob.objects.exclude(state=State.DONE).count() > 40
    push()  # still down: every subject's first job fails, the later ones wait behind it
    assert ProvisioningJob.objects.filter(state=State.FAILED).count() == 5

    members_ldap.start()
    push()
    assert not ProvisioningJob.objects.exclude(state=State.DONE).exists()
    in_group = []
    for index, member in enumerate(members):
        member.refresh_from_db()
        entry = members_ldap.read(dn(members_ldap, member.username))
        assert entry["sn"] == [member.last_name]
        last_password = max((r for r in range(10) if (r + index) % 3 == 1), default=None)
        if member.status == Member.Status.MEMBER:
            in_group.append(dn(members_ldap, member.username))
            assert binds(members_ldap, member.username, f"password-{last_password}-{index}")
        else:
            assert "userPassword" not in entry
    assert group(members_ldap) == sorted(in_group)


def test_sync_repairs_drift_made_by_hand_and_lists_members_without_a_hash(
    member_factory, members_ldap, settings
):
    settings.MEMBERS_LDAP_BASE_DN = ""  # an ISP that had members before turning LDAP on
    a, b, c = (member_factory(username=name) for name in ("alix", "bao", "cyd"))
    Member.objects.create_user(username="nopass", first_name="No", last_name="Pass", status="member")
    settings.MEMBERS_LDAP_BASE_DN = members_ldap.members_dn

    out = io.StringIO()
    call_command("members_ldap_sync", "--dry-run", stdout=out)
    report = out.getvalue()
    assert "would repair missing: alix" in report
    assert "4 member(s) have no LDAP password yet" in report and "nopass" in report
    assert "4 member(s), 0 LDAP entries: 4 missing" in report
    assert not DirectoryAccount.objects.exists()  # a dry run writes nothing

    out = io.StringIO()
    call_command("members_ldap_sync", stdout=out)
    assert "4 missing" in out.getvalue() and "0 failed" in out.getvalue()
    assert members_ldap.read(dn(members_ldap, "alix")) is not None
    assert "userPassword" not in members_ldap.read(dn(members_ldap, "alix"))
    assert len(group(members_ldap)) == 4

    a.set_password(PASSWORD)  # alix resets her password: her entry gets it
    a.save()
    push()
    assert binds(members_ldap, "alix", PASSWORD)

    base = members_ldap.members_dn
    members_ldap.tool(
        "ldapmodify",
        input=(
            f"dn: uid=alix,{base}\nchangetype: modify\nreplace: mail\nmail: intruder@example.org\n-\n"
            f"delete: userPassword\n\n"
            f"dn: cn=members,{base}\nchangetype: modify\ndelete: member\nmember: uid=bao,{base}\n-\n"
            f"add: member\nmember: uid=stranger,{base}\n\n"
            f"dn: uid=stranger,{base}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: stranger\n"
            f"cn: Stranger\nsn: Stranger\n"
        ),
    )
    members_ldap.tool("ldapdelete", f"uid=cyd,{base}")
    out = io.StringIO()
    call_command("members_ldap_sync", "--dry-run", stdout=out)
    report = out.getvalue()
    assert "would repair missing: cyd" in report
    assert "would repair changed: alix (mail, userPassword)" in report
    assert f"would repair group: add uid=bao,{base}" in report
    assert f"would repair group: remove uid=stranger,{base.lower()}" in report
    assert "only in LDAP (left alone): stranger" in report
    assert "3 member(s) have no LDAP password yet" in report

    out = io.StringIO()
    call_command("members_ldap_sync", stdout=out)
    assert "3 repaired, 0 failed." in out.getvalue()
    assert binds(members_ldap, "alix", PASSWORD)
    assert members_ldap.read(dn(members_ldap, "alix"))["mail"] == [a.email]
    assert members_ldap.read(dn(members_ldap, "cyd")) is not None
    assert members_ldap.read(dn(members_ldap, "stranger")) is not None  # reported, not deleted
    assert group(members_ldap) == sorted(dn(members_ldap, n) for n in ("alix", "bao", "cyd", "nopass"))

    out = io.StringIO()
    call_command("members_ldap_sync", stdout=out)
    assert "0 missing, 0 changed, 1 only in LDAP, 4 in sync, group: 0 to add, 0 to remove; 0 repaired" in (
        out.getvalue()
    )
    del b, c


def test_sync_says_when_it_is_off_or_ldap_is_down(members_ldap, settings, db):
    members_ldap.stop()
    with pytest.raises(CommandError, match="Cannot reach the LDAP server"):
        call_command("members_ldap_sync", stdout=io.StringIO())
    settings.MEMBERS_LDAP_BASE_DN = ""
    with pytest.raises(CommandError, match="MEMBERS_LDAP_BASE_DN"):
        call_command("members_ldap_sync", stdout=io.StringIO())


def test_admin_shows_the_ldap_state(admin_client, members_ldap, member):
    url = reverse("admin:members_member_change", args=[member.pk])
    page = admin_client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "not in sync: push pending" in page
    assert "salted hash set ({ARGON2})" in page
    push()
    page = admin_client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "in sync" in page and f"uid=camille,{members_ldap.members_dn}" in page


def test_a_member_made_in_the_admin_binds(admin_client, members_ldap):
    response = admin_client.post(
        reverse("admin:members_member_add"),
        {
            "type": "natural_person", "status": "member", "first_name": "Jeanne", "last_name": "Dupont",
            "organization_name": "", "email": "jeanne@example.org", "username": "jdupont",
            "password1": PASSWORD, "password2": PASSWORD, "_save": "Save",
            "membership_fees-TOTAL_FORMS": "0", "membership_fees-INITIAL_FORMS": "0",
            "membership_fees-MIN_NUM_FORMS": "0", "membership_fees-MAX_NUM_FORMS": "1000",
            # The LDAP inline's (read-only, empty) management form, as the page sends it.
            "directory_account-TOTAL_FORMS": "0", "directory_account-INITIAL_FORMS": "0",
            "directory_account-MIN_NUM_FORMS": "0", "directory_account-MAX_NUM_FORMS": "1",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    push()
    assert binds(members_ldap, "jdupont", PASSWORD)
    assert group(members_ldap) == [dn(members_ldap, "jdupont")]
