from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigurationConfig(AppConfig):
    name = "coin.configuration"
    label = "configuration"
    verbose_name = _("Configurations")

    def ready(self) -> None:
        from coin.configuration import receivers  # noqa: F401 (connects the receivers)
        from coin.configuration.models import configuration_type_choices
        from coin.offers import configuration_types

        configuration_types.set_source(configuration_type_choices)
