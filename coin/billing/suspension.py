"""Suspension of service for unpaid bills, and resumption on payment.

Optional: SUSPEND_SERVICE_AFTER_DAYS (None by default) is the grace period, in days
after an invoice's due date. A member with a validated, open invoice still unpaid
that long after its due date has the service of their running, billable
subscriptions suspended (a free or non-billable subscription has nothing to pay and
is left alone).

What "suspended" means on the network belongs to each subscription's configuration
app: suspending records a ServiceSuspension and asks the configuration to provision
the "suspend" action *in the same transaction*, so the provisioning job (LDAP flag,
RADIUS group, CoA…) is recorded with the suspension or not at all, and the worker
pushes it. A configuration type without provisioners still gets the suspension
recorded. Resuming is the mirror ("resume"), once no invoice is that overdue.

It reads the ledger (what is unpaid); ``payments.settle()`` calls ``resume_if_paid``
after allocating a member's money.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from coin.billing.emails import send_service_resumed_on_commit, send_service_suspended_on_commit
from coin.billing.ledger import unpaid_invoices
from coin.billing.models import Invoice, ServiceSuspension

if TYPE_CHECKING:
    from coin.members.models import Member
    from coin.offers.models import OfferSubscription


def grace_days() -> int:
    """Days after the due date from which an unpaid invoice suspends the service (0 when
    suspension is off: then resuming only waits for every overdue invoice to be paid)."""
    days = settings.SUSPEND_SERVICE_AFTER_DAYS
    return 0 if days is None else int(days)


def overdue_invoices(member: "Member", today: datetime.date, days: int) -> QuerySet[Invoice]:
    """The member's invoices unpaid ``days`` or more after their due date, oldest first."""
    return unpaid_invoices(today, days).filter(member=member).order_by("date_due", "number")


def is_suspended(subscription: "OfferSubscription") -> bool:
    """For configuration apps' provisioners: keep a suspended subscription suspended when
    its configuration is pushed again for another reason."""
    return ServiceSuspension.objects.filter(offersubscription=subscription, resumed_at__isnull=True).exists()


def suspendable_subscriptions(today: datetime.date):
    """Running, billable subscriptions that are not suspended already."""
    from coin.offers.models import OfferSubscription

    open_suspension = ServiceSuspension.objects.filter(
        offersubscription=OuterRef("pk"), resumed_at__isnull=True
    )
    return (
        OfferSubscription.objects.running(today)
        .filter(offer__non_billable=False)
        .annotate(suspended=Exists(open_suspension))
        .filter(suspended=False)
        .select_related("offer", "member")
        .order_by("pk")
    )


@dataclass
class DueSuspension:
    """A member to suspend: their overdue invoices (oldest first) and the subscriptions
    that are to be suspended."""

    member: "Member"
    invoices: list[Invoice] = field(default_factory=list)
    subscriptions: list["OfferSubscription"] = field(default_factory=list)


def due_suspensions(today: datetime.date, days: int) -> list[DueSuspension]:
    """Members to suspend today: their invoices overdue by ``days`` or more, and their
    subscriptions still running and not suspended."""
    by_member: dict[int, DueSuspension] = {}
    for invoice in (
        unpaid_invoices(today, days).select_related("member").order_by("member_id", "date_due", "number")
    ):
        by_member.setdefault(invoice.member_id, DueSuspension(invoice.member)).invoices.append(invoice)
    if not by_member:
        return []
    subscriptions = defaultdict(list)
    for subscription in suspendable_subscriptions(today).filter(member_id__in=by_member):
        subscriptions[subscription.member_id].append(subscription)
    due = []
    for member_id, suspension in by_member.items():
        if subscriptions[member_id]:
            suspension.subscriptions = subscriptions[member_id]
            due.append(suspension)
    return due


def _provision(subscription: "OfferSubscription", action: str) -> None:
    configuration = subscription.real_configuration
    if configuration is not None:
        configuration.provision(action)


def suspend(due: DueSuspension) -> list[ServiceSuspension]:
    """Suspend the subscriptions of one member; email them once it is committed.

    Each subscription is suspended in its own savepoint: one suspended meanwhile by
    another run (the unique open suspension refuses a second one) is skipped, the
    others go on.
    """
    created = []
    with transaction.atomic():
        for subscription in due.subscriptions:
            try:
                with transaction.atomic():
                    suspension = ServiceSuspension.objects.create(
                        offersubscription=subscription, invoice=due.invoices[0]
                    )
                    _provision(subscription, "suspend")
            except IntegrityError:
                continue
            created.append(suspension)
        if created:
            send_service_suspended_on_commit(
                due.member, due.invoices, [suspension.offersubscription for suspension in created]
            )
    return created


def resumable(member: "Member", today: datetime.date) -> bool:
    """True when nothing the member owes is overdue enough to keep a suspension."""
    return not overdue_invoices(member, today, grace_days()).exists()


def resume_if_paid(member: "Member | None", today: datetime.date | None = None) -> list[ServiceSuspension]:
    """Called after payments were allocated to the member's invoices (and after a credit
    note): when no invoice is overdue past the grace period any more, close the open
    suspensions and ask the configurations to resume, in the same transaction; email
    the member once committed. Returns the suspensions closed."""
    if member is None:
        return []
    today = today or timezone.localdate()
    if not ServiceSuspension.objects.filter(
        offersubscription__member=member, resumed_at__isnull=True
    ).exists():
        return []
    with transaction.atomic():
        suspensions = list(
            ServiceSuspension.objects.select_for_update(of=("self",))
            .filter(offersubscription__member=member, resumed_at__isnull=True)
            .select_related("offersubscription__offer")
            .order_by("pk")
        )
        if not suspensions or not resumable(member, today):
            return []
        now = timezone.now()
        for suspension in suspensions:
            suspension.resumed_at = now
            suspension.save(update_fields=["resumed_at"])
            subscription = suspension.offersubscription
            # A subscription that ended meanwhile has no service to bring back.
            if subscription.is_running(today):
                _provision(subscription, "resume")
        send_service_resumed_on_commit(member, [suspension.offersubscription for suspension in suspensions])
    return suspensions


def members_with_open_suspensions():
    from coin.members.models import Member

    return Member.objects.filter(
        Exists(
            ServiceSuspension.objects.filter(
                offersubscription__member=OuterRef("pk"), resumed_at__isnull=True
            )
        )
    ).order_by("pk")
