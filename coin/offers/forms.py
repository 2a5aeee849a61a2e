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
        label=_("First day without service"),
        help_text=_("Your service runs until the day before."),
        # A date input reads only ISO dates, whatever the page's language.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    confirm = forms.BooleanField(label=_("I confirm that I want to terminate this subscription."))
