from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersLDAPConfig(AppConfig):
    name = "coin.members_ldap"
    label = "members_ldap"
    verbose_name = _("Members in LDAP")

    def ready(self) -> None:
        from coin.members_ldap import checks, signals  # noqa: F401 (registers them)
