"""API tokens in the admin: created for a user, the key shown once in a message;
afterwards only its prefix, everywhere (lists, history, recent actions, log)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from coin.api.models import APIToken


class APITokenAddForm(forms.ModelForm):
    class Meta:
        model = APIToken
        fields = ["user", "name"]


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    list_display = ["prefix_shown", "name", "user", "created", "last_used"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix_shown", "created", "last_used"]
    form = APITokenAddForm

    @admin.display(description=_("key"))
    def prefix_shown(self, token: APIToken) -> str:
        return f"{token.prefix}…" if token.prefix else ""

    def get_readonly_fields(self, request, obj=None):
        # A token is revoked (deleted), not edited: its user cannot change.
        return [*self.readonly_fields, "user"] if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["user", "name"] if obj is None else ["prefix_shown", "user", "name", "created", "last_used"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        token, key = APIToken.objects.issue(obj.user, obj.name)
        obj.pk, obj.prefix, obj.digest, obj.created = token.pk, token.prefix, token.digest, token.created
        obj._state.adding = False
        messages.warning(
            request,
            _("Token for %(user)s: %(key)s — copy it now, it will not be shown again.")
            % {"user": obj.user, "key": key},
        )
