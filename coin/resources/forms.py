from django import forms

from coin.resources.models import ReverseDNSEntry


class ReverseDNSEntryForm(forms.ModelForm):
    """A member's PTR record; the view sets ``instance.subnet`` (one of theirs)
    before validation, so the model's rules check the address against it."""

    class Meta:
        model = ReverseDNSEntry
        fields = ["ip", "name"]
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})}
