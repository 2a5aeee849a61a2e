"""BNG admin keeps the shared secret write-only; members see only their own account."""

import pytest
from django.urls import reverse

from coa.models import BNG

pytestmark = pytest.mark.django_db


def test_bng_secret_masked_and_kept_when_left_empty(admin_client, bng):
    listing = admin_client.get("/admin/coa/bng/").content.decode()
    assert "s3cr3t-shared" not in listing and "********" in listing
    page = admin_client.get(f"/admin/coa/bng/{bng.pk}/change/").content.decode()
    assert "s3cr3t-shared" not in page
    data = {
        "name": "bng1",
        "address": "192.0.2.253",
        "nas_identifier": "",
        "nas_ip_address": "",
        "coa_port": "3799",
        "secret": "",
        "vendor": "juniper",
        "timeout": "3",
        "retries": "2",
    }
    response = admin_client.post(f"/admin/coa/bng/{bng.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    bng.refresh_from_db()
    assert bng.secret == "s3cr3t-shared" and bng.address == "192.0.2.253"
    assert "s3cr3t" not in repr(bng)


def test_new_bng_needs_a_secret(admin_client):
    data = {
        "name": "bng2",
        "address": "192.0.2.1",
        "coa_port": "3799",
        "secret": "",
        "vendor": "generic",
        "timeout": "3",
        "retries": "2",
    }
    response = admin_client.post("/admin/coa/bng/add/", data)
    assert response.status_code == 200 and "A new BNG needs a shared secret." in response.content.decode()
    assert not BNG.objects.exists()


def test_admin_pages_of_accounts_groups_and_sessions(admin_client, account, radius_offer):
    assert admin_client.get("/admin/coa/radiusaccount/").status_code == 200
    page = admin_client.get(f"/admin/coa/radiusaccount/{account.pk}/change/").content.decode()
    assert "new_password" in page and account.password_hash not in page
    assert admin_client.get(f"/admin/offers/offer/{radius_offer.pk}/change/").status_code == 200
    assert admin_client.get("/admin/coa/radacct/?state=online").status_code == 200


def test_details_page_for_its_member_only(client, member, other_member, account):
    url = reverse("radius:details", kwargs={"pk": account.pk})
    assert account.get_absolute_url() == url
    client.force_login(member)
    assert account.login in client.get(url).content.decode()
    client.force_login(other_member)
    assert client.get(url).status_code == 404
