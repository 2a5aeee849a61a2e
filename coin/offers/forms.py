from django import forms
from django.utils.translation import gettext_lazy as _

from coin.offers.models import Offer


class SubscriptionRequestForm(forms.Form):
    offer = forms.ModelChoiceField(
        label=_("Offer"), queryset=Offer.objects.filter(requestable=True), empty_label=None
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Address of the line, wishes, questions…"),
    )


class ResignForm(forms.Form):
    resign_date = forms.DateField(
        label=_("Last day + 1 (first day without service)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    confirm = forms.BooleanField(label=_("I confirm that I want to terminate this subscription."))
