"""Issue 14, point 15: a styled 403 page, a "logged out" message, a red Delete."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_a_refused_page_is_the_portals_own(member_client, settings, isp):
    settings.MEMBER_CAN_EDIT_PROFILE = False
    response = member_client.get("/members/edit/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    page = response.content.decode()
    assert "portal.css" in page and "<h1>Not allowed</h1>" in page
    assert "contact the association" in page and 'nav class="menu"' in page


def test_logging_out_says_so(member_client):
    response = member_client.post("/logout/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[-1][0].endswith("/login/")
    assert "You are logged out." in response.content.decode()


def test_the_delete_button_is_not_the_green_primary_one(client, member):
    from django.template.loader import render_to_string

    html = render_to_string(
        "resources/ptr_confirm_delete.html", {"entry": {"ip": "192.0.2.1", "name": "a.example"}}
    )
    assert 'class="danger"' in html and 'class="primary"' not in html
