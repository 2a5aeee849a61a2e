from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimpleDSLConfig(AppConfig):
    name = "simple_dsl"
    verbose_name = _("DSL lines")
