"""Every admin page of every registered model renders for a superuser.

The models come from ``admin.site._registry`` when the tests are collected, so that an
app registering a model later is covered without touching this file.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from coin.isp_database.models import ChatRoom, CoveredArea, ISPInfo, OtherWebsite, RegisteredOffice

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
NOTHING_MATCHES = "zz-no-such-thing-zz"


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser(member_factory):
    return member_factory(
        username="admin",
        first_name="Ada",
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
        status="not_member",
    )


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def some_data(member, other_member, isp):
    """A bit of everything the core apps hold, so that lists and forms show real rows."""
    from coin.members.models import MembershipFee

    RegisteredOffice.objects.create(
        isp=isp, street_address="1 place du Marché", locality="Lyon", region="ARA", country_name="France"
    )
    OtherWebsite.objects.create(isp=isp, name="wiki", url="https://wiki.arlp.example")
    ChatRoom.objects.create(isp=isp, url="irc://irc.libera.chat/#arlp")
    CoveredArea.objects.create(isp=isp, name="VPN", technologies=["vpn"])
    CoveredArea.objects.create(
        isp=isp,
        name="Centre",
        technologies=["ftth"],
        area={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    )
    MembershipFee.objects.create(
        member=member,
        amount=Decimal("20.00"),
        start_date=datetime.date(2025, 1, 1),
        payment_method="cash",
        reference="FEE-CAMILLE",
    )
    return {"member": member, "other_member": other_member, "isp": isp}


def test_every_core_model_is_registered():
    labels = {model._meta.label for model, _ in REGISTERED}
    assert {"members.Member", "members.MembershipFee", "isp_database.ISPInfo"} <= labels


@pytest.mark.parametrize("model, model_admin", REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_changelist_renders_and_searches(admin_client, some_data, model, model_admin):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model._default_manager.count()
    if model_admin.search_fields:
        response = admin_client.get(admin_url(model, "changelist"), {"q": NOTHING_MATCHES})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 0


@pytest.mark.parametrize("model, model_admin", REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_add_page_renders_unless_adding_is_off_by_design(
    admin_client, superuser, some_data, model, model_admin
):
    request = RequestFactory().get("/")
    request.user = superuser
    expected = 200 if model_admin.has_add_permission(request) else 403
    assert admin_client.get(admin_url(model, "add")).status_code == expected


@pytest.mark.parametrize("model, model_admin", REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_change_page_of_an_existing_row_renders(admin_client, some_data, model, model_admin):
    for obj in model._default_manager.all()[:2]:
        response = admin_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, obj


def test_admin_index_and_app_pages_render(admin_client, some_data):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    # Apps whose only models stay out of the index (polymorphic children) have no page.
    apps = response.context["app_list"]
    assert {"members", "isp_database"} <= {app["app_label"] for app in apps}
    for app in apps:
        assert admin_client.get(app["app_url"]).status_code == 200, app["app_label"]


def test_member_search_finds_the_member(admin_client, some_data):
    from coin.members.models import Member

    response = admin_client.get(admin_url(Member, "changelist"), {"q": "Durand"})
    assert [m.username for m in response.context["cl"].result_list] == ["dominique"]


def test_fee_search_by_member_name(admin_client, some_data):
    from coin.members.models import MembershipFee

    response = admin_client.get(admin_url(MembershipFee, "changelist"), {"q": "camille"})
    assert [fee.reference for fee in response.context["cl"].result_list] == ["FEE-CAMILLE"]


def test_change_page_of_a_member(admin_client, some_data):
    other = some_data["other_member"]
    response = admin_client.get(admin_url(type(other), "change", other.pk))
    assert response.status_code == 200
    assert response.context["original"] == other
    assert b"Durand" in response.content


def test_change_page_of_the_isp_shows_its_inlines(admin_client, some_data):
    isp = some_data["isp"]
    response = admin_client.get(admin_url(ISPInfo, "change", isp.pk))
    assert response.status_code == 200
    content = response.content.decode()
    for text in [isp.name, "FR7630006000011234567890189", "irc://irc.libera.chat/#arlp", "wiki.arlp.example"]:
        assert text in content


def test_isp_can_be_added_when_there_is_none(admin_client, db):
    assert admin_client.get(admin_url(ISPInfo, "add")).status_code == 200


def _isp_form(**extra) -> dict:
    data = {"name": "Réseau Test", "shortname": "RT", "email": "contact@rt.example"}
    for prefix in ["registered_office", "bank_info", "other_websites", "chat_rooms", "covered_areas"]:
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    data.update(extra)
    return data


def _area_form(area) -> dict:
    return {
        "covered_areas-TOTAL_FORMS": "1",
        "covered_areas-0-name": "Centre",
        "covered_areas-0-technologies": ["ftth", "wifi"],
        "covered_areas-0-area": json.dumps(area),
    }


def test_adding_the_isp_with_a_covered_area(admin_client, db, client):
    polygon = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    response = admin_client.post(admin_url(ISPInfo, "add"), _isp_form(**_area_form(polygon)))
    assert response.status_code == 302, response.context and response.context["errors"]
    area = CoveredArea.objects.get()
    assert area.technologies == ["ftth", "wifi"]
    assert area.area == polygon
    assert admin_client.get(admin_url(ISPInfo, "add")).status_code == 403


@pytest.mark.parametrize(
    "area",
    [
        {"type": "Point", "coordinates": [0, 0]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
    ],
)
def test_a_bad_area_in_the_admin_is_reported_and_nothing_is_saved(admin_client, db, area):
    response = admin_client.post(admin_url(ISPInfo, "add"), _isp_form(**_area_form(area)))
    assert response.status_code == 200
    [inline] = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "covered_areas"]
    assert "area" in inline.formset.forms[0].errors
    assert not ISPInfo.objects.exists()
    assert not CoveredArea.objects.exists()


def test_a_bad_technology_in_the_admin_is_reported(admin_client, db):
    data = _isp_form(**_area_form(None))
    data["covered_areas-0-technologies"] = ["5g"]
    response = admin_client.post(admin_url(ISPInfo, "add"), data)
    assert response.status_code == 200
    [inline] = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "covered_areas"]
    assert "technologies" in inline.formset.forms[0].errors
    assert not ISPInfo.objects.exists()


def test_half_coordinates_in_the_admin_are_reported_on_the_field(admin_client, db):
    response = admin_client.post(admin_url(ISPInfo, "add"), _isp_form(latitude="45.7"))
    assert response.status_code == 200
    assert "longitude" in response.context["adminform"].form.errors
    assert not ISPInfo.objects.exists()


def test_a_bad_iban_in_the_admin_is_reported(admin_client, db):
    data = _isp_form(**{"bank_info-TOTAL_FORMS": "1", "bank_info-0-iban": "FR7630006000011234567890188"})
    response = admin_client.post(admin_url(ISPInfo, "add"), data)
    assert response.status_code == 200
    [inline] = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "bank_info"]
    assert "iban" in inline.formset.forms[0].errors
    assert not ISPInfo.objects.exists()


def test_members_do_not_get_into_the_admin(member_client, some_data):
    response = member_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
