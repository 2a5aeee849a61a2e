"""The REST API is for staff only, validates like the admin, and is described by
a valid OpenAPI document."""

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from coin.api.models import APIToken, digest
from coin.offers.models import Offer, OfferSubscription
from coin.offers.subscriptions import subscribe

pytestmark = pytest.mark.django_db


def test_anonymous_and_members_are_refused(client, member_client):
    assert client.get("/api/members/").status_code in (401, 403)
    assert member_client.get("/api/members/").status_code == 403
    assert member_client.get("/api/subscriptions/").status_code == 403


def test_staff_token_lists_and_creates_members(client, admin_user, member):
    _token, key = APIToken.objects.issue(admin_user)
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    listing = client.get("/api/members/?search=camille", **headers).json()
    assert [m["username"] for m in listing["results"]] == ["camille"]
    created = client.post(
        "/api/members/",
        {"first_name": "Noé", "last_name": "Girard", "email": "noe@example.org", "status": "member"},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    assert created.json()["username"] == "ngirard"


def test_bad_input_names_the_field(admin_client):
    response = admin_client.post(
        "/api/members/", {"type": "legal_entity", "email": "x@example.org"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "organization_name" in response.json()


def test_creating_a_subscription_creates_its_configuration(admin_client, member):
    offer = Offer.objects.create(name="ADSL", reference="DSL", configuration_type="simple_dsl.SimpleDSL")
    response = admin_client.post(
        "/api/subscriptions/",
        {"member": member.pk, "offer": offer.pk, "subscription_date": "2026-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["configuration_type"] == "simple_dsl.SimpleDSL"
    assert body["reference"] == f"REF-DSL-{body['id']}"
    assert OfferSubscription.objects.get().real_configuration is not None


def test_openapi_document_is_valid_and_lists_the_endpoints(admin_client):
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    document = yaml.safe_load(out.getvalue())
    assert document["openapi"].startswith("3.")
    assert {"/api/members/", "/api/offers/", "/api/subscriptions/"} <= set(document["paths"])
    assert admin_client.get("/api/schema/").status_code == 200


def test_tokens_are_shown_in_full_only_once_and_stored_hashed(admin_client, member):
    response = admin_client.post(
        "/admin/coin_api/apitoken/add/", {"user": member.pk, "name": "n"}, follow=True
    )
    page = response.content.decode()
    token = APIToken.objects.get(user=member)
    [message] = [str(m) for m in response.context["messages"] if "—" in str(m)]
    key = re.search(r": (\S+) —", message).group(1)
    assert key in page
    assert digest(key) == token.digest and key.startswith(token.prefix) and len(key) > 40
    assert not APIToken.objects.filter(digest__contains=key).exists()  # only the digest is kept
    pages = [
        "/admin/coin_api/apitoken/",
        f"/admin/coin_api/apitoken/{token.pk}/change/",
        f"/admin/coin_api/apitoken/{token.pk}/history/",
        f"/admin/coin_api/apitoken/{token.pk}/delete/",
        "/admin/",  # recent actions
    ]
    for url in pages:
        shown = admin_client.get(url)
        assert shown.status_code == 200, url
        assert key not in shown.content.decode(), url
    assert token.prefix + "…" in admin_client.get("/admin/coin_api/apitoken/").content.decode()
    # Renaming keeps the key (the change form has no key of its own to draw).
    renamed = admin_client.post(f"/admin/coin_api/apitoken/{token.pk}/change/", {"name": "renamed"})
    assert renamed.status_code == 302
    assert APIToken.objects.values_list("name", "digest").get() == ("renamed", token.digest)
    from django.contrib.admin.models import LogEntry

    assert all(key not in entry.object_repr for entry in LogEntry.objects.all())
    assert LogEntry.objects.filter(object_repr__startswith=token.prefix).exists()
    # The key works once, as `Authorization: Token <key>`; after revocation, 401.
    member.is_staff = True
    member.save()
    assert admin_client.get("/api/members/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 403
    admin_client.post(f"/admin/coin_api/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert not APIToken.objects.exists()
    assert admin_client.get("/api/members/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_patch_validates_like_the_admin_and_leaves_refused_changes_unsaved(admin_client, member):
    url = f"/api/members/{member.pk}/"
    assert admin_client.patch(url, {"city": "Lyon"}, content_type="application/json").status_code == 200
    member.refresh_from_db()
    assert member.city == "Lyon"
    response = admin_client.patch(url, {"last_name": ""}, content_type="application/json")
    assert response.status_code == 400 and "last_name" in response.json()
    member.refresh_from_db()
    assert member.last_name == "Martin"


def test_patching_a_subscription_resign_date_is_checked(admin_client, member):
    offer = Offer.objects.create(name="ADSL", reference="DSL", configuration_type="simple_dsl.SimpleDSL")
    subscription = subscribe(member=member, offer=offer, subscription_date="2026-03-01")
    url = f"/api/subscriptions/{subscription.pk}/"
    response = admin_client.patch(url, {"resign_date": "2026-01-01"}, content_type="application/json")
    assert response.status_code == 400 and "resign_date" in response.json()
    response = admin_client.patch(url, {"resign_date": "2026-09-01"}, content_type="application/json")
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert str(subscription.resign_date) == "2026-09-01"
