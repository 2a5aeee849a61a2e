"""Base views for configuration apps: they only ever show the logged-in member's
own configurations."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import DetailView, UpdateView


class MemberConfigurationMixin(LoginRequiredMixin):
    """Restricts the queryset to the member's configurations (404 for others')."""

    context_object_name = "configuration"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(offersubscription__member=self.request.user)
            .select_related("offersubscription__offer")
        )


class ConfigurationDetailView(MemberConfigurationMixin, DetailView):
    """Inherit it for the ``details`` view that the contract asks for."""


class ConfigurationUpdateView(MemberConfigurationMixin, UpdateView):
    """Inherit it when members may edit some fields of their configuration."""
