from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserCreationForm
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
            "username",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].required = False
        self.fields["username"].help_text = USERNAME_HELP
        self.fields["email"].required = True
        self.fields.pop("usable_password", None)

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
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True

    def clean_email(self) -> str:
        # Sign-up refuses an address that an account already uses (password resets
        # go by address): editing one's profile must not get round that.
        email = self.cleaned_data["email"].strip()
        if Member.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another account already uses this address."))
        return email
