"""What a member sees and does in the portal: their information, profile edits,
self-registration, passwords; and creating a member from the admin."""

import datetime
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from coin.members.models import Member, MembershipFee

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # member_factory's default
NEW_PASSWORD = "tangerine-Octopus-1987"
# The admin add form carries the (empty) membership fee inline.
NO_FEES = {
    "membership_fees-TOTAL_FORMS": "0",
    "membership_fees-INITIAL_FORMS": "0",
    "membership_fees-MIN_NUM_FORMS": "0",
    "membership_fees-MAX_NUM_FORMS": "1000",
}


class FailingBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def logs_in(client, username: str, password: str) -> bool:
    """Log in through the login page, as a person would."""
    client.logout()
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and SESSION_KEY in client.session


# --- Login required ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["members:detail", "members:edit", "password_change"])
@pytest.mark.parametrize("can_edit", [True, False])
def test_member_pages_need_a_login(client, settings, name, can_edit):
    settings.MEMBER_CAN_EDIT_PROFILE = can_edit
    url = reverse(name)
    for response in (client.get(url), client.post(url, {"email": "x@example.org"})):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


# --- My information ---------------------------------------------------------------------------


@pytest.fixture
def two_members(member_factory):
    member = member_factory(
        username="camille",
        first_name="Camille",
        last_name="Martin",
        email="camille@example.org",
        address="12 rue des Lilas",
        city="Montreuil",
        mobile_phone_number="0611223344",
    )
    other = member_factory(
        username="dominique",
        first_name="Dominique",
        last_name="Durand",
        email="dominique@example.org",
        address="99 avenue Foch",
        city="Besançon",
        mobile_phone_number="0799887766",
    )
    MembershipFee.objects.create(member=member, start_date=datetime.date(2026, 1, 1), amount="15.00")
    MembershipFee.objects.create(member=other, start_date=datetime.date(2025, 9, 1), amount="42.00")
    return member, other


def test_my_information_shows_my_own_data(client, two_members):
    member, _ = two_members
    client.force_login(member)
    response = client.get(reverse("members:detail"))
    assert response.status_code == 200
    assert response.context["member"] == member
    assert response.context["membership_end"] == datetime.date(2026, 12, 31)
    page = response.content.decode()
    for value in ("camille", "Camille Martin", "camille@example.org", "12 rue des Lilas", "Montreuil"):
        assert value in page
    assert "0611223344" in page
    assert "15.00" in page or "15,00" in page


def test_my_information_never_shows_another_member(client, two_members):
    member, other = two_members
    client.force_login(member)
    page = client.get(reverse("members:detail"), {"pk": other.pk}).content.decode()
    for value in ("dominique", "Durand", "99 avenue Foch", "Besançon", "0799887766", "42.00", "42,00"):
        assert value not in page
    # And the other member sees their own data, not the first one's.
    client.force_login(other)
    page = client.get(reverse("members:detail")).content.decode()
    assert "99 avenue Foch" in page
    assert "12 rue des Lilas" not in page
    assert "camille@example.org" not in page


def test_my_information_offers_the_edit_link_only_when_allowed(member_client, settings):
    settings.MEMBER_CAN_EDIT_PROFILE = False
    assert reverse("members:edit") not in member_client.get(reverse("members:detail")).content.decode()
    settings.MEMBER_CAN_EDIT_PROFILE = True
    assert reverse("members:edit") in member_client.get(reverse("members:detail")).content.decode()


# --- Editing my information -------------------------------------------------------------------


PROFILE = {
    "nickname": "Cam",
    "email": "new-camille@example.org",
    "home_phone_number": "0144556677",
    "mobile_phone_number": "0655443322",
    "address": "3 impasse du Port",
    "postal_code": "29200",
    "city": "Brest",
    "country": "France",
}


def test_editing_is_forbidden_unless_the_setting_allows_it(member_client, member, settings):
    settings.MEMBER_CAN_EDIT_PROFILE = False
    assert member_client.get(reverse("members:edit")).status_code == 403
    assert member_client.post(reverse("members:edit"), PROFILE).status_code == 403
    member.refresh_from_db()
    assert member.email != PROFILE["email"]
    assert member.city != "Brest"


def test_editing_saves_my_information(member_client, member, other_member, settings):
    settings.MEMBER_CAN_EDIT_PROFILE = True
    assert member_client.get(reverse("members:edit")).status_code == 200
    response = member_client.post(reverse("members:edit"), PROFILE)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:detail")
    member.refresh_from_db()
    for field, value in PROFILE.items():
        assert getattr(member, field) == value
    other_email = other_member.email
    other_member.refresh_from_db()
    assert other_member.email == other_email
    assert "3 impasse du Port" in member_client.get(reverse("members:detail")).content.decode()


def test_editing_cannot_touch_what_only_the_association_changes(member_client, member, settings):
    settings.MEMBER_CAN_EDIT_PROFILE = True
    Member.objects.filter(pk=member.pk).update(status=Member.Status.PENDING)
    response = member_client.post(
        reverse("members:edit"),
        {
            **PROFILE,
            "status": "member",
            "is_staff": "on",
            "is_superuser": "on",
            "first_name": "Mallory",
            "username": "admin",
            "comments": "paid for life",
            "send_membership_fees_email": "",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.is_staff, member.is_superuser) == (Member.Status.PENDING, False, False)
    assert (member.first_name, member.username, member.comments) == ("Camille", "camille", "")
    assert member.send_membership_fees_email is True


@pytest.mark.parametrize("email", ["not-an-email", ""])
def test_a_bad_email_is_refused_naming_the_field_and_nothing_is_saved(member_client, member, settings, email):
    settings.MEMBER_CAN_EDIT_PROFILE = True
    old_email = member.email
    response = member_client.post(reverse("members:edit"), {**PROFILE, "email": email})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    member.refresh_from_db()
    assert member.email == old_email
    assert member.city != "Brest"


def test_an_email_of_another_account_is_refused(member_client, member, other_member, settings):
    settings.MEMBER_CAN_EDIT_PROFILE = True
    response = member_client.post(reverse("members:edit"), {**PROFILE, "email": other_member.email.upper()})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    # Keeping one's own address (in another case) is fine.
    response = member_client.post(reverse("members:edit"), {**PROFILE, "email": member.email.upper()})
    assert response.status_code == 302


# --- Self-registration ------------------------------------------------------------------------


SIGNUP = {
    "type": "natural_person",
    "first_name": "Sacha",
    "last_name": "Petit",
    "organization_name": "",
    "email": "sacha@example.org",
    "address": "1 place de la Mairie",
    "postal_code": "21000",
    "city": "Dijon",
    "country": "France",
    "mobile_phone_number": "0600000000",
    "username": "",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
}


@pytest.fixture
def registration(settings, isp):
    settings.MEMBER_SELF_REGISTRATION = True
    settings.MEMBER_MEMBERSHIP_INFO_URL = "https://arlp.example/adherer"
    settings.LANGUAGE_CODE = "en"
    return settings


def confirmation_path(message) -> str:
    match = re.search(r"https://coin\.isp\.example(/members/signup/confirm/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_without_self_registration_the_pages_do_not_exist(client, settings):
    settings.MEMBER_SELF_REGISTRATION = False
    assert client.get(reverse("members:signup")).status_code == 404
    assert client.post(reverse("members:signup"), SIGNUP).status_code == 404
    assert client.get(reverse("members:signup_done")).status_code == 404
    assert client.get(reverse("members:signup_confirm", args=["MQ", "abc-def"])).status_code == 404
    assert not Member.objects.exists()
    assert mail.outbox == []


def test_sign_up_creates_an_inactive_pending_member_and_sends_the_emails(client, registration):
    assert client.get(reverse("members:signup")).status_code == 200
    response = client.post(reverse("members:signup"), SIGNUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:signup_done")
    assert client.get(response["Location"]).status_code == 200

    member = Member.objects.get(email="sacha@example.org")
    assert (member.status, member.is_active, member.is_staff) == (Member.Status.PENDING, False, False)
    assert member.username == "spetit"
    assert (member.city, member.mobile_phone_number) == ("Dijon", "0600000000")
    assert member.check_password(NEW_PASSWORD)

    confirmation, notification = mail.outbox
    assert confirmation.to == ["sacha@example.org"]
    assert confirmation_path(confirmation).startswith("/members/signup/confirm/")
    assert "FR7630006000011234567890189" in confirmation.body
    assert "https://arlp.example/adherer" in confirmation.body
    assert "spetit" in confirmation.body
    assert notification.to == ["board@isp.example"]
    assert "spetit" in notification.subject
    assert "sacha@example.org" in notification.body
    assert f"https://coin.isp.example/admin/members/member/{member.pk}/change/" in notification.body


def test_without_notification_emails_only_the_confirmation_goes_out(client, registration):
    registration.NOTIFICATION_EMAILS = []
    client.post(reverse("members:signup"), SIGNUP)
    assert [m.to for m in mail.outbox] == [["sacha@example.org"]]


def test_sign_up_cannot_make_oneself_a_member_or_staff(client, registration):
    client.post(
        reverse("members:signup"),
        {**SIGNUP, "status": "member", "is_active": "on", "is_staff": "on", "is_superuser": "on"},
    )
    member = Member.objects.get(email="sacha@example.org")
    assert (member.status, member.is_active, member.is_staff, member.is_superuser) == (
        Member.Status.PENDING,
        False,
        False,
        False,
    )


def test_following_the_link_activates_the_account_and_login_works(client, registration):
    client.post(reverse("members:signup"), SIGNUP)
    assert not logs_in(client, "spetit", NEW_PASSWORD)

    response = client.get(confirmation_path(mail.outbox[0]))

    assert response.status_code == 200
    assert response.context["valid"] is True
    member = Member.objects.get(email="sacha@example.org")
    assert member.is_active
    assert member.status == Member.Status.PENDING  # until a fee is recorded
    assert logs_in(client, "spetit", NEW_PASSWORD)
    assert client.get(reverse("members:detail")).context["member"] == member


def test_the_confirmation_link_is_not_a_password_reset_link(client, registration):
    client.post(reverse("members:signup"), SIGNUP)
    uid, token = confirmation_path(mail.outbox[0]).rstrip("/").split("/")[-2:]
    response = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    assert response.context["validlink"] is False


def test_a_password_reset_link_does_not_confirm_a_sign_up(client, registration, member):
    client.post(reverse("password_reset"), {"email": member.email})
    uid, token = re.search(r"/password/reset/(\S+)/(\S+)/", mail.outbox[0].body).groups()
    # The association disables the account; its owner tries the reset link as a sign-up link.
    Member.objects.filter(pk=member.pk).update(is_active=False)
    response = client.get(reverse("members:signup_confirm", args=[uid, token]))
    assert response.context["valid"] is False
    member.refresh_from_db()
    assert not member.is_active


@pytest.mark.parametrize(
    "tamper",
    [
        lambda uid, token: (uid, token[:-1] + ("a" if token[-1] != "a" else "b")),
        lambda uid, token: (uid, "abc-0123456789abcdef"),
        lambda uid, token: ("Zm9v", token),  # "foo"
        lambda uid, token: ("%%%", token),
    ],
    ids=["token-changed", "token-made-up", "uid-not-a-number", "uid-not-base64"],
)
def test_a_tampered_link_does_not_activate(client, registration, tamper):
    client.post(reverse("members:signup"), SIGNUP)
    uid, token = confirmation_path(mail.outbox[0]).rstrip("/").split("/")[-2:]
    bad_uid, bad_token = tamper(uid, token)
    response = client.get(f"/members/signup/confirm/{bad_uid}/{bad_token}/")
    assert response.status_code == 200
    assert response.context["valid"] is False
    assert not Member.objects.get(email="sacha@example.org").is_active
    assert not logs_in(client, "spetit", NEW_PASSWORD)


def test_a_link_for_another_account_does_not_activate_it(client, registration):
    client.post(reverse("members:signup"), SIGNUP)
    client.post(
        reverse("members:signup"),
        {**SIGNUP, "email": "eve@example.org", "first_name": "Eve", "last_name": "L"},
    )
    sacha_path = confirmation_path(mail.outbox[0])
    eve = Member.objects.get(email="eve@example.org")
    eve_path = confirmation_path(mail.outbox[2])
    eve_uid = eve_path.rstrip("/").split("/")[-2]
    sacha_token = sacha_path.rstrip("/").split("/")[-1]
    response = client.get(f"/members/signup/confirm/{eve_uid}/{sacha_token}/")
    assert response.context["valid"] is False
    eve.refresh_from_db()
    assert not eve.is_active


@pytest.mark.parametrize("email", ["camille@example.org", "Camille@EXAMPLE.org", " camille@example.org "])
def test_a_duplicate_email_is_refused_naming_the_field(client, registration, member_factory, email):
    member_factory(username="camille", email="camille@example.org")
    response = client.post(reverse("members:signup"), {**SIGNUP, "email": email})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert Member.objects.count() == 1
    assert mail.outbox == []


def test_sign_up_needs_a_name_or_an_organization(client, registration):
    response = client.post(reverse("members:signup"), {**SIGNUP, "first_name": "", "last_name": ""})
    assert set(response.context["form"].errors) == {"first_name", "last_name"}
    response = client.post(reverse("members:signup"), {**SIGNUP, "type": "legal_entity"})
    assert list(response.context["form"].errors) == ["organization_name"]
    assert not Member.objects.exists()
    response = client.post(
        reverse("members:signup"),
        {**SIGNUP, "type": "legal_entity", "organization_name": "Café La Rotonde", "username": ""},
    )
    assert response.status_code == 302
    assert Member.objects.get().username == "cafelarotonde"


def test_sign_up_keeps_a_chosen_username_and_refuses_a_taken_one(client, registration, member_factory):
    member_factory(username="taken", email="someone@example.org")
    response = client.post(reverse("members:signup"), {**SIGNUP, "username": "taken"})
    assert list(response.context["form"].errors) == ["username"]
    response = client.post(reverse("members:signup"), {**SIGNUP, "username": "sacha"})
    assert response.status_code == 302
    assert Member.objects.get(email="sacha@example.org").username == "sacha"


def test_sign_up_refuses_a_username_taken_in_another_case(client, registration, member_factory):
    member_factory(username="camille", email="someone@example.org")
    response = client.post(reverse("members:signup"), {**SIGNUP, "username": "Camille"})
    assert list(response.context["form"].errors) == ["username"]
    assert Member.objects.count() == 1


def test_a_sign_up_whose_email_fails_leaves_no_account_behind(client, registration):
    registration.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with pytest.raises(ConnectionRefusedError):
        client.post(reverse("members:signup"), SIGNUP)
    assert not Member.objects.exists()
    # Once mail works again, the same person can sign up with the same address.
    registration.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert client.post(reverse("members:signup"), SIGNUP).status_code == 302
    assert Member.objects.get().email == "sacha@example.org"
    assert mail.outbox[0].to == ["sacha@example.org"]


def test_sign_up_refuses_mismatched_passwords(client, registration):
    response = client.post(reverse("members:signup"), {**SIGNUP, "password2": "something-else-entirely"})
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    assert not Member.objects.exists()


# --- Passwords --------------------------------------------------------------------------------


def test_password_change(member_client, member):
    url = reverse("password_change")
    assert member_client.get(url).status_code == 200
    response = member_client.post(
        url, {"old_password": "wrong password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert list(response.context["form"].errors) == ["old_password"]
    response = member_client.post(
        url, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert member_client.get(response["Location"]).status_code == 200
    assert not logs_in(member_client, "camille", PASSWORD)
    assert logs_in(member_client, "camille", NEW_PASSWORD)


def test_password_reset(client, member, other_member):
    response = client.post(reverse("password_reset"), {"email": member.email.upper()})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == [member.email]
    match = re.search(r"https?://testserver(/password/reset/\S+/\S+/)", message.body)
    assert match, message.body

    response = client.get(match.group(1))
    assert response.status_code == 302  # to the same page without the token in the URL
    set_password_url = response["Location"]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")

    assert logs_in(client, "camille", NEW_PASSWORD)
    assert not logs_in(client, "camille", PASSWORD)
    assert logs_in(client, "dominique", PASSWORD)
    # The link works once.
    client.logout()
    assert client.get(match.group(1), follow=True).context["validlink"] is False


def test_password_reset_for_an_unknown_address_sends_nothing(client, member):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_login_with_the_right_password_only(client, member):
    assert not logs_in(client, "camille", "wrong password")
    assert logs_in(client, "camille", PASSWORD)


# --- Admin ------------------------------------------------------------------------------------


def test_admin_creates_a_member_without_username_and_one_is_generated(
    admin_client, member_factory, django_capture_on_commit_callbacks
):
    member_factory(username="jdupont", first_name="Jacques", last_name="Dupont", email="j1@example.org")
    url = reverse("admin:members_member_add")
    page = admin_client.get(url)
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {
                "type": "natural_person",
                "status": "member",
                "first_name": "Jeanne",
                "last_name": "Dupont",
                "organization_name": "",
                "email": "jeanne@example.org",
                "username": "",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "_save": "Save",
                **NO_FEES,
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Member.objects.get(email="jeanne@example.org")
    assert created.username == "jdupont2"
    assert created.status == Member.Status.MEMBER
    assert created.check_password(NEW_PASSWORD)
    assert response["Location"] == reverse("admin:members_member_change", args=[created.pk])
    # A new member (status "member") is welcomed.
    assert [m.to for m in mail.outbox] == [["jeanne@example.org"]]


def test_admin_creates_a_legal_entity_with_a_username_from_its_name(admin_client):
    response = admin_client.post(
        reverse("admin:members_member_add"),
        {
            "type": "legal_entity",
            "status": "pending",
            "first_name": "",
            "last_name": "",
            "organization_name": "Café La Rotonde",
            "email": "rotonde@example.org",
            "username": "",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **NO_FEES,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Member.objects.get(email="rotonde@example.org").username == "cafelarotonde"


def test_admin_add_form_still_asks_a_person_for_a_name(admin_client):
    response = admin_client.post(
        reverse("admin:members_member_add"),
        {
            "type": "natural_person",
            "status": "member",
            "first_name": "",
            "last_name": "",
            "email": "anon@example.org",
            "username": "",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            **NO_FEES,
        },
    )
    assert response.status_code == 200
    assert {"first_name", "last_name"} <= set(response.context["adminform"].form.errors)
    assert not Member.objects.filter(email="anon@example.org").exists()


def test_a_used_confirmation_link_cannot_reactivate_a_disabled_account(client, registration):
    client.post(reverse("members:signup"), SIGNUP)
    path = confirmation_path(mail.outbox[0])
    assert client.get(path).context["valid"] is True
    member = Member.objects.get(email="sacha@example.org")
    assert member.is_active and member.email_confirmed_at is not None
    member.is_active = False  # an admin disables the account
    member.save()
    assert client.get(path).context["valid"] is False
    member.refresh_from_db()
    assert member.is_active is False
