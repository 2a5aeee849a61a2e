from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from coin.apps import PortalMenu


class ResourcesConfig(PortalMenu, AppConfig):
    name = "coin.resources"
    label = "resources"
    verbose_name = _("IP resources")
    portal_menu = [(_("My IP addresses"), "resources:subnets")]

    def ready(self) -> None:
        from coin.resources import signals  # noqa: F401 (connects the receivers)
