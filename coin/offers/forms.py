from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coin.offers.models import Offer


def offer_price(offer: Offer) -> str:
    """ "30.00 € per month, 50.00 € to start" (what the member will pay)."""
    price: str
    if offer.non_billable or not offer.period_fees:
        price = gettext("free")
    elif offer.billing_period == 1:
        price = gettext("%(amount)s € per month") % {"amount": offer.period_fees}
    elif offer.billing_period == 12:
        price = gettext("%(amount)s € per year") % {"amount": offer.period_fees}
    else:
        price = gettext("%(amount)s € every %(months)d months") % {
            "amount": offer.period_fees,
            "months": offer.billing_period,
        }
    if offer.initial_fees and not offer.non_billable:
        price = gettext("%(price)s, %(initial)s € to start") % {"price": price, "initial": offer.initial_fees}
    return price


def requestable_offers() -> QuerySet[Offer]:
    """The offers members may ask for (the request form's choices)."""
    return Offer.objects.filter(requestable=True)


class OfferChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Offer) -> str:
        return f"{obj.name} — {offer_price(obj)}"


class SubscriptionRequestForm(forms.Form):
    offer = OfferChoiceField(label=_("Offer"), queryset=requestable_offers(), empty_label=None)
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
