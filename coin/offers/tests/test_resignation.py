"""Issue 8, item 9: a member sets a resignation date once; only an admin moves or
undoes it."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from coin.offers.models import Offer, OfferSubscription
from coin.offers.subscriptions import resign, subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(member):
    offer = Offer.objects.create(name="VPN", reference="VPN", configuration_type="simple_dsl.SimpleDSL")
    return subscribe(member=member, offer=offer, subscription_date=datetime.date(2024, 1, 1))


def test_a_member_cannot_move_or_undo_their_resignation(member_client, subscription, settings):
    """The reproduction: POST /subscriptions/<pk>/resign/ with 2027-06-01, then
    2026-12-02, then 9999-12-31: all three succeeded. Now the first one stands."""
    settings.LANGUAGE_CODE = "en"
    url = reverse("offers:resign", args=[subscription.pk])
    today = timezone.localdate()
    first = today + datetime.timedelta(days=180)
    earlier = today + datetime.timedelta(days=1)
    response = member_client.post(url, {"resign_date": first.isoformat(), "confirm": "on"})
    assert response.status_code == 302
    emails = len(mail.outbox)
    for day in (earlier.isoformat(), "9999-12-31"):
        response = member_client.post(url, {"resign_date": day, "confirm": "on"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 409
        with translation.override("en"):
            shown = date_format(first, "DATE_FORMAT")
        assert "already set" in response.content.decode() and shown in response.content.decode()
        assert 'name="resign_date"' not in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.resign_date == first
    assert len(mail.outbox) == emails  # no confirmation of a refused change


def test_the_portal_no_longer_offers_the_form_once_resigned(member_client, subscription):
    subscription.resign_date = timezone.localdate() + datetime.timedelta(days=10)
    subscription.save()
    response = member_client.get(reverse("offers:resign", args=[subscription.pk]))
    assert response.status_code == 200 and 'name="resign_date"' not in response.content.decode()
    listing = member_client.get(reverse("offers:subscriptions")).content.decode()
    assert reverse("offers:resign", args=[subscription.pk]) not in listing


def test_the_rule_holds_outside_the_view(subscription):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    resign(subscription, tomorrow + datetime.timedelta(days=5), by_member=True)
    with translation.override("en"), pytest.raises(ValidationError, match="contact the association"):
        resign(subscription, tomorrow, by_member=True)
    stale = OfferSubscription.objects.get(pk=subscription.pk)
    stale.resign_date = None  # a stale copy: the stored row decides
    with pytest.raises(ValidationError):
        resign(stale, tomorrow, by_member=True)


def test_an_admin_can_still_move_or_undo_it(subscription, admin_client):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    resign(subscription, tomorrow, by_member=True)
    resign(subscription, tomorrow + datetime.timedelta(days=60), by_member=False)
    subscription.refresh_from_db()
    assert subscription.resign_date == tomorrow + datetime.timedelta(days=60)
    page = admin_client.get(reverse("admin:offers_offersubscription_change", args=[subscription.pk]))
    assert page.status_code == 200


def test_a_member_still_resigns_from_tomorrow_on_only(member_client, subscription):
    url = reverse("offers:resign", args=[subscription.pk])
    today = timezone.localdate().isoformat()
    response = member_client.post(url, {"resign_date": today, "confirm": "on"})
    assert response.status_code == 200 and "resign_date" in response.context["form"].errors
    subscription.refresh_from_db()
    assert subscription.resign_date is None


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_date_input_gets_an_iso_value_in_every_language(member_client, subscription, language):
    """Issue 14, point 2: in French the form pre-filled value="02/12/2026", which a
    date input cannot read: the field showed empty."""
    earliest = timezone.localdate() + datetime.timedelta(days=1)
    response = member_client.get(
        reverse("offers:resign", args=[subscription.pk]), HTTP_ACCEPT_LANGUAGE=language
    )
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert f'type="date" name="resign_date" value="{earliest.isoformat()}"' in page


FRENCH_MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_error_prints_the_date_in_the_pages_language(member_client, subscription, language):
    """The error said "Choose a date from 2026-12-02 on." in both languages."""
    earliest = timezone.localdate() + datetime.timedelta(days=1)
    response = member_client.post(
        reverse("offers:resign", args=[subscription.pk]),
        {"resign_date": timezone.localdate().isoformat(), "confirm": "on"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    [error] = response.context["form"].errors["resign_date"]
    assert earliest.isoformat() not in error
    if language == "fr":
        assert f"{earliest.day} {FRENCH_MONTHS[earliest.month - 1]} {earliest.year}" in error
    else:
        assert error.startswith("Choose a date from ") and f"{earliest.day}, {earliest.year}" in error
    # The form shown again keeps what the member typed, still as an ISO date.
    assert f'value="{timezone.localdate().isoformat()}"' in response.content.decode()
