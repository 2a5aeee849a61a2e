"""A member logs in with a real Chromium and sees the dashboard, in French (the
default) and in English, on a desktop and on a phone screen."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    """A browser that prefers French, as most of the ISP's members' do."""
    return {**browser_context_args, "locale": "fr-FR"}


@pytest.fixture
def camille(member_factory, isp):
    return member_factory(
        username="camille", first_name="Camille", last_name="Martin", password="s3cret-Pass!"
    )


def log_in(page: Page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form button[type=submit]")


def test_member_logs_in_and_sees_the_dashboard_in_french_then_english(page: Page, live_server, camille):
    log_in(page, live_server, "camille", "s3cret-Pass!")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Bonjour Camille Martin")
    expect(page.locator("nav.menu")).to_contain_text("Mes informations")
    expect(page.locator(".brand")).to_contain_text("ARLP")
    page.screenshot(path="test-results/dashboard-fr.png", full_page=True)

    page.click("button[name=language][value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Hello Camille Martin")
    expect(page.locator("nav.menu")).to_contain_text("My information")


def test_wrong_password_is_refused(page: Page, live_server, camille):
    log_in(page, live_server, "camille", "not-the-password")
    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.locator(".errorlist")).to_be_visible()


def test_the_menu_folds_on_a_phone(browser, live_server, camille):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server, "camille", "s3cret-Pass!")
    expect(page.locator("h1")).to_contain_text("Camille")
    menu = page.locator("nav.menu")
    expect(menu).to_be_hidden()
    page.click("label.menu-button")
    expect(menu).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path="test-results/dashboard-phone.png", full_page=True)
    context.close()
