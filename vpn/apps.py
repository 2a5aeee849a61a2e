from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from coin.apps import AppURLs, PortalMenu


class VPNConfig(AppURLs, PortalMenu, AppConfig):
    name = "vpn"
    verbose_name = _("VPN accounts")
    exported_urlpatterns = [("vpn", "vpn.urls")]
    portal_menu = [(_("My VPN accounts"), "vpn:index")]
