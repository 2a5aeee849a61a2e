from django import forms
from django.utils.translation import gettext_lazy as _

from coa.models import BNG, RadiusAccount


class BNGForm(forms.ModelForm):
    """The shared secret is write-only: never shown again, kept when left empty."""

    secret = forms.CharField(
        label=_("shared secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Never shown after saving; leave empty to keep the current one."),
    )

    class Meta:
        model = BNG
        fields = [
            "name",
            "address",
            "nas_ip_address",
            "nas_identifier",
            "coa_port",
            "secret",
            "vendor",
            "timeout",
            "retries",
        ]

    def clean_secret(self):
        secret = self.cleaned_data.get("secret", "")
        if not secret:
            if not (self.instance.pk and self.instance.secret):
                raise forms.ValidationError(_("A new BNG needs a shared secret."))
            return self.instance.secret
        return secret


class RadiusAccountForm(forms.ModelForm):
    new_password = forms.CharField(
        label=_("password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored as a salted hash, never shown; leave empty to keep the current one."),
    )

    class Meta:
        model = RadiusAccount
        fields = ["offersubscription", "login", "bng", "comment"]

    def save(self, commit=True):
        password = self.cleaned_data.get("new_password")
        if password:
            self.instance.set_password(password)
        return super().save(commit=commit)
