"""API tokens are secrets: the admin shows a token in full once, when it is
created, and only its first characters afterwards."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy


def masked(secret: str, shown: int = 6) -> str:
    return secret[:shown] + "…" if secret else ""


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class MaskedTokenAdmin(TokenAdmin):
    list_display = ["masked_key", "user", "created"]
    autocomplete_fields = ["user"]

    @admin.display(description=_("key"))
    def masked_key(self, token) -> str:
        return masked(token.key)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            messages.warning(
                request,
                _("Token for %(user)s: %(key)s — copy it now, it will not be shown again.")
                % {"user": obj.user, "key": obj.key},
            )
