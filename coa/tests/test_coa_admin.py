"""The admin: sending a CoA or a vendor operation by hand, disconnecting from the
accounts' and sessions' lists, and the request history with its filters."""

import pytest
from django.contrib.auth.models import Permission

from coa.models import CoARequest, RadAcct, RadiusAccount
from coa.tests.coa_peer import coa_server, go_online

pytestmark = pytest.mark.django_db


def test_send_a_vendor_operation_by_hand(admin_client, admin_user, account):
    with coa_server() as bng:
        session = go_online(account, bng.port, "juniper")
        response = admin_client.post(
            "/admin/coa/radacct/", {"action": "send_coa", "_selected_action": [session.pk]}
        )
        assert response.status_code == 302 and response["Location"].endswith(f"/send/{session.pk}/")
        page = admin_client.get(response["Location"])
        assert page.status_code == 200 and "0000A1B2" in page.content.decode()
        response = admin_client.post(
            response["Location"],
            {
                "operation": "juniper.service-activate",
                "parameters": "service=gold",
                "attributes": "Filter-Id = vip",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        (block,) = bng.wait_for(1)
    assert 'ERX-Service-Activate:1 = "gold"' in block and 'Filter-Id = "vip"' in block
    sent = CoARequest.objects.get()
    assert sent.requested_by == admin_user and sent.origin == "admin" and sent.outcome == "ack"
    assert response["Location"] == f"/admin/coa/coarequest/{sent.pk}/change/"


def test_a_bad_attribute_is_shown_on_the_form_and_nothing_sent(admin_client, account):
    session = go_online(account, 9, "generic")
    url = f"/admin/coa/coarequest/send/{session.pk}/"
    response = admin_client.post(url, {"operation": "coa", "attributes": "Framed-IP-Address = nowhere"})
    assert response.status_code == 200
    assert "Framed-IP-Address: &#x27;nowhere&#x27; is not an IPv4 address." in response.content.decode()
    response = admin_client.post(url, {"operation": "cisco.acl-v4", "parameters": "acl=x"})
    assert "direction: this parameter is required." in response.content.decode()
    assert not CoARequest.objects.exists()


def test_disconnect_from_the_accounts_list(admin_client, account, member_factory, radius_offer):
    with coa_server() as bng:
        go_online(account, bng.port, "cisco")
        response = admin_client.post(
            "/admin/coa/radiusaccount/",
            {"action": "disconnect", "_selected_action": [account.pk]},
            follow=True,
        )
        (block,) = bng.wait_for(1)
    assert block.startswith("Disconnect-Request") and f'User-Name = "{account.login}"' in block
    assert "Disconnect-ACK" in response.content.decode()
    RadAcct.objects.update(acctstoptime="2026-01-01T00:00:00Z")
    response = admin_client.post(
        "/admin/coa/radiusaccount/", {"action": "disconnect", "_selected_action": [account.pk]}, follow=True
    )
    assert "1 without an open session: nothing sent." in response.content.decode()
    assert CoARequest.objects.count() == 1


def test_history_filters(admin_client, bng):
    CoARequest.objects.create(bng=bng, bng_name="bng1", code=43, outcome="ack", answer=44, username="alpha")
    CoARequest.objects.create(
        bng=bng, bng_name="bng1", code=40, outcome="nak", answer=42, error_cause=404, username="beta"
    )
    page = admin_client.get("/admin/coa/coarequest/?outcome__exact=nak").content.decode()
    assert "beta" in page and "alpha" not in page
    page = admin_client.get("/admin/coa/coarequest/?code__exact=43").content.decode()
    assert "alpha" in page and "beta" not in page
    page = admin_client.get("/admin/coa/coarequest/?q=alp").content.decode()
    assert "alpha" in page and "beta" not in page
    assert (
        admin_client.get(f"/admin/coa/coarequest/{CoARequest.objects.first().pk}/change/").status_code == 200
    )


def test_sending_needs_the_permission(client, member_factory, account):
    staff = member_factory(username="viewer", is_staff=True, email="viewer@example.org")
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_coarequest", "view_radacct", "view_radiusaccount"])
    )
    client.force_login(staff)
    session = go_online(account, 9, "generic")
    assert client.get(f"/admin/coa/coarequest/send/{session.pk}/").status_code == 403
    response = client.post(
        "/admin/coa/radiusaccount/",
        {"action": "disconnect", "_selected_action": [RadiusAccount.objects.get().pk]},
        follow=True,
    )
    assert "You may not send CoA requests." in response.content.decode()
    assert not CoARequest.objects.exists()
