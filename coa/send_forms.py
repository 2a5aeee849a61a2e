"""The admin's form to send a CoA or Disconnect by hand to a subscriber's session."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coa.dictionary import Pair
from coa.operations import COA, DISCONNECT, OPERATIONS, InvalidParameter

RAW_COA = "coa"
RAW_DISCONNECT = "disconnect"


def operation_choices() -> list[tuple[str, Any]]:
    return [
        (RAW_COA, _("CoA-Request with the attributes below")),
        (RAW_DISCONNECT, _("Disconnect-Request")),
        *((name, operation.label) for name, operation in OPERATIONS.items()),
    ]


def parse_lines(text: str, separator: str, field: str) -> list[Pair]:
    """``Name = value`` (or ``name=value``) lines → pairs; quotes around values removed."""
    pairs = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, found, value = line.partition(separator)
        if not found or not name.strip():
            raise forms.ValidationError(
                _("Line %(number)d: expected %(form)s.")
                % {"number": number, "form": f"name {separator} value"},
                code=field,
            )
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        pairs.append((name.strip(), value))
    return pairs


class SendCoAForm(forms.Form):
    operation = forms.ChoiceField(label=_("operation"), choices=operation_choices)
    parameters = forms.CharField(
        label=_("parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For a vendor operation, one name=value per line (service=…, policy=…, acl=…, direction=in…)."
        ),
    )
    attributes = forms.CharField(
        label=_("attributes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "More attributes, one 'Name = value' per line (e.g. Filter-Id = gold). The session's "
            "User-Name, Acct-Session-Id, Framed-IP-Address and NAS-IP-Address are added."
        ),
    )

    def clean_parameters(self) -> dict[str, str]:
        return dict(parse_lines(self.cleaned_data["parameters"], "=", "parameters"))

    def clean_attributes(self) -> list[Pair]:
        return parse_lines(self.cleaned_data["attributes"], "=", "attributes")

    def request(self) -> tuple[int, list[Pair], str]:
        """(code, attributes, operation name) of the valid form; InvalidParameter when a
        vendor operation's parameters are wrong."""
        name = self.cleaned_data["operation"]
        extra = self.cleaned_data["attributes"]
        if name == RAW_DISCONNECT:
            return DISCONNECT, extra, RAW_DISCONNECT
        if name == RAW_COA:
            return COA, extra, ""
        operation = OPERATIONS[name]
        return operation.code, [*operation.pairs(self.cleaned_data["parameters"]), *extra], name


__all__ = ["InvalidParameter", "SendCoAForm"]
