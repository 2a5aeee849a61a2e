"""The base views of the contract (EXTENDING.md): a member reaches only their own
configurations, through ConfigurationDetailView and ConfigurationUpdateView."""

import pytest
from django.http import HttpResponse
from django.urls import include, path

from coin.configuration.views import ConfigurationDetailView, ConfigurationUpdateView
from coin.offers.models import Offer
from coin.offers.subscriptions import subscribe
from simple_dsl.models import SimpleDSL


class PhoneNumberView(ConfigurationUpdateView):
    model = SimpleDSL
    fields = ["phone_number"]
    success_url = "/done/"

    def render_to_response(self, context, **response_kwargs):
        return HttpResponse(f"line {context['configuration'].pk}: {context['form']['phone_number'].value()}")


class LineView(ConfigurationDetailView):
    model = SimpleDSL

    def render_to_response(self, context, **response_kwargs):
        return HttpResponse(f"line {context['configuration'].pk}")


urlpatterns = [
    path("dsl/<int:pk>/", LineView.as_view()),
    path("dsl/<int:pk>/edit/", PhoneNumberView.as_view()),
    path("", include("coin.urls")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def line(member) -> SimpleDSL:
    offer = Offer.objects.create(name="ADSL", reference="DSL", configuration_type="simple_dsl.SimpleDSL")
    return subscribe(member=member, offer=offer).real_configuration


def test_the_member_edits_their_configuration(member_client, line):
    url = f"/dsl/{line.pk}/edit/"
    assert member_client.get(url).content.decode() == f"line {line.pk}: "
    response = member_client.post(url, {"phone_number": "0400000000"})
    assert response.status_code == 302 and response["Location"] == "/done/"
    line.refresh_from_db()
    assert line.phone_number == "0400000000"
    assert member_client.get(f"/dsl/{line.pk}/").content.decode() == f"line {line.pk}"


def test_another_members_configuration_is_not_found(client, other_member, line):
    client.force_login(other_member)
    for url in (f"/dsl/{line.pk}/", f"/dsl/{line.pk}/edit/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/dsl/{line.pk}/edit/", {"phone_number": "0499999999"}).status_code == 404
    line.refresh_from_db()
    assert line.phone_number == ""


def test_anonymous_visitors_are_sent_to_the_login_page(client, line):
    for url in (f"/dsl/{line.pk}/", f"/dsl/{line.pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    assert client.post(f"/dsl/{line.pk}/edit/", {"phone_number": "0499999999"}).status_code == 302
    line.refresh_from_db()
    assert line.phone_number == ""
