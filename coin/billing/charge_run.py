"""One run of ``charge_subscriptions``: find what to bill, invoice it, say what was done.

The rules live in charging.py. This module reads what it needs in a few bulk
queries (the subscriptions with their offer, member and last billed day), then issues
one invoice per member, by batches of members (issue_batch): each batch is one
transaction, with a fixed number of statements whatever its size. In a batch, every
member's draft and lines are inserted first and the numbers taken last, so a member
whose periods another run billed meanwhile (the unique constraints on InvoiceDetail
refuse the second line) is rolled back whole, to its own savepoint, and reported,
without using a number.

One bad subscription or member never stops the run: a subscription whose periods
cannot be computed (an offer's billing period out of bounds forced into the database,
a block beyond year 9999) or whose lines are out of bounds is reported with its
reason and left out, and the member's other subscriptions are billed; a member whose
invoice cannot be stored is reported and the others are billed.
"""

import datetime
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby, islice

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import DateField, Exists, F, Func, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import formats
from django.utils.translation import gettext as _

from coin.billing.bounds import check_invoice_total
from coin.billing.charging import Period, charge_for
from coin.billing.invoices import Line, check_lines, insert_drafts, number_drafts
from coin.billing.models import Invoice, InvoiceDetail
from coin.offers.models import OfferSubscription


class AddDays(Func):
    """``date + n days`` in SQL, for PostgreSQL and SQLite (which Coin supports)."""

    output_field = DateField()

    def __init__(self, expression, days: int, **extra):
        super().__init__(expression, **extra)
        self.days = int(days)

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} + {self.days})", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.days:+d} days')", params


def subscriptions_to_charge(on: datetime.date) -> QuerySet:
    """Subscriptions that may have something to bill on ``on``, with ``billed_until``
    (last billed day) and ``billed_before`` (any line at all) annotated.

    Left out in SQL: non-billable and free offers, subscriptions not started yet, never
    run, billed through ``on``, or resigned and billed through their last day. What is
    left is decided by charging.charge_for().
    """
    periods = InvoiceDetail.objects.filter(offersubscription=OuterRef("pk"), is_initial_fee=False)
    billed_until = Subquery(
        periods.order_by().values("offersubscription").annotate(last=Max("period_to")).values("last"),
        output_field=DateField(),
    )
    return (
        OfferSubscription.objects.filter(subscription_date__lte=on, offer__non_billable=False)
        .exclude(offer__period_fees=0, offer__initial_fees=0)
        .filter(Q(resign_date__isnull=True) | Q(resign_date__gt=F("subscription_date")))
        .annotate(
            billed_until=billed_until,
            billed_before=Exists(InvoiceDetail.objects.filter(offersubscription=OuterRef("pk"))),
        )
        .filter(Q(billed_until__isnull=True) | Q(billed_until__lt=on))
        .filter(
            Q(resign_date__isnull=True)
            | Q(billed_until__isnull=True)
            | Q(resign_date__gt=AddDays(F("billed_until"), 1))
        )
        .select_related("offer", "member")
        .order_by("member_id", "subscription_date", "pk")
    )


def _day(day: datetime.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def period_line(
    subscription: OfferSubscription, period: Period, day: Callable[[datetime.date], str] = _day
) -> Line:
    offer = subscription.offer
    return Line(
        label=_("%(offer)s (%(reference)s), %(start)s – %(end)s")
        % {
            "offer": offer.name,
            "reference": subscription.reference,
            "start": day(period.start),
            "end": day(period.end),
        },
        amount=offer.period_fees,
        quantity=period.quantity,
        period_from=period.start,
        period_to=period.end,
        offersubscription_id=subscription.pk,
    )


def initial_fees_line(subscription: OfferSubscription) -> Line:
    return Line(
        label=_("%(offer)s (%(reference)s), initial fees")
        % {"offer": subscription.offer.name, "reference": subscription.reference},
        amount=subscription.offer.initial_fees,
        offersubscription_id=subscription.pk,
        is_initial_fee=True,
    )


def lines_for(
    subscription: OfferSubscription, on: datetime.date, day: Callable[[datetime.date], str] = _day
) -> list[Line]:
    offer = subscription.offer
    charge = charge_for(
        subscription_date=subscription.subscription_date,
        resign_date=subscription.resign_date,
        billing_period=offer.billing_period,
        period_fees=offer.period_fees,
        initial_fees=offer.initial_fees,
        non_billable=offer.non_billable,
        on=on,
        billed_until=subscription.billed_until,
        billed_before=subscription.billed_before,
    )
    lines = [initial_fees_line(subscription)] if charge.initial_fees else []
    return lines + [period_line(subscription, period, day) for period in charge.periods]


# A subscription left out of the run, and why.
SubscriptionFailure = tuple[OfferSubscription, str]


@dataclass
class MemberCharge:
    member: object
    lines: list[Line]
    invoice: Invoice | None = None
    # The member's subscriptions that could not be billed (their lines are not in ``lines``).
    failures: list[SubscriptionFailure] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))


def plan(on: datetime.date) -> Iterator[MemberCharge]:
    """What to bill on ``on``, member by member (in member order, so that two runs
    racing meet on the same member and one waits for the other)."""
    # Thousands of lines show the same few dates: each is formatted once per run (a
    # tenth of the run's time otherwise).
    day = functools.cache(_day)
    subscriptions = subscriptions_to_charge(on).iterator(chunk_size=2000)
    for _member_id, group in groupby(subscriptions, key=lambda s: s.member_id):
        group = list(group)
        lines, failures = [], []
        for subscription in group:
            try:
                subscription_lines = lines_for(subscription, on, day)
                check_lines(subscription_lines)
            except (ValueError, OverflowError, ValidationError) as error:
                failures.append((subscription, _reason(error)))
            else:
                lines += subscription_lines
        if lines or failures:
            yield MemberCharge(group[0].member, lines, failures=failures)


def _reason(error: Exception) -> str:
    """An error as one line for the run's report."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return _first_line(error)


# A member not billed, and why (the first line of the database's error).
Reason = tuple[MemberCharge, str]


@dataclass
class RunReport:
    on: datetime.date
    dry_run: bool
    invoices: list[MemberCharge] = field(default_factory=list)
    skipped: list[Reason] = field(default_factory=list)
    failed: list[Reason] = field(default_factory=list)
    failed_subscriptions: list[SubscriptionFailure] = field(default_factory=list)

    @property
    def has_failures(self) -> bool:
        return bool(self.failed or self.failed_subscriptions)

    @property
    def lines(self) -> int:
        return sum(len(charge.lines) for charge in self.invoices)

    @property
    def total(self) -> Decimal:
        return sum((charge.total for charge in self.invoices), Decimal("0"))

    def summary(self) -> str:
        verb = _("would be issued (dry run)") if self.dry_run else _("issued")
        text = _("%(on)s: %(invoices)d invoice(s) %(verb)s, %(lines)d line(s), %(total)s in all") % {
            "on": self.on.isoformat(),
            "invoices": len(self.invoices),
            "verb": verb,
            "lines": self.lines,
            "total": self.total,
        }
        if self.skipped:
            text += _("; %(n)d member(s) skipped (billed meanwhile by another run)") % {
                "n": len(self.skipped)
            }
        if self.failed:
            text += _("; %(n)d member(s) failed") % {"n": len(self.failed)}
        if self.failed_subscriptions:
            text += _("; %(n)d subscription(s) failed") % {"n": len(self.failed_subscriptions)}
        return text + "."


# Members per transaction. Larger batches save little more (the statements per batch are
# already few) and keep the number sequence and the batch's members locked longer, which
# other validations and payments of those members wait for.
BATCH_SIZE = 100


def charge_subscriptions(
    on: datetime.date,
    *,
    dry_run: bool = False,
    progress: Callable[[Iterable[MemberCharge], int], Iterable[MemberCharge]] | None = None,
) -> RunReport:
    """Bill every subscription's unbilled periods up to ``on``: one validated invoice
    per member. Safe to run twice, or twice at once. A subscription or a member that
    cannot be billed is reported (``failed_subscriptions``, ``failed``) and the others
    are billed."""
    report = RunReport(on, dry_run)
    charges = []
    for charge in plan(on):
        report.failed_subscriptions.extend(charge.failures)
        if not charge.lines:
            continue
        try:
            check_invoice_total(charge.total)
        except ValidationError as error:
            report.failed.append((charge, _reason(error)))
        else:
            charges.append(charge)
    iterable = progress(charges, len(charges)) if progress else charges
    if dry_run:
        report.invoices.extend(iterable)
        return report
    iterator = iter(iterable)
    while batch := list(islice(iterator, BATCH_SIZE)):
        issue_batch(batch, on, report)
    return report


def issue_batch(charges: list[MemberCharge], on: datetime.date, report: RunReport) -> None:
    """Issue the invoices of a few members in one transaction, and report each member.

    Drafts and lines first (insert_batch_drafts), numbers last (number_drafts), in one
    transaction: a number is used only by an invoice that commits with its lines, and a
    rollback gives the batch's numbers back together, leaving no gap. If something fails
    after the drafts (a database error while numbering or allocating), the batch is done
    again member by member, each in its own transaction, so that only the member at
    fault is reported as failed. A ValidationError (such as a date before the last
    numbered invoice) stops the run, as it would stop it for any member.
    """
    try:
        with transaction.atomic():
            drafts, skipped, failed = insert_batch_drafts(charges, on)
            number_drafts([(invoice, charge.total) for charge, invoice in drafts])
    except DatabaseError as error:
        if len(charges) == 1:
            report.failed.append((charges[0], _first_line(error)))
        else:
            for charge in charges:
                issue_batch([charge], on, report)
        return
    for charge, invoice in drafts:
        charge.invoice = invoice
        report.invoices.append(charge)
    report.skipped.extend(skipped)
    report.failed.extend(failed)


def insert_batch_drafts(
    charges: list[MemberCharge], on: datetime.date
) -> tuple[list[tuple[MemberCharge, Invoice]], list[Reason], list[Reason]]:
    """Insert the drafts and lines of a batch; returns (drafts, skipped, failed).

    All at once in the usual case: two INSERTs in a savepoint. If the database refuses
    them (another run billed some of these periods, or a line it cannot store), the
    savepoint is rolled back and each member tried alone in a savepoint of their own: a
    member whose periods are billed already is skipped, one whose lines fail otherwise is
    failed, and neither holds back the others nor has taken a number.
    """
    try:
        with transaction.atomic():
            invoices = insert_drafts(
                [(charge.member, charge.lines) for charge in charges], on, lines_checked=True
            )
        return list(zip(charges, invoices, strict=True)), [], []
    except DatabaseError:
        pass
    drafts, skipped, failed = [], [], []
    for charge in charges:
        try:
            with transaction.atomic():
                [invoice] = insert_drafts([(charge.member, charge.lines)], on, lines_checked=True)
        except IntegrityError as error:
            # Another run billed (some of) these periods first: its invoice stands.
            skipped.append((charge, _first_line(error)))
        except DatabaseError as error:
            failed.append((charge, _first_line(error)))
        except ValidationError as error:  # lines out of bounds (checked when planned already)
            failed.append((charge, _reason(error)))
        else:
            drafts.append((charge, invoice))
    return drafts, skipped, failed


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [repr(error)])[0]
