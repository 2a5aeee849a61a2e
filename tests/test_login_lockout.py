"""Issue 8, item 5: repeated wrong passwords on the portal's and the admin's login
pages lock the account, and separately the address, out (django-axes); the right
password is then refused too, with a clear page, until an admin unlocks."""

from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
PORTAL, ADMIN = "/login/", "/admin/login/"


@pytest.fixture
def staff(member_factory):
    return member_factory(username="gestion", is_staff=True, is_superuser=True, status="not_member")


def log_in(client, url: str, username: str, password: str, address: str = "203.0.113.5"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, url: str, username: str, times: int, address: str = "203.0.113.5") -> list[int]:
    return [log_in(client, url, username, "wrong password", address).status_code for _ in range(times)]


def assert_locked_out(response) -> None:
    assert response.status_code == 429
    content = response.content.decode()
    assert 'id="lockout"' in content
    assert "Too many failed logins" in content
    assert "Try again in 30 minutes." in content
    assert "_auth_user_id" not in response.client.session


@pytest.mark.parametrize("url", [PORTAL, ADMIN])
def test_an_account_is_locked_after_repeated_failures(client, settings, staff, url):
    settings.LANGUAGE_CODE = "en"
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 10
    statuses = fail(client, url, "gestion", limit)
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert statuses[-1] == 429
    # Now even the right password is refused, from any address: the account is locked.
    assert_locked_out(log_in(client, url, "gestion", PASSWORD, address="198.51.100.9"))
    assert_locked_out(log_in(client, url, "gestion", PASSWORD))
    assert AccessFailureLog.objects.filter(username="gestion").count() >= limit


@pytest.mark.parametrize("url", [PORTAL, ADMIN])
def test_an_address_is_locked_after_repeated_failures_on_many_accounts(client, settings, staff, url):
    settings.LANGUAGE_CODE = "en"
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, url, f"guess{n}", "wrong password", address="203.0.113.66")
    # The address is locked, whatever account it tries…
    assert_locked_out(log_in(client, url, "gestion", PASSWORD, address="203.0.113.66"))
    # …but the account itself is not: from elsewhere it logs in.
    response = log_in(client, url, "gestion", PASSWORD, address="198.51.100.9")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_a_few_failures_then_the_right_password_logs_in_and_resets_the_count(client, member):
    assert fail(client, PORTAL, "camille", 5) == [200] * 5
    assert log_in(client, PORTAL, "camille", PASSWORD).status_code == 302
    client.logout()
    # The failures before the success no longer count.
    assert fail(client, PORTAL, "camille", settings.AXES_FAILURE_LIMIT - 1)[-1] == 200


def test_the_lockout_page_is_translated(client, member):
    fail(client, PORTAL, "camille", settings.AXES_FAILURE_LIMIT)
    response = client.post(
        PORTAL,
        {"username": "camille", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.5",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 429
    assert 'lang="fr"' in response.content.decode()


def test_an_admin_unlocks_an_account_in_the_admin(client, member, staff):
    fail(client, PORTAL, "camille", settings.AXES_FAILURE_LIMIT)
    assert log_in(client, PORTAL, "camille", PASSWORD).status_code == 429

    admin = client.__class__()
    admin.force_login(staff)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = admin.get(changelist, {"q": "camille"})
    assert page.status_code == 200
    attempts = list(AccessAttempt.objects.filter(username="camille"))
    assert attempts and all(str(attempt.pk) in page.content.decode() for attempt in attempts)
    response = admin.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="camille").exists()

    assert log_in(client, PORTAL, "camille", PASSWORD).status_code == 302


def test_an_admin_unlocks_with_the_axes_reset_command(client, member):
    fail(client, PORTAL, "camille", settings.AXES_FAILURE_LIMIT)
    assert log_in(client, PORTAL, "camille", PASSWORD).status_code == 429
    call_command("axes_reset_username", "camille", stdout=StringIO())
    assert log_in(client, PORTAL, "camille", PASSWORD).status_code == 302

    client.logout()
    fail(client, ADMIN, "camille", settings.AXES_FAILURE_LIMIT)
    assert log_in(client, PORTAL, "camille", PASSWORD).status_code == 429
    call_command("axes_reset", stdout=StringIO())
    assert log_in(client, PORTAL, "camille", PASSWORD).status_code == 302


def test_behind_a_reverse_proxy_the_forwarded_address_is_the_one_locked(client, settings, member):
    settings.REVERSE_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            PORTAL,
            {"username": f"guess{n}", "password": "x"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.66",  # the client's claim, then nginx's
        )
    # Another client behind the same proxy still logs in.
    response = client.post(
        PORTAL,
        {"username": "camille", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert response.status_code == 302
    assert AccessAttempt.objects.filter(ip_address="203.0.113.66").exists()
    assert not AccessAttempt.objects.filter(ip_address="1.2.3.4").exists()


def test_client_login_is_refused_without_a_request_and_force_login_works(client, member):
    """Tests log in with force_login (or client.login(request=…)): authenticate()
    without the request is refused by django-axes, loudly (a lockout that could be
    bypassed would be worthless)."""
    from axes.exceptions import AxesBackendRequestParameterRequired

    with pytest.raises(AxesBackendRequestParameterRequired):
        client.login(username="camille", password=PASSWORD)
    assert client.login(request=RequestFactory().post("/login/"), username="camille", password=PASSWORD)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    client.logout()
    client.force_login(member)
    assert client.get(reverse("portal:dashboard")).status_code == 200
