"""A superuser walks the admin over the demo data: every changelist, add page, and
for a few rows of each model the change page, its history and every "View on site"
link it shows (the page's own and its inlines'). No page may answer 5xx.

Issue 8, item 10: the simple_dsl inline on a subscription's page showed "View on
site" for a configuration without a member page, and /admin/r/ then crashed.
"""

import re
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from coin.members.models import Member

pytestmark = pytest.mark.django_db

ROWS_PER_MODEL = 3
VIEW_ON_SITE = re.compile(r'href="(/admin/r/[^"]+)"')


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def demo_admin_client(client):
    call_command("load_demo_data", stdout=StringIO())
    client.force_login(Member.objects.get(username="admin"))
    client.raise_request_exception = False  # collect every 500, do not stop at the first
    return client


def fetch(client, url: str, seen: dict[str, int]) -> str:
    response = client.get(url)
    seen[url] = response.status_code
    return response.content.decode() if response.status_code == 200 else ""


def test_every_admin_page_of_the_demo_data_answers_without_a_server_error(demo_admin_client):
    seen: dict[str, int] = {}
    for model in admin.site._registry:
        fetch(demo_admin_client, admin_url(model, "changelist"), seen)
        fetch(demo_admin_client, admin_url(model, "add"), seen)
        for obj in model._default_manager.order_by("pk")[:ROWS_PER_MODEL]:
            page = fetch(demo_admin_client, admin_url(model, "change", obj.pk), seen)
            fetch(demo_admin_client, admin_url(model, "history", obj.pk), seen)
            for link in set(VIEW_ON_SITE.findall(page)):
                fetch(demo_admin_client, link, seen)
    errors = {url: status for url, status in seen.items() if status >= 500}
    assert not errors
    # The walk did cover the demo: many pages, including "View on site" links.
    assert len(seen) > 100
    assert any(url.startswith("/admin/r/") for url in seen)


def test_a_configuration_without_a_member_page_offers_no_view_on_site(demo_admin_client):
    from simple_dsl.models import SimpleDSL

    dsl = SimpleDSL.objects.select_related("offersubscription").first()
    assert dsl is not None, "the demo has a DSL line"
    page = demo_admin_client.get(admin_url(type(dsl.offersubscription), "change", dsl.offersubscription.pk))
    assert page.status_code == 200
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(SimpleDSL)
    shortcut = reverse("admin:view_on_site", args=[ct.pk, dsl.pk])
    assert shortcut not in page.content.decode()
    assert demo_admin_client.get(shortcut).status_code == 404


def test_a_configuration_with_a_member_page_keeps_its_link(client, member, settings):
    """coin_fiber (tests/thirdparty) has member views: its admin links to them."""
    from coin_fiber.models import FiberLine

    assert hasattr(FiberLine, "url_namespace")
    from django.contrib.contenttypes.models import ContentType

    from coin.offers.models import Offer, OfferSubscription
    from coin.offers.subscriptions import subscribe

    offer = Offer.objects.create(
        name="Fibre", reference="FIB", configuration_type="coin_fiber.FiberLine", period_fees="30.00"
    )
    subscription = subscribe(member=member, offer=offer)
    line = FiberLine.objects.get(offersubscription=subscription)
    superuser = Member.objects.create_superuser("root", "root@isp.example", "x" * 12)
    client.force_login(superuser)
    shortcut = reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(FiberLine).pk, line.pk])
    assert shortcut in client.get(admin_url(OfferSubscription, "change", subscription.pk)).content.decode()
    response = client.get(shortcut)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/fiberline/{line.pk}/")
