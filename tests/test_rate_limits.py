"""Issue 8, item 5: password reset (per address and per email) and subscription
requests (per member) are rate-limited; past the limit the portal answers 429 with a
page that says why and when to come back, and sends nothing more."""

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from coin.offers.models import Offer, SubscriptionRequest
from coin.ratelimit import Rate, hit, parse_rate

pytestmark = pytest.mark.django_db


def reset(client, email: str, address: str = "203.0.113.5"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def assert_ratelimited(response) -> None:
    assert response.status_code == 429
    assert 'id="ratelimited"' in response.content.decode()
    assert "Too many requests" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 3600


def test_password_reset_is_limited_per_email(client, settings, member):
    settings.LANGUAGE_CODE = "en"
    assert settings.RATE_LIMITS["password_reset_email"] == "3/h"
    for n in range(3):
        assert reset(client, member.email, address=f"203.0.113.{n}").status_code == 302
    assert len(mail.outbox) == 3
    # The fourth, from yet another address and in other letters, is refused: no email.
    assert_ratelimited(reset(client, member.email.upper(), address="198.51.100.1"))
    assert len(mail.outbox) == 3
    # Another member is not concerned.
    assert reset(client, "member-unknown@example.org", address="198.51.100.1").status_code == 302


def test_password_reset_is_limited_per_address(client, settings, member):
    settings.LANGUAGE_CODE = "en"
    assert settings.RATE_LIMITS["password_reset_address"] == "10/h"
    for n in range(10):
        assert reset(client, f"someone{n}@example.org").status_code == 302
    assert_ratelimited(reset(client, member.email))
    assert not mail.outbox
    assert reset(client, member.email, address="198.51.100.1").status_code == 302
    assert len(mail.outbox) == 1


def test_showing_the_password_reset_form_is_not_counted(client, member):
    for _ in range(20):
        assert client.get(reverse("password_reset")).status_code == 200
    assert reset(client, member.email).status_code == 302


def test_subscription_requests_are_limited_per_member(member_client, other_member, settings, client):
    settings.LANGUAGE_CODE = "en"
    # One offer per request: a second pending request for the same offer is refused
    # by itself (issue 14), before any limit.
    offers = [
        Offer.objects.create(
            name=f"VPN {n}", reference=f"VPN{n}", configuration_type="simple_dsl.SimpleDSL", requestable=True
        )
        for n in range(11)
    ]
    offer = offers[0]
    assert settings.RATE_LIMITS["subscription_request"] == "10/d"
    url = reverse("offers:request")
    for n in range(10):
        assert member_client.post(url, {"offer": offers[n].pk, "comment": f"#{n}"}).status_code == 302
    response = member_client.post(url, {"offer": offers[10].pk, "comment": "one more"})
    assert_ratelimited_day(response)
    assert SubscriptionRequest.objects.count() == 10
    # The form itself still shows, and another member may still ask.
    assert member_client.get(url).status_code == 200
    client.force_login(other_member)
    assert client.post(url, {"offer": offer.pk}).status_code == 302
    assert SubscriptionRequest.objects.count() == 11


def assert_ratelimited_day(response) -> None:
    assert response.status_code == 429
    assert 'id="ratelimited"' in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 86400


def test_the_limit_is_per_window_and_comes_back():
    rate = Rate(2, 60)
    assert [hit("test", "k", rate, now=120.0) for _ in range(2)] == [0, 0]
    assert hit("test", "k", rate, now=150.0) == 30  # wait for the next minute
    assert hit("test", "other", rate, now=150.0) == 0
    assert hit("test", "k", rate, now=180.0) == 0


@pytest.mark.parametrize(
    "text, rate", [("5/h", Rate(5, 3600)), ("10/15m", Rate(10, 900)), ("1/d", Rate(1, 86400))]
)
def test_rates_parse(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["5", "5/week", "0/h", "x/h", "5/0m", ""])
def test_a_bad_rate_is_a_clear_configuration_error(text):
    with pytest.raises(ImproperlyConfigured, match="Bad rate"):
        parse_rate(text)
