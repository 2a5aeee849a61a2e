from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from polymorphic.admin import PolymorphicChildModelAdmin

from coin.configuration.admin import ConfigurationAdminFormMixin
from vpn.models import VPNConfiguration
from vpn.status import ldap_state


class VPNConfigurationInline(admin.StackedInline):
    model = VPNConfiguration
    fields = ["login", "activated", "ipv4_endpoint", "ipv6_endpoint", "comment"]


@admin.register(VPNConfiguration)
class VPNConfigurationAdmin(ConfigurationAdminFormMixin, PolymorphicChildModelAdmin):
    base_model = VPNConfiguration
    inline = VPNConfigurationInline
    list_display = [
        "login",
        "offersubscription",
        "activated",
        "ipv4_endpoint",
        "ipv6_endpoint",
        "ldap_status",
    ]
    list_filter = ["activated"]
    search_fields = ["login", "offersubscription__member__username", "ipv4_endpoint", "ipv6_endpoint"]
    fields = [
        "offersubscription", "login", "activated", "ipv4_endpoint", "ipv6_endpoint", "password_state",
        "ldap_status", "comment",
    ]  # fmt: skip
    readonly_fields = ["password_state", "ldap_status"]
    actions = [*(ConfigurationAdminFormMixin.actions or ()), "generate_password"]
    list_select_related = ["offersubscription__member", "offersubscription__offer"]

    @admin.display(description=_("password"))
    def password_state(self, account: VPNConfiguration) -> str:
        return gettext("set") if account.password else gettext("not set")

    @admin.display(description=_("LDAP"))
    def ldap_status(self, account: VPNConfiguration) -> str:
        state = ldap_state(account)
        return format_html('<span title="{}">{}</span>', state.detail, state.label)

    @admin.action(description=_("Generate a new password (shown once)"))
    def generate_password(self, request, queryset):
        for account in queryset.order_by("login"):
            password = account.generate_password()
            self.message_user(
                request,
                gettext("New password of %(login)s: %(password)s (shown only this once)")
                % {"login": account.login, "password": password},
                messages.WARNING,
            )
