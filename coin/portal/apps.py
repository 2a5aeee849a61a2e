from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from coin.apps import PortalMenu


class PortalConfig(PortalMenu, AppConfig):
    name = "coin.portal"
    label = "portal"
    verbose_name = _("Portal")
    portal_menu = [(_("Dashboard"), "portal:dashboard")]

    def ready(self) -> None:
        # The admin index starts with the overview (coin/portal/overview.py); an ISP
        # may override admin/coin_index.html like any other template.
        from django.contrib import admin

        admin.site.index_template = "admin/coin_index.html"
