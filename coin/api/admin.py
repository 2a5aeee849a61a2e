"""API tokens in the admin: created for a user, the key shown once in a message;
afterwards only its prefix, everywhere (lists, history, recent actions, log)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from coin.api.models import APIToken, new_key


class APITokenAddForm(forms.ModelForm):
    """A new token: saving it draws its key, kept on the form (``key``) for the one
    message that shows it."""

    key: str | None = None

    class Meta:
        model = APIToken
        fields = ["user", "name"]

    def save(self, commit: bool = True) -> APIToken:
        if self.key is None:
            self.key = new_key()
            self.instance.set_key(self.key)
        return super().save(commit)


class APITokenChangeForm(forms.ModelForm):
    """A token is revoked (deleted), not edited: only its name changes."""

    class Meta:
        model = APIToken
        fields = ["name"]


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    list_display = ["prefix_shown", "name", "user", "created", "last_used"]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    autocomplete_fields = ["user"]
    readonly_fields = ["prefix_shown", "created", "last_used"]
    form = APITokenChangeForm

    @admin.display(description=_("key"))
    def prefix_shown(self, token: APIToken) -> str:
        return f"{token.prefix}…" if token.prefix else ""

    def get_readonly_fields(self, request, obj=None):
        # A token is revoked (deleted), not edited: its user cannot change.
        return [*self.readonly_fields, "user"] if obj is not None else []

    def get_fields(self, request, obj=None):
        return ["user", "name"] if obj is None else ["prefix_shown", "user", "name", "created", "last_used"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = APITokenAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])  # not last_used, which the API may be writing
            return
        form.save()
        messages.warning(
            request,
            _("Token for %(user)s: %(key)s — copy it now, it will not be shown again.")
            % {"user": obj.user, "key": form.key},
        )
