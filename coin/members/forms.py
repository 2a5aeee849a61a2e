from django import forms
from django.conf import settings
from django.contrib.auth.forms import AdminUserCreationForm, PasswordResetForm, UserCreationForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from coin.members.models import Member

USERNAME_HELP = _("Leave empty to build one from the name.")


class AdminMemberCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = Member
        fields = ("type", "status", "first_name", "last_name", "organization_name", "email", "username")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].required = False
        self.fields["username"].help_text = USERNAME_HELP


def browser_language() -> str:
    """The language the portal speaks now (the browser's, or the one the visitor chose
    with the language buttons), as one of LANGUAGES: what a new member gets by default."""
    try:
        return translation.get_supported_language_variant(translation.get_language() or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def choose_language(form: forms.ModelForm, initial: str) -> None:
    """The member's language as a choice among LANGUAGES, without an "empty" entry,
    showing ``initial`` first; a form posted without it keeps ``initial``
    (``language_or_default``)."""
    field = form.fields["language"]
    assert isinstance(field, forms.ChoiceField)
    field.required = False
    field.choices = list(settings.LANGUAGES)
    field.help_text = _("Language of the emails Coin sends you.")
    if not form.initial.get("language"):
        form.initial["language"] = initial


def language_or_default(form: forms.ModelForm) -> str:
    return form.cleaned_data.get("language") or form.initial["language"]


class SignupForm(UserCreationForm):
    """Self-registration: the account is created inactive and ``pending``.
    (UserCreationForm refuses a username that differs from a taken one only in case.)"""

    class Meta:
        model = Member
        fields = [
            "type",
            "first_name",
            "last_name",
            "organization_name",
            "email",
            "address",
            "postal_code",
            "city",
            "country",
            "mobile_phone_number",
            "language",
            "username",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choose_language(self, browser_language())
        self.fields["username"].required = False
        self.fields["username"].help_text = USERNAME_HELP
        self.fields["email"].required = True
        self.fields.pop("usable_password", None)

    def clean_language(self) -> str:
        return language_or_default(self)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if Member.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account already uses this address: reset its password instead.")
            )
        return email


class ProfileForm(forms.ModelForm):
    """What a member may change about themselves when MEMBER_CAN_EDIT_PROFILE is on."""

    class Meta:
        model = Member
        fields = [
            "nickname",
            "email",
            "home_phone_number",
            "mobile_phone_number",
            "address",
            "postal_code",
            "city",
            "country",
            "language",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        choose_language(self, self.instance.preferred_language)

    def clean_language(self) -> str:
        return language_or_default(self)

    def clean_email(self) -> str:
        # Sign-up refuses an address that an account already uses (password resets
        # go by address): editing one's profile must not get round that.
        email = self.cleaned_data["email"].strip()
        if Member.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another account already uses this address."))
        return email


class MemberPasswordResetForm(PasswordResetForm):
    """Django's password reset, its email written in the member's language (not in the
    language of whoever asked for it)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with translation.override(context["user"].preferred_language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
