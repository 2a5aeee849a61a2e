"""Member pages of VPN accounts. Every view inherits Coin's member configuration
views: another member's account is a 404."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.generic import ListView
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.edit import ProcessFormView

from coin.configuration.views import (
    ConfigurationDetailView,
    ConfigurationUpdateView,
    MemberConfigurationMixin,
)
from vpn.forms import EndpointForm
from vpn.models import VPNConfiguration
from vpn.profiles import client_profile


class AccountListView(MemberConfigurationMixin, ListView):
    model = VPNConfiguration
    template_name = "vpn/index.html"
    context_object_name = "accounts"

    def get_queryset(self):
        return super().get_queryset().order_by("login")


class AccountDetailView(ConfigurationDetailView):
    model = VPNConfiguration
    template_name = "vpn/details.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["networks"] = self.object.networks()
        context["endpoint_form"] = EndpointForm(instance=self.object)
        return context


class NewPasswordView(MemberConfigurationMixin, SingleObjectMixin, ProcessFormView):
    """POST only: a new random password, shown once on the page that answers."""

    model = VPNConfiguration
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        account = self.get_object()
        password = account.generate_password()
        response = render(
            request,
            "vpn/new_password.html",
            {"configuration": account, "password": password},
        )
        response["Cache-Control"] = "no-store"
        return response


class EndpointUpdateView(ConfigurationUpdateView):
    """The member picks the endpoints within their own subnets."""

    model = VPNConfiguration
    form_class = EndpointForm
    template_name = "vpn/endpoints.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your endpoints are saved; they apply from your next connection."))
        return response

    def get_success_url(self):
        return self.object.get_absolute_url()


class ProfileView(ConfigurationDetailView):
    """The OpenVPN client profile (.ovpn) of the account."""

    model = VPNConfiguration

    def render_to_response(self, context, **response_kwargs):
        account = self.object
        response = HttpResponse(client_profile(account), content_type="application/x-openvpn-profile")
        response["Content-Disposition"] = f'attachment; filename="{account.login}.ovpn"'
        return response
