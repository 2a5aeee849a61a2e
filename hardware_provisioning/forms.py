"""Forms of the member portal and of the admin (the loan form's dependent choices
through django-autocomplete-light)."""

from typing import Any

from dal import autocomplete
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coin.offers.models import OfferSubscription
from hardware_provisioning.models import Item, ItemType, Loan, Storage


class SubscriptionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OfferSubscription) -> str:
        return f"{obj.offer.name} — {obj.reference}"


class BorrowForm(forms.Form):
    location = forms.CharField(
        label=_("Where will you use it?"),
        max_length=200,
        required=False,
        help_text=_("Address or place, optional."),
    )
    subscription = SubscriptionChoiceField(
        label=_("For the subscription"),
        queryset=OfferSubscription.objects.none(),
        required=False,
        empty_label=_("none"),
        help_text=_("The line this item will serve, if any."),
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        subscription = choice_field(self, "subscription")
        subscription.queryset = OfferSubscription.objects.filter(member=member).select_related("offer")


def choice_field(form: forms.BaseForm, name: str) -> "forms.ModelChoiceField[Any]":
    """The form's model choice field ``name``, to narrow its choices."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a model choice field")
    return field


class ReturnForm(forms.Form):
    storage = forms.ModelChoiceField(
        label=_("Where did you bring it back?"),
        queryset=Storage.objects.all(),
        required=False,
        empty_label=_("I don't know / handed to a volunteer"),
    )


class HandoverForm(forms.Form):
    recipient = forms.CharField(
        label=_("Username or email of the new holder"),
        max_length=254,
        help_text=_("Exactly as the other member gave it to you. They will have to confirm."),
    )


class MoveItemsForm(forms.Form):
    storage = forms.ModelChoiceField(label=_("Move to"), queryset=Storage.objects.all())


class ModelSelect2(autocomplete.ModelSelect2):
    """django-autocomplete-light's Select2 widget, without the inline ``style`` of its
    forwarding block (refused by the Content-Security-Policy): ``hidden`` instead."""

    def render_forward_conf(self, id):
        return super().render_forward_conf(id).replace('<div style="display:none" ', "<div hidden ", 1)


class LoanAdminForm(forms.ModelForm):
    """The admin's loan form: the item list follows the chosen type and offers only
    available items (plus the loan's own); the member and the subscription are
    autocompletes, the subscription following the member."""

    item_type = forms.ModelChoiceField(
        label=_("item type"),
        queryset=ItemType.objects.all(),
        required=False,
        help_text=_("Narrows the item list to this type."),
    )

    class Meta:
        model = Loan
        fields = ["item_type", "item", "member", "subscription", "state", "start", "end", "location", "notes"]
        widgets = {
            "item": ModelSelect2(
                url="admin:hardware_provisioning_loan_item_autocomplete", forward=["item_type"]
            ),
            "member": ModelSelect2(url="admin:hardware_provisioning_loan_member_autocomplete"),
            "subscription": ModelSelect2(
                url="admin:hardware_provisioning_loan_subscription_autocomplete", forward=["member"]
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        own = Q(pk=self.instance.item_id) if self.instance.item_id else Q(pk__in=[])
        choice_field(self, "item").queryset = Item.objects.filter(
            Q(pk__in=Item.objects.available().values("pk")) | own
        ).select_related("type")
        choice_field(self, "member").queryset = get_user_model()._default_manager.all()
        if self.instance.item_id:
            self.fields["item_type"].initial = self.instance.item.type_id

    def clean(self):
        cleaned = super().clean() or {}
        item, item_type = cleaned.get("item"), cleaned.get("item_type")
        if item is not None and item_type is not None and item.type_id != item_type.pk:
            self.add_error("item", _("This item is not of the chosen type."))
        return cleaned
