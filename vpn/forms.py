from django import forms
from django.utils.translation import gettext_lazy as _

from vpn.models import VPNConfiguration


class EndpointForm(forms.ModelForm):
    """The endpoints a member may choose, checked against their subnets by the
    model's clean() (the error names the field)."""

    class Meta:
        model = VPNConfiguration
        fields = ["ipv4_endpoint", "ipv6_endpoint"]
        help_texts = {
            "ipv4_endpoint": _("Empty: the first address of your first IPv4 subnet."),
            "ipv6_endpoint": _("Empty: ::1 of your first IPv6 subnet."),
        }
