from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from coin.apps import PortalMenu


class MembersConfig(PortalMenu, AppConfig):
    name = "coin.members"
    label = "members"
    verbose_name = _("Members")
    portal_menu = [(_("My information"), "members:detail")]
