from django.views.generic import ListView

from coin.configuration.views import ConfigurationDetailView, MemberConfigurationMixin
from coin_fiber.models import FiberLine


class FiberLineListView(MemberConfigurationMixin, ListView):
    model = FiberLine
    template_name = "coin_fiber/index.html"
    context_object_name = "lines"


class FiberLineView(ConfigurationDetailView):
    model = FiberLine
    template_name = "coin_fiber/details.html"
