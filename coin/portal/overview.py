"""The admin's overview (the admin index): key figures of today, and the same figures
month by month over the last year, each linking to the admin list it counts.

Every figure is one aggregate query, whatever the number of members or months (the
monthly values are filtered sums of one query), so the index costs the same for an
ISP of 50 or 50,000 members (tests/test_admin_overview.py holds the budget).

Over time, "members" counts those whose membership fee covered the day (the fees are
dated; a member's status is not), "subscribers" the members with a subscription
running that day, "monthly recurring revenue" what their running subscriptions bring
per month at today's prices, and "unpaid" what validated invoices dated up to then
still asked then (less credit notes dated and payments received by then).
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from coin.billing.ledger import with_amounts
from coin.billing.models import CreditNote, Invoice, PaymentAllocation
from coin.billing.money import round_money
from coin.charts import Point, line_svg
from coin.dates import add_months
from coin.members.models import Member, MembershipFee
from coin.offers.models import OfferSubscription, SubscriptionRequest
from coin.provisioning.models import ProvisioningJob

ZERO = Decimal("0.00")
MONTHS = 12


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    url: str
    alert: bool = False  # something needs an admin (pending requests, failed jobs)


@dataclass(frozen=True)
class Chart:
    label: str
    url: str
    svg: SafeString


def admin_list(name: str, **filters: str) -> str:
    """The URL of an admin changelist with its filters in the query string."""
    url = reverse(f"admin:{name}_changelist")
    if filters:
        url += "?" + "&".join(f"{key}={value}" for key, value in filters.items())
    return url


def euros(amount: Decimal) -> str:
    return f"{number_format(amount, 2, force_grouping=True)} €"


def chart_days(today: datetime.date, months: int = MONTHS) -> list[datetime.date]:
    """The first day of each of the last ``months`` months (this one included), then
    today: ``months`` + 1 points, today's the same as the key figures'."""
    first = today.replace(day=1)
    return [add_months(first, -k) for k in range(months - 1, -1, -1) if add_months(first, -k) < today] + [
        today
    ]


def monthly_price() -> ExpressionWrapper:
    """A subscription's share of its offer's fees per month (0 for a non-billable offer)."""
    return ExpressionWrapper(
        F("offer__period_fees") / F("offer__billing_period"),
        output_field=DecimalField(max_digits=12, decimal_places=4),
    )


def billable_subscriptions() -> QuerySet[OfferSubscription]:
    return OfferSubscription.objects.filter(offer__non_billable=False)


def _running_on(day: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}subscription_date__lte": day}) & (
        Q(**{f"{prefix}resign_date__isnull": True}) | Q(**{f"{prefix}resign_date__gt": day})
    )


def _money(value) -> Decimal:
    return round_money(Decimal(value or 0))


def members_over_time(days: Sequence[datetime.date]) -> list[int]:
    """Members whose fee covered each day (one query)."""
    row = MembershipFee.objects.aggregate(
        **{
            f"d{n}": Count("member", distinct=True, filter=Q(start_date__lte=day, end_date__gte=day))
            for n, day in enumerate(days)
        }
    )
    return [row[f"d{n}"] for n in range(len(days))]


def subscribers_over_time(days: Sequence[datetime.date]) -> list[int]:
    """Members with a subscription running on each day (one query)."""
    row = OfferSubscription.objects.aggregate(
        **{f"d{n}": Count("member", distinct=True, filter=_running_on(day)) for n, day in enumerate(days)}
    )
    return [row[f"d{n}"] for n in range(len(days))]


def recurring_revenue_over_time(days: Sequence[datetime.date]) -> list[Decimal]:
    """Monthly recurring revenue of the subscriptions running on each day, at today's
    prices (one query)."""
    row = billable_subscriptions().aggregate(
        **{f"d{n}": Sum(monthly_price(), filter=_running_on(day)) for n, day in enumerate(days)}
    )
    return [_money(row[f"d{n}"]) for n in range(len(days))]


def unpaid_over_time(days: Sequence[datetime.date]) -> list[Decimal]:
    """What validated invoices still asked on each day (three queries)."""

    def sums(queryset: QuerySet, field: str, dated: str, also: str | None = None) -> list[Decimal]:
        def on(day: datetime.date) -> Q:
            q = Q(**{f"{dated}__lte": day})
            return q & Q(**{f"{also}__lte": day}) if also else q

        row = queryset.aggregate(**{f"d{n}": Sum(field, filter=on(day)) for n, day in enumerate(days)})
        return [_money(row[f"d{n}"]) for n in range(len(days))]

    invoiced = sums(Invoice.objects.validated(), "total", "date")
    credited = sums(CreditNote.objects.filter(validated_at__isnull=False), "amount", "date")
    paid = sums(
        PaymentAllocation.objects.filter(invoice__validated_at__isnull=False),
        "amount",
        "payment__date",
        also="invoice__date",
    )
    return [max(i - c - p, ZERO) for i, c, p in zip(invoiced, credited, paid, strict=True)]


def unpaid_total() -> Decimal:
    """What members must still pay today: the remainder of every invoice to pay."""
    open_invoices = with_amounts(Invoice.objects.validated().filter(status=Invoice.Status.OPEN))
    return _money(open_invoices.filter(remaining__gt=0).aggregate(s=Sum("remaining"))["s"])


def key_figures(today: datetime.date) -> list[Figure]:
    """Today's figures, each with the admin list it counts (six queries)."""
    by_status = dict(Member.objects.values_list("status").annotate(n=Count("pk")).order_by())
    figures = [
        Figure(str(label), str(by_status.get(status, 0)), admin_list("members_member", status__exact=status))
        for status, label in Member.Status.choices
    ]
    running = OfferSubscription.objects.running(today)
    subscribers = running.values("member").distinct().count()
    revenue = _money(running.filter(offer__non_billable=False).aggregate(s=Sum(monthly_price()))["s"])
    pending = SubscriptionRequest.objects.filter(state=SubscriptionRequest.State.PENDING).count()
    failed = ProvisioningJob.objects.filter(state=ProvisioningJob.State.FAILED).count()
    return [
        *figures,
        Figure(
            str(_("subscribers")), str(subscribers), admin_list("offers_offersubscription", running="yes")
        ),
        Figure(
            str(_("monthly recurring revenue")),
            euros(revenue),
            admin_list("offers_offersubscription", running="yes"),
        ),
        Figure(str(_("unpaid")), euros(unpaid_total()), admin_list("billing_invoice", status__exact="open")),
        Figure(
            str(_("pending subscription requests")),
            str(pending),
            admin_list("offers_subscriptionrequest", state__exact="pending"),
            alert=pending > 0,
        ),
        Figure(
            str(_("failed provisioning jobs")),
            str(failed),
            admin_list("provisioning_provisioningjob", state__exact="failed"),
            alert=failed > 0,
        ),
    ]


def charts(today: datetime.date) -> list[Chart]:
    """The four figures over the last year (six queries)."""
    days = chart_days(today)
    labels = [date_format(day, "SHORT_DATE_FORMAT") for day in days]

    def chart(label, values, text, url) -> Chart:
        points = [Point(day, value, text(value)) for day, value in zip(labels, values, strict=True)]
        return Chart(str(label), url, line_svg(points, str(label)))

    return [
        chart(
            _("Members (fee up to date)"),
            members_over_time(days),
            str,
            admin_list("members_member", status__exact="member"),
        ),
        chart(
            _("Subscribers"),
            subscribers_over_time(days),
            str,
            admin_list("offers_offersubscription", running="yes"),
        ),
        chart(
            _("Monthly recurring revenue"),
            recurring_revenue_over_time(days),
            euros,
            admin_list("offers_offersubscription", running="yes"),
        ),
        chart(
            _("Unpaid"), unpaid_over_time(days), euros, admin_list("billing_invoice", status__exact="open")
        ),
    ]


def overview(today: datetime.date | None = None) -> dict:
    """The context of the admin index's overview."""
    today = today or timezone.localdate()
    return {"figures": key_figures(today), "charts": charts(today), "today": today}
