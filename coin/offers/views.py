from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from coin.members.http import MemberRequest
from coin.offers.forms import ResignForm, SubscriptionRequestForm, offer_price, requestable_offers
from coin.offers.models import OfferSubscription, SubscriptionRequest
from coin.offers.subscriptions import (
    already_resigned_message,
    cancel_request,
    earliest_resign_date,
    member_can_resign,
    request_subscription,
    resign,
)
from coin.ratelimit import by_member, ratelimit
from coin.validation import add_to_form


def _configurations():
    """Every configuration, as its app's class: the model behind the reverse relation
    ``configuration`` belongs to coin.configuration, an app above this one."""
    return OfferSubscription._meta.get_field("configuration").related_model._default_manager.all()


@login_required
def subscriptions(request: MemberRequest) -> HttpResponse:
    today = timezone.localdate()
    member_subscriptions = (
        OfferSubscription.objects.filter(member=request.user)
        .select_related("offer")
        .prefetch_related(Prefetch("configuration", queryset=_configurations()))
        .order_by("resign_date", "-subscription_date")
    )
    return render(
        request,
        "offers/subscriptions.html",
        {
            "subscriptions": [(s, s.is_running(today)) for s in member_subscriptions],
            "requests": SubscriptionRequest.objects.filter(member=request.user).select_related("offer")[:20],
            "can_request": requestable_offers().exists(),
        },
    )


@login_required
@ratelimit([("subscription_request", by_member)])
@require_http_methods(["GET", "POST"])
def request_offer(request: MemberRequest) -> HttpResponse:
    """Offers with their price and description; a request for an offer the member
    already has or already asked for is refused with a message naming it."""
    form = SubscriptionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            request_subscription(request.user, form.cleaned_data["offer"], form.cleaned_data["comment"])
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your request was sent: the association will get back to you."))
            return redirect("offers:subscriptions")
    offers = [(offer, offer_price(offer)) for offer in requestable_offers()]
    return render(request, "offers/request.html", {"form": form, "offers": offers})


@login_required
@require_POST
def cancel_subscription_request(request: MemberRequest, pk: int) -> HttpResponse:
    """The member withdraws one of their pending requests (404 for another member's)."""
    subscription_request = get_object_or_404(SubscriptionRequest, pk=pk, member=request.user)
    try:
        cancel_request(subscription_request, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Your request for %(offer)s is cancelled.") % {"offer": subscription_request.offer.name},
        )
    return redirect("offers:subscriptions")


@login_required
@require_http_methods(["GET", "POST"])
def resign_subscription(request: MemberRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(
        OfferSubscription.objects.select_related("offer"), pk=pk, member=request.user
    )
    earliest = earliest_resign_date(subscription, timezone.localdate())
    if not member_can_resign(subscription):
        # Set once: the form is not offered again, and a POST is refused (409).
        context = {"subscription": subscription, "already": already_resigned_message(subscription)}
        status = 409 if request.method == "POST" else 200
        return render(request, "offers/resign.html", context, status=status)
    form = ResignForm(request.POST or None, initial={"resign_date": earliest})
    if request.method == "POST" and form.is_valid():
        try:
            resign(subscription, form.cleaned_data["resign_date"], by_member=True)
        except ValidationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Your termination is recorded. A confirmation was emailed to you."))
            return redirect("offers:subscriptions")
    return render(
        request, "offers/resign.html", {"form": form, "subscription": subscription, "earliest": earliest}
    )
