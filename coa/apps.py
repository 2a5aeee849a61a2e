from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from coin.apps import AppURLs


class CoaConfig(AppURLs, AppConfig):
    name = "coa"
    verbose_name = _("RADIUS subscribers (BNG)")
    default_auto_field = "django.db.models.BigAutoField"
    exported_urlpatterns = [("radius", "coa.urls")]

    def ready(self) -> None:
        from coa import (
            checks,  # noqa: F401 (registers the system checks)
            signals,  # noqa: F401 (connects the offer change receiver)
        )
