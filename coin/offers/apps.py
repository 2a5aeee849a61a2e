from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from coin.apps import PortalMenu


class OffersConfig(PortalMenu, AppConfig):
    name = "coin.offers"
    label = "offers"
    verbose_name = _("Offers and subscriptions")
    portal_menu = [(_("My subscriptions"), "offers:subscriptions")]
