from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from coin.apps import PortalMenu


class BillingConfig(PortalMenu, AppConfig):
    name = "coin.billing"
    label = "billing"
    verbose_name = _("Billing")
    portal_menu = [(_("Billing"), "billing:index")]
