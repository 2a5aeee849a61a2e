from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from coa.accounting import current_session, traffic_per_day, traffic_per_month
from coa.charts import human_bytes, traffic_svg
from coa.models import BNG, RadiusAccount
from coin.configuration.views import ConfigurationDetailView


def bng_name(nas_address: str | None) -> str:
    """The BNG known by this accounting address, else the address itself."""
    if not nas_address:
        return ""
    bng = BNG.objects.filter(Q(nas_ip_address=nas_address) | Q(address=nas_address)).first()
    return bng.name if bng else nas_address


class RadiusAccountView(ConfigurationDetailView):
    model = RadiusAccount
    template_name = "coa/details.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        login = self.object.login
        today = timezone.localdate()
        session = current_session(login)
        days = traffic_per_day(login, today)
        months = traffic_per_month(login, today)
        context.update(
            session=session,
            session_bng=bng_name(session.nasipaddress) if session else "",
            days=[(p, human_bytes(p.download), human_bytes(p.upload)) for p in days],
            months=[(p, human_bytes(p.download), human_bytes(p.upload)) for p in months],
            days_chart=traffic_svg(days, _("Traffic per day, last 30 days")),
            months_chart=traffic_svg(months, _("Traffic per month, last 12 months")),
        )
        return context
