from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ISPDatabaseConfig(AppConfig):
    name = "coin.isp_database"
    label = "isp_database"
    verbose_name = _("ISP identity")
