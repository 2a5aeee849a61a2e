"""Base views for configuration apps: they only ever show the logged-in member's
own configurations."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView, UpdateView

from coin.configuration.panels import member_panels


class MemberConfigurationMixin(LoginRequiredMixin):
    """Restricts the queryset to the member's configurations (404 for others')."""

    context_object_name: str | None = "configuration"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(offersubscription__member=self.request.user)
            .select_related("offersubscription__offer")
        )


class ConfigurationDetailView(MemberConfigurationMixin, DetailView):
    """Inherit it for the ``details`` view that the contract asks for. Its context
    has ``configuration_panels``: what other apps show under the configuration
    (``coin.configuration.panels``), rendered by ``base.html``."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["configuration_panels"] = member_panels(self.request, self.object)
        return context


class ConfigurationUpdateView(MemberConfigurationMixin, UpdateView):
    """Inherit it when members may edit some fields of their configuration."""
