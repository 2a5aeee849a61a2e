"""The sample third-party app (tests/thirdparty/coin_fiber), written only from
EXTENDING.md and enabled with EXTRA_INSTALLED_APPS, works without any change to
Coin's code."""

import pytest
from coin_fiber.models import FiberLine
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from coin.configuration.models import configuration_models, configuration_type_choices
from coin.offers.subscriptions import subscribe

pytestmark = pytest.mark.django_db


def test_enabled_through_extra_installed_apps_after_the_builtin_apps():
    assert "coin_fiber" in settings.EXTRA_INSTALLED_APPS
    assert settings.INSTALLED_APPS.index("coin_fiber") > settings.INSTALLED_APPS.index("coin.billing")
    assert FiberLine in configuration_models()
    assert ("coin_fiber.FiberLine", "fiber line") in [(k, str(v)) for k, v in configuration_type_choices()]


def test_configuration_is_created_with_the_subscription(member, fiber_offer):
    subscription = subscribe(member=member, offer=fiber_offer)
    assert isinstance(subscription.configuration, FiberLine)


def test_shows_in_the_admin(admin_client, member, fiber_offer):
    subscription = subscribe(member=member, offer=fiber_offer)
    line = subscription.configuration
    assert admin_client.get("/admin/coin_fiber/fiberline/").status_code == 200
    generic = admin_client.get("/admin/configuration/configuration/").content.decode()
    assert f"/admin/configuration/configuration/{line.pk}/change/" in generic
    offer_form = admin_client.get("/admin/offers/offer/add/").content.decode()
    assert 'value="coin_fiber.FiberLine"' in offer_form
    # The app's inline edits the configuration from the subscription's page.
    page = admin_client.get(f"/admin/offers/offersubscription/{subscription.pk}/change/").content.decode()
    assert "optical_outlet" in page


def test_subscription_admin_page_saves_the_inline_configuration(admin_client, member, fiber_offer):
    subscription = subscribe(member=member, offer=fiber_offer)
    line = subscription.configuration
    url = f"/admin/offers/offersubscription/{subscription.pk}/change/"
    response = admin_client.get(url)
    data = {}
    for form in [
        response.context["adminform"].form,
        *[f.formset for f in response.context["inline_admin_formsets"]],
    ]:
        if hasattr(form, "management_form"):
            for name in form.management_form.fields:
                data[f"{form.prefix}-{name}"] = form.management_form[name].value()
            for sub in form.forms:
                for name in sub.fields:
                    value = sub[name].value()
                    data[sub.add_prefix(name)] = "" if value is None else value
        else:
            for name in form.fields:
                value = form[name].value()
                data[name] = "" if value is None else value
    prefix = response.context["inline_admin_formsets"][0].formset.prefix
    data[f"{prefix}-0-optical_outlet"] = "PTO-42"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    line.refresh_from_db()
    assert line.optical_outlet == "PTO-42"


def test_details_view_is_mounted_under_its_namespace_for_its_member_only(
    client, member, other_member, fiber_offer
):
    line = subscribe(member=member, offer=fiber_offer).configuration
    assert line.get_absolute_url() == reverse("fiberline:details", kwargs={"pk": line.pk})
    assert line.get_absolute_url() == f"/fiberline/{line.pk}/"
    client.force_login(member)
    page = client.get(line.get_absolute_url()).content.decode()
    assert "Fiber line" in page and "coin_fiber/fiber.css" in page  # extra_css block
    client.force_login(other_member)
    assert client.get(line.get_absolute_url()).status_code == 404


def test_menu_entry_appears_and_static_files_are_found(member_client):
    page = member_client.get(reverse("portal:dashboard")).content.decode()
    assert 'href="/fiberline/"' in page and "My fiber lines" in page
    assert finders.find("coin_fiber/fiber.css")


def test_my_subscriptions_links_to_the_details_page(member_client, member, fiber_offer):
    line = subscribe(member=member, offer=fiber_offer).configuration
    page = member_client.get(reverse("offers:subscriptions")).content.decode()
    assert f'href="/fiberline/{line.pk}/"' in page


def test_its_provisioning_runs(member, fiber_offer, inventory, django_capture_on_commit_callbacks):
    inventory.up()
    with django_capture_on_commit_callbacks(execute=True):
        line = subscribe(member=member, offer=fiber_offer).configuration
    with django_capture_on_commit_callbacks(execute=True):
        line.ont_serial = "ALCL0001"
        line.save()
    assert inventory.lines[str(line.pk)]["ont"] == "ALCL0001"
