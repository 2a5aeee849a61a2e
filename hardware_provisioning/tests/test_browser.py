"""A member's hardware pages in a real Chromium on a phone (390×844): the menu
entry, what can be borrowed, borrowing, handing the loan over to another member
who accepts it, and returning; no page is wider than the screen."""

import pytest
from playwright.sync_api import Browser, Page, expect

from hardware_provisioning.models import Loan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "en-GB"}


@pytest.fixture
def people(member_factory, isp):
    return {
        "camille": member_factory(
            username="camille", first_name="Camille", last_name="Martin", password="s3cret-Pass!"
        ),
        "dominique": member_factory(
            username="dominique",
            first_name="Dominique",
            last_name="Durand",
            email="dominique@example.org",
            password="an0ther-Pass!",
        ),
    }


def phone(browser: Browser, live_server, username: str, password: str) -> Page:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_borrow_hand_over_and_return_on_a_phone(
    browser, live_server, people, make_item, modem_type, settings
):
    settings.HARDWARE_DIRECT_LOANS = True
    make_item(designation="Turris Omnia with a rather long designation to wrap", serial="OMNIA-1")
    make_item(designation="Zyxel VMG1312", type=modem_type, storage=None, mac_address="")

    page = phone(browser, live_server, "camille", "s3cret-Pass!")
    page.click("label.menu-button")
    page.locator("nav.menu").get_by_role("link", name="My hardware").click()
    expect(page.locator("h1")).to_have_text("My hardware")
    expect(page.locator(".hardware-current")).to_contain_text("Nothing is lent to you.")
    fits(page)

    page.get_by_role("link", name="Borrow hardware").click()
    expect(page.locator(".hardware-type h2").first).to_contain_text("DSL modem")
    expect(page.locator("main")).to_contain_text("stored at Local (12 rue des Lilas, Lyon)")
    expect(page.locator("main")).to_contain_text("storage site unknown")
    fits(page)
    page.screenshot(path="test-results/hardware-available-phone.png", full_page=True)

    page.locator(".hardware-type", has_text="Router").get_by_role("link", name="Borrow").click()
    page.fill("#id_location", "Flat 3, 8 rue Haute")
    fits(page)
    page.get_by_role("button", name="Borrow").click()
    expect(page.locator(".message")).to_contain_text("is lent to you")
    expect(page.locator(".hardware-current")).to_contain_text("Turris Omnia")
    fits(page)
    page.screenshot(path="test-results/hardware-mine-phone.png", full_page=True)

    page.get_by_role("link", name="Hand over to another member").click()
    page.fill("#id_recipient", "nobody-here")
    page.get_by_role("button", name="Offer the hand-over").click()
    expect(page.locator(".errorlist")).to_contain_text("No member has this exact username or email.")
    page.fill("#id_recipient", "Dominique@Example.org")
    page.get_by_role("button", name="Offer the hand-over").click()
    expect(page.locator(".hardware-current")).to_contain_text("waiting for dominique to confirm")
    fits(page)

    other = phone(browser, live_server, "dominique", "an0ther-Pass!")
    other.goto(f"{live_server.url}/hardware/")
    offered = other.locator(".hardware-offered")
    expect(offered).to_contain_text("offered by camille")
    fits(other)
    other.screenshot(path="test-results/hardware-handover-phone.png", full_page=True)
    offered.get_by_role("button", name="Accept").click()
    expect(other.locator(".message")).to_contain_text("The loan is now yours.")
    expect(other.locator(".hardware-current")).to_contain_text("Turris Omnia")

    page.reload()
    expect(page.locator(".hardware-current")).to_contain_text("Nothing is lent to you.")
    expect(page.locator(".hardware-past")).to_contain_text("Turris Omnia")
    fits(page)

    other.locator(".hardware-current").get_by_role("link", name="Return").click()
    other.select_option("#id_storage", label="Local")
    other.get_by_role("button", name="I returned it").click()
    expect(other.locator(".message")).to_contain_text("is returned")
    fits(other)
    assert list(Loan.objects.order_by("pk").values_list("member__username", "state")) == [
        ("camille", "ended"),
        ("dominique", "ended"),
    ]
    page.context.close()
    other.context.close()


def test_the_loan_form_item_list_follows_the_type_in_the_admin(
    browser, live_server, member_factory, make_item, modem_type
):
    """django-autocomplete-light's dependent choice, under the Content-Security-Policy."""
    member_factory(username="boss", is_staff=True, is_superuser=True, password="b0ss-Pass!")
    member_factory(username="camille", first_name="Camille", last_name="Martin")
    make_item(designation="Omnia router")
    make_item(designation="Zyxel modem", type=modem_type)
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "b0ss-Pass!")
    page.locator("#login-form [type=submit]").click()
    page.goto(f"{live_server.url}/admin/hardware_provisioning/loan/add/")
    page.select_option("#id_item_type", label="DSL modem")
    page.locator(".field-item .select2-selection").click()
    options = page.locator(".select2-results__option")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Zyxel modem")
    options.first.click()
    page.locator(".field-member .select2-selection").click()
    page.locator(".select2-search__field").fill("cami")
    expect(page.locator(".select2-results__option").first).to_contain_text("Camille")
    page.locator(".select2-results__option").first.click()
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert Loan.objects.get().item.designation == "Zyxel modem"
    assert violations == []
    context.close()
