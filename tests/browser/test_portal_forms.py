"""Issue 14, point 2: the resignation form's date input in a French Chromium shows
the pre-filled date (it was empty: the value was 02/12/2026, not an ISO date)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from coin.offers.models import Offer, OfferSubscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR", "viewport": {"width": 390, "height": 844}}


@pytest.fixture
def subscription(member_factory, isp):
    member = member_factory(username="camille", password="s3cret-Pass!")
    offer = Offer.objects.create(name="VPN", reference="VPN", configuration_type="simple_dsl.SimpleDSL")
    return OfferSubscription.objects.create(
        member=member, offer=offer, subscription_date=datetime.date(2024, 1, 1)
    )


def test_the_french_resign_form_shows_its_date(page: Page, live_server, subscription):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "camille")
    page.fill("#id_password", "s3cret-Pass!")
    page.click("#login-form button[type=submit]")
    page.goto(f"{live_server.url}/subscriptions/{subscription.pk}/resign/")
    assert page.locator("html").get_attribute("lang") == "fr"
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    date_input = page.locator("#id_resign_date")
    assert date_input.input_value() == tomorrow.isoformat()
    # The browser reads the value as a date (an unreadable value gives null).
    assert page.evaluate("document.querySelector('#id_resign_date').valueAsDate !== null")
    # Too early: the error prints the date the French way, and the input keeps its value.
    date_input.fill(timezone.localdate().isoformat())
    page.check("#id_confirm")
    page.click("form.stacked button[type=submit]")
    error = page.locator(".errorlist").first.inner_text()
    assert tomorrow.isoformat() not in error and str(tomorrow.year) in error
    assert page.locator("#id_resign_date").input_value() == timezone.localdate().isoformat()
