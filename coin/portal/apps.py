from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from coin.apps import PortalMenu


class PortalConfig(PortalMenu, AppConfig):
    name = "coin.portal"
    label = "portal"
    verbose_name = _("Portal")
    portal_menu = [(_("Dashboard"), "portal:dashboard")]
