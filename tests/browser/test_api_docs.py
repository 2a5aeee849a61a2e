"""Issue 14, point 15: the API documentation page is served by the project (Swagger
UI from drf-spectacular-sidecar's static files, no CDN) and runs under the CSP."""

import pytest
from playwright.sync_api import Page

from tests.browser.test_csp import RECORD_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_shows_the_api_from_local_files_without_csp_violation(
    page: Page, live_server, member_factory
):
    member_factory(username="root", password="s3cret-Pass!", is_staff=True, is_superuser=True)
    requested: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "s3cret-Pass!")
    page.click("#login-form [type=submit]")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20000)  # the operations are listed
    assert page.locator(".opblock").count() > 20
    assert "Coin API" in page.locator(".title").first.inner_text()
    assert page.evaluate("window.__csp || []") + console == []
    foreign = [
        url for url in requested if not url.startswith(live_server.url) and not url.startswith("data:")
    ]
    assert foreign == []
    assert any("/static/drf_spectacular_sidecar/" in url for url in requested)
