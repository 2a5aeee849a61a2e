"""Issue 8, item 11: every page has a Content-Security-Policy without inline script
or style, and every answer to a logged-in user (portal, admin, API, PDF) has
``Cache-Control: private, no-store``."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from coin.members.models import Member

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = [part.strip().split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.fixture
def demo(db):
    call_command("load_demo_data", stdout=StringIO())


@pytest.mark.parametrize("url", ["/login/", "/password/reset/", "/admin/login/"])
def test_anonymous_pages_have_the_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_only_the_browsable_api_may_style_inline_and_scripts_never(client, member_factory):
    from coin.api.models import APIToken

    staff = member_factory(username="root", is_staff=True, is_superuser=True)
    api = client.get(
        "/api/", HTTP_AUTHORIZATION=f"Token {APIToken.objects.issue(staff)[1]}", HTTP_ACCEPT="text/html"
    )
    assert api.status_code == 200
    assert directives(api)["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives(api)["script-src"] == ["'self'"]
    client.force_login(staff)
    admin = client.get("/admin/")
    assert directives(admin)["style-src"] == ["'self'"]
    assert directives(admin)["script-src"] == ["'self'"]


def test_the_isp_logo_on_another_host_is_allowed_as_that_one_image(member_client, isp):
    isp.logoURL = "https://arlp.example/static/logo.svg"
    isp.save()
    response = member_client.get(reverse("portal:dashboard"))
    assert 'src="https://arlp.example/static/logo.svg"' in response.content.decode()
    assert directives(response)["img-src"] == ["'self'", "data:", "https://arlp.example/static/logo.svg"]
    assert directives(response)["default-src"] == ["'self'"]


@pytest.mark.parametrize("logo", ["", "data:image/png;base64,AAAA", "javascript:alert(1)"])
def test_no_other_image_source_is_added(member_client, isp, logo):
    isp.logoURL = logo
    isp.save()
    response = member_client.get(reverse("portal:dashboard"))
    assert directives(response)["img-src"] == ["'self'", "data:"]


def test_a_portal_page_of_a_logged_in_member_is_private_and_not_stored(member_client):
    response = member_client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)
    assert "public" not in cache_control(response)


def test_an_admin_page_is_private_and_not_stored(client, member_factory):
    client.force_login(member_factory(username="root", is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:members_member_changelist"))
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)
    assert "Content-Security-Policy" in response


def test_an_api_answer_to_a_token_is_private_and_not_stored(client, member_factory):
    from coin.api.models import APIToken

    staff = member_factory(username="root", is_staff=True, is_superuser=True)
    _token, key = APIToken.objects.issue(staff)
    response = client.get("/api/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert {"private", "no-store"} <= cache_control(response)


def test_public_documents_stay_cacheable_for_anonymous_clients(client, isp):
    response = client.get("/isp.json")
    assert response.status_code == 200
    assert "private" not in cache_control(response) and "no-store" not in cache_control(response)


def _member_invoice(demo_member: str):
    from coin.billing.models import Invoice

    member = Member.objects.get(username=demo_member)
    invoice = Invoice.objects.filter(member=member).exclude(number="").order_by("pk").first()
    assert invoice is not None, f"the demo has an invoice of {demo_member}"
    return member, invoice


@pytest.mark.parametrize("offload", [None, "x-accel-redirect", "x-sendfile"])
def test_an_invoice_pdf_is_private_and_not_stored(client, demo, settings, offload):
    settings.PRIVATE_FILES_OFFLOAD = offload
    member, invoice = _member_invoice("cmartin")
    client.force_login(member)
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert {"private", "no-store"} <= cache_control(response)
    if offload == "x-accel-redirect":
        assert response["X-Accel-Redirect"].startswith("/protected/")
    elif offload == "x-sendfile":
        assert response["X-Sendfile"].endswith(".pdf")
    else:
        assert b"".join(response.streaming_content).startswith(b"%PDF")
