"""Helpers of the layout tests: log in with a real Chromium on the demo data, and
find what overflows sideways."""

from io import StringIO

from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
DEMO_MEMBER_PASSWORD = "demo-member-pw"

# Everything a user would have to scroll sideways to see: the page itself wider than
# the window, or a visible scrolling box (a table wrapper) wider than its box. A
# <select>'s options and the admin's hidden-text buttons are not counted.
OVERFLOW_JS = """() => {
  const out = [];
  const page = document.documentElement.scrollWidth;
  if (page > window.innerWidth) out.push(`page ${page}px > ${window.innerWidth}px`);
  for (const el of document.querySelectorAll('body *')) {
    if (el.tagName === 'SELECT' || el.tagName === 'TEXTAREA') continue;
    const x = getComputedStyle(el).overflowX;
    if (x !== 'auto' && x !== 'scroll') continue;
    if (!el.getClientRects().length || el.clientWidth < 2) continue;
    if (el.scrollWidth > el.clientWidth + 1)
      out.push(`${el.tagName}#${el.id}.${el.className} ${el.scrollWidth}px > ${el.clientWidth}px`);
  }
  return out;
}"""


def load_demo() -> str:
    """Load the demo data; return the admin's password."""
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue().split("password: ")[1].split()[0]


def logged_in(browser: Browser, live_server, username: str, password: str, viewport: dict) -> BrowserContext:
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    page = context.new_page()
    admin = username == "admin"
    page.goto(f"{live_server.url}{'/admin/login/' if admin else '/login/'}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form [type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"{username} could not log in"
    return context


def overflow(page: Page) -> list[str]:
    return page.evaluate(OVERFLOW_JS)


def inside_viewport(page: Page, selector: str) -> bool:
    """The element is fully visible horizontally, without scrolling sideways."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
