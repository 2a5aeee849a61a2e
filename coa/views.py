from coa.models import RadAcct, RadiusAccount
from coin.configuration.views import ConfigurationDetailView


class RadiusAccountView(ConfigurationDetailView):
    model = RadiusAccount
    template_name = "coa/details.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        from coa.conf import setting

        context["session"] = (
            RadAcct.objects.using(setting("RADIUS_DATABASE"))
            .filter(username=self.object.login, acctstoptime__isnull=True)
            .order_by("-acctstarttime")
            .first()
        )
        return context
