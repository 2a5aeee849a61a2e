from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from coin.admin_filters import list_filter
from coin.admin_inlines import add_inline
from coin.members.admin_panels import add_member_admin_panel
from coin.offers.configuration_types import configuration_type_choices
from coin.offers.filtersets import OfferSubscriptionFilterSet
from coin.offers.forms import offer_price
from coin.offers.models import Offer, OfferSubscription, SubscriptionRequest
from coin.offers.subscriptions import (
    accept_request,
    check_subscription_can_start,
    create_subscription,
    refuse_request,
    request_warnings,
)


class OfferForm(forms.ModelForm):
    class Meta:
        model = Offer
        fields = [
            "name", "reference", "configuration_type", "billing_period", "period_fees", "initial_fees",
            "non_billable", "requestable", "description",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["configuration_type"] = forms.ChoiceField(
            label=Offer._meta.get_field("configuration_type").verbose_name,
            choices=[("", _("none")), *configuration_type_choices()],
            required=False,
            help_text=Offer._meta.get_field("configuration_type").help_text,
        )


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    form = OfferForm
    list_display = [
        "name", "reference", "configuration_type_name", "billing_period", "period_fees", "initial_fees",
        "non_billable", "requestable",
    ]  # fmt: skip
    list_filter = ["configuration_type", "non_billable", "requestable", "billing_period"]
    search_fields = ["name", "reference", "description"]

    @admin.display(description=_("configuration type"), ordering="configuration_type")
    def configuration_type_name(self, offer: Offer) -> str:
        return offer.get_configuration_type_display()


RunningFilter = list_filter(
    OfferSubscriptionFilterSet, "running", _("running"), yes=_("running today"), no=_("resigned")
)


class OfferSubscriptionForm(forms.ModelForm):
    class Meta:
        model = OfferSubscription
        fields = ["member", "offer", "subscription_date", "resign_date", "commitment", "comments"]

    def clean(self):
        cleaned = super().clean() or {}
        offer = cleaned.get("offer")
        if self.instance.pk is None and offer is not None:
            try:
                check_subscription_can_start(offer)
            except ValidationError as error:
                self.add_error("offer", error)
        return cleaned


@admin.register(OfferSubscription)
class OfferSubscriptionAdmin(admin.ModelAdmin):
    form = OfferSubscriptionForm
    list_display = ["reference", "member", "offer", "subscription_date", "resign_date", "commitment"]
    list_filter = [RunningFilter, "offer", "subscription_date"]
    search_fields = [
        "member__username", "member__first_name", "member__last_name", "member__organization_name",
        "member__email", "offer__reference", "offer__name", "comments",
    ]  # fmt: skip
    autocomplete_fields = ["member", "offer"]
    list_select_related = ["member", "offer"]
    date_hierarchy = "subscription_date"

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
        else:
            create_subscription(obj)

    def get_inline_instances(self, request, obj=None):
        """The configuration is created with the subscription; once it exists, its own
        app's inline (the ``inline`` attribute of the app's admin) edits it here."""
        inlines = []
        configuration = obj.real_configuration if obj else None
        if configuration is not None:
            child_admin = self.admin_site._registry.get(type(configuration))
            inline_class = getattr(child_admin, "inline", None)
            if inline_class is not None:
                inline = inline_class(self.model, self.admin_site)
                inline.max_num = inline.min_num = 1
                inline.can_delete = False
                inlines.append(inline)
        return inlines + super().get_inline_instances(request, obj)


class AnswerRequestForm(forms.Form):
    subscription_date = forms.DateField(
        label=_("Start date of the subscription"),
        help_text=_("Used when accepting: billing and provisioning start from this day."),
        widget=AdminDateWidget,
    )
    answer = forms.CharField(
        label=_("Answer to the member"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Sent in the email that tells the member the decision."),
    )


class SubscriptionRequestAdmin(admin.ModelAdmin):
    list_display = ["member", "offer", "state", "created_at", "handled_by", "subscription"]
    list_filter = ["state", "offer"]
    search_fields = ["member__username", "member__last_name", "member__email", "comment"]
    autocomplete_fields = ["member", "offer"]
    readonly_fields = ["answer_link", "state", "handled_at", "handled_by", "subscription", "created_at"]

    def get_urls(self):
        answer = self.admin_site.admin_view(self.answer_view)
        return [
            path("<int:pk>/answer/", answer, name="offers_subscriptionrequest_answer"),
            *super().get_urls(),
        ]

    @admin.display(description=_("decision"))
    def answer_link(self, obj):
        if obj.pk is None or obj.state != SubscriptionRequest.State.PENDING:
            return "—"
        url = reverse("admin:offers_subscriptionrequest_answer", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Accept or refuse…"))

    def answer_view(self, request, pk: int):
        """Accept (with a start date) or refuse one request from its own page, after
        seeing what the admin should know about the member."""
        subscription_request = get_object_or_404(
            SubscriptionRequest.objects.select_related("member", "offer"), pk=pk
        )
        if not self.has_change_permission(request, subscription_request):
            raise PermissionDenied
        change_url = reverse("admin:offers_subscriptionrequest_change", args=[pk])
        form = AnswerRequestForm(request.POST or None, initial={"subscription_date": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            try:
                if "refuse" in request.POST:
                    refuse_request(subscription_request, request.user, form.cleaned_data["answer"])
                    self.message_user(request, _("Request refused; the member was told."), messages.SUCCESS)
                else:
                    subscription = accept_request(
                        subscription_request,
                        request.user,
                        subscription_date=form.cleaned_data["subscription_date"],
                        answer=form.cleaned_data["answer"],
                    )
                    self.message_user(
                        request,
                        _("Request accepted: subscription %(reference)s starts on %(date)s.")
                        % {
                            "reference": subscription.reference,
                            "date": date_format(subscription.subscription_date, "DATE_FORMAT"),
                        },
                        messages.SUCCESS,
                    )
                return HttpResponseRedirect(change_url)
            except ValidationError as error:
                form.add_error(None, error)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Answer the request"),
            "subtitle": str(subscription_request),
            "opts": self.model._meta,
            "original": subscription_request,
            "request_obj": subscription_request,
            "form": form,
            "warnings": request_warnings(subscription_request),
            "price": offer_price(subscription_request.offer),
            "change_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/offers/subscriptionrequest/answer.html", context)

    list_select_related = ["member", "offer", "handled_by", "subscription__offer"]
    actions = ["accept", "refuse"]

    def _handle(self, request, queryset, handler, done_message):
        handled = 0
        for subscription_request in queryset:
            try:
                handler(subscription_request, request.user)
                handled += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{subscription_request}: {' '.join(error.messages)}", messages.ERROR
                )
        if handled:
            self.message_user(request, done_message % handled, messages.SUCCESS)

    @admin.action(description=_("Accept: start the subscriptions today"))
    def accept(self, request, queryset):
        self._handle(request, queryset, accept_request, _("%d request(s) accepted."))

    @admin.action(description=_("Refuse the selected requests"))
    def refuse(self, request, queryset):
        self._handle(request, queryset, refuse_request, _("%d request(s) refused."))


admin.site.register(SubscriptionRequest, SubscriptionRequestAdmin)


def add_offer_inline(
    inline: type[admin.options.InlineModelAdmin], site: admin.AdminSite = admin.site
) -> None:
    """Let an app that builds on offers (resources' pools, coa's RADIUS group) show its
    own inline on the offer's admin page without this app knowing it."""
    add_inline(Offer, inline, site)


def add_subscription_inline(
    inline: type[admin.options.InlineModelAdmin], site: admin.AdminSite = admin.site
) -> None:
    """The same for the subscription's admin page (hardware_provisioning's lent
    hardware): the inline shows below the configuration's own inline."""
    add_inline(OfferSubscription, inline, site)


# --- On the member's admin page ----------------------------------------------------------

PANEL_ROWS = 10


def subscriptions_panel(member) -> str:
    """The member's subscriptions, the newest first, each with its state today."""
    today = timezone.localdate()
    subscriptions = OfferSubscription.objects.filter(member=member).select_related("offer")
    total = subscriptions.count()
    if not total:
        return render_to_string("admin/members/panels/subscriptions.html", {"subscriptions": []})
    rows = []
    for subscription in subscriptions.order_by("-subscription_date", "-pk")[:PANEL_ROWS]:
        if subscription.subscription_date > today:
            state = _("starts later")
        elif subscription.resign_date is not None and subscription.resign_date <= today:
            state = _("ended")
        else:
            state = _("running")
        url = reverse("admin:offers_offersubscription_change", args=[subscription.pk])
        rows.append({"subscription": subscription, "state": state, "url": url})
    all_url = reverse("admin:offers_offersubscription_changelist") + f"?member__id__exact={member.pk}"
    context = {"subscriptions": rows, "total": total, "more": total > PANEL_ROWS, "all_url": all_url}
    return render_to_string("admin/members/panels/subscriptions.html", context)


add_member_admin_panel(subscriptions_panel)
