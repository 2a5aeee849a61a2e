from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from coin.apps import AppURLs, PortalMenu


class HardwareProvisioningConfig(AppURLs, PortalMenu, AppConfig):
    name = "hardware_provisioning"
    verbose_name = _("Hardware")
    default_auto_field = "django.db.models.BigAutoField"
    exported_urlpatterns = [("hardware", "hardware_provisioning.urls")]
    portal_menu = [(_("My hardware"), "hardware:index")]

    def ready(self) -> None:
        from coin.configuration.panels import add_member_panel
        from hardware_provisioning.views import lent_hardware_panel

        add_member_panel(lent_hardware_panel)
