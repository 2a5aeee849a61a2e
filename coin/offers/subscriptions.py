"""What happens to subscriptions: creation, requests from members, resignation."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from coin.emails import notify_admins_on_commit, send_email_on_commit
from coin.members.models import Member
from coin.offers.models import Offer, OfferSubscription, SubscriptionRequest
from coin.offers.signals import subscription_can_start, subscription_created


def create_subscription(subscription: OfferSubscription) -> OfferSubscription:
    """Save a new subscription (built but not saved) and send ``subscription_created``
    in the same transaction, so that the apps built on offers give it what it needs
    (its configuration, its subnets, their provisioning jobs): all of it is saved, or
    none. The one way to create a subscription: admin, API, portal, commands, demo."""
    if not subscription._state.adding:
        raise ValueError("create_subscription() takes a subscription that is not saved yet.")
    with transaction.atomic():
        subscription.save()
        subscription_created.send(sender=OfferSubscription, subscription=subscription)
    return subscription


def subscribe(member: Member, offer: Offer, **fields: Any) -> OfferSubscription:
    """Create the subscription of ``member`` to ``offer`` (other fields as given)."""
    return create_subscription(OfferSubscription(member=member, offer=offer, **fields))


def check_subscription_can_start(offer: Offer) -> None:
    """Raise, with a clear message, what would stop a new subscription to the offer
    (e.g. a full IP pool): forms and the API call it before saving. The apps built on
    offers answer through the ``subscription_can_start`` signal."""
    subscription_can_start.send(sender=Offer, offer=offer)


def check_can_request(member: Member, offer: Offer) -> None:
    """Refuse, naming the offer, a request for an offer the member already has (a
    subscription not yet stopped) or already asked for (a pending request)."""
    today = timezone.localdate()
    current = (
        OfferSubscription.objects.filter(member=member, offer=offer)
        .exclude(resign_date__lte=today)
        .order_by("subscription_date")
        .first()
    )
    if current is not None:
        raise ValidationError(
            {
                "offer": _("You already have %(offer)s (%(reference)s): see My subscriptions.")
                % {"offer": offer.name, "reference": current.reference}
            },
            code="already_subscribed",
        )
    if SubscriptionRequest.objects.filter(
        member=member, offer=offer, state=SubscriptionRequest.State.PENDING
    ).exists():
        raise ValidationError(
            {
                "offer": _("Your request for %(offer)s is already waiting for an answer.")
                % {"offer": offer.name}
            },
            code="already_requested",
        )


def request_subscription(member: Member, offer: Offer, comment: str = "") -> SubscriptionRequest:
    if not offer.requestable:
        raise ValidationError({"offer": _("This offer cannot be requested from the portal.")})
    check_can_request(member, offer)
    request = SubscriptionRequest.objects.create(member=member, offer=offer, comment=comment)
    notify_admins_on_commit("offers/request_notification", {"request": request})
    return request


def accept_request(
    request: SubscriptionRequest,
    by: Member,
    subscription_date: datetime.date | None = None,
    answer: str = "",
) -> OfferSubscription:
    """Validating a request starts the subscription: billing and provisioning follow."""
    with transaction.atomic():
        request = SubscriptionRequest.objects.select_for_update().get(pk=request.pk)
        if request.state != SubscriptionRequest.State.PENDING:
            raise ValidationError(_("This request was already handled."))
        subscription = subscribe(
            request.member,
            request.offer,
            subscription_date=subscription_date or timezone.localdate(),
            comments=request.comment,
        )
        request.state = SubscriptionRequest.State.ACCEPTED
        request.subscription = subscription
        _close(request, by, answer)
    return subscription


def cancel_request(request: SubscriptionRequest, member: Member) -> None:
    """The member withdraws their own pending request (kept, marked cancelled)."""
    with transaction.atomic():
        locked = SubscriptionRequest.objects.select_for_update().get(pk=request.pk)
        if locked.member_id != member.pk:
            raise ValidationError(_("This request is not yours."))
        if locked.state != SubscriptionRequest.State.PENDING:
            raise ValidationError(_("This request was already handled."))
        locked.state = SubscriptionRequest.State.CANCELLED
        locked.handled_by = member
        locked.handled_at = timezone.now()
        locked.save(update_fields=["state", "handled_by", "handled_at"])
    request.state = locked.state


def request_warnings(request: SubscriptionRequest) -> list[str]:
    """What an admin should know before accepting: the member is not a member yet
    (pending) or their membership fee is not up to date."""
    member = request.member
    warnings = []
    if member.status == member.Status.PENDING:
        warnings.append(
            _("%(member)s is still pending: no membership fee was recorded yet.") % {"member": member}
        )
    elif not member.is_up_to_date():
        warnings.append(_("%(member)s's membership fee is not up to date.") % {"member": member})
    return warnings


def refuse_request(request: SubscriptionRequest, by: Member, answer: str = "") -> None:
    with transaction.atomic():
        request = SubscriptionRequest.objects.select_for_update().get(pk=request.pk)
        if request.state != SubscriptionRequest.State.PENDING:
            raise ValidationError(_("This request was already handled."))
        request.state = SubscriptionRequest.State.REFUSED
        _close(request, by, answer)


def _close(request: SubscriptionRequest, by: Member, answer: str) -> None:
    request.handled_by = by
    request.handled_at = timezone.now()
    request.answer = answer
    request.save()
    send_email_on_commit(
        "offers/request_answer",
        {"request": request},
        [request.member.email],
        language=request.member.preferred_language,
    )


def earliest_resign_date(subscription: OfferSubscription, today: datetime.date) -> datetime.date:
    """A member can resign from tomorrow on (today stays running), and never before
    the subscription starts."""
    return max(today + datetime.timedelta(days=1), subscription.subscription_date)


def member_can_resign(subscription: OfferSubscription) -> bool:
    """A member sets the resignation date once: afterwards only an admin can move or
    undo it."""
    return subscription.resign_date is None


def already_resigned_message(subscription: OfferSubscription) -> str:
    """Why a member cannot resign a subscription whose resignation is set already."""
    if subscription.resign_date is None:
        raise ValueError("already_resigned_message() is for a subscription whose resignation is set")
    return _(
        "This subscription's termination is already set (first day without service: %(date)s). "
        "It cannot be changed from here: contact the association to move or cancel it."
    ) % {"date": date_format(subscription.resign_date, "DATE_FORMAT")}


def resign(subscription: OfferSubscription, resign_date: datetime.date, by_member: bool) -> None:
    """Set the first day on which the subscription stops; tell the admins and the
    member. A member resigns from tomorrow on, once: the date cannot be moved or undone
    by the member afterwards (an admin can, ``by_member=False``)."""
    today = timezone.localdate()
    with transaction.atomic():
        if by_member:
            # The stored row decides (locked: two tabs posting at once set it once).
            stored = OfferSubscription.objects.select_for_update().get(pk=subscription.pk)
            if not member_can_resign(stored):
                raise ValidationError(already_resigned_message(stored), code="already_resigned")
            earliest = earliest_resign_date(stored, today)
            if resign_date < earliest:
                raise ValidationError(
                    {
                        "resign_date": _("Choose a date from %(date)s on.")
                        % {"date": date_format(earliest, "DATE_FORMAT")}
                    }
                )
        subscription.resign_date = resign_date
        subscription.full_clean()
        subscription.save(update_fields=["resign_date"])
        context = {"subscription": subscription, "by_member": by_member}
        notify_admins_on_commit("offers/resign_notification", context)
        send_email_on_commit(
            "offers/resign_confirmation",
            context,
            [subscription.member.email],
            language=subscription.member.preferred_language,
        )
