"""One run of ``charge_subscriptions``: find what to bill, invoice it, say what was done.

The rules live in charging.py. This module streams what to bill, member by member, from
pages of subscriptions (subscriptions_to_charge, read PAGE_SIZE at a time in member
order, with their offer, member and last billed day), and issues one invoice per
member, by batches of members (issue_batch): each batch is one transaction, with a
fixed number of statements whatever its size. Nothing grows with the number of
members but counters: a run of 100,000 members holds one page and one batch at a
time (the report keeps the issued invoices only when asked, ``keep_invoices``).

In a batch, every member's draft and lines are inserted first and the numbers taken
last, so a member whose periods another run billed meanwhile (the unique constraints
on InvoiceDetail refuse the second line) is rolled back whole, to its own savepoint,
and reported, without using a number.

One bad subscription or member never stops the run: a subscription whose periods
cannot be computed (an offer's billing period out of bounds forced into the database,
a block beyond year 9999) or whose lines are out of bounds is reported with its
reason and left out, and the member's other subscriptions are billed; a member whose
invoice cannot be stored is reported and the others are billed.
"""

import contextlib
import datetime
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import DateField, Exists, F, Func, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Least
from django.utils import formats
from django.utils.translation import gettext as _

from coin.billing.bounds import check_invoice_total
from coin.billing.charging import Period, SubscriptionCharge, charge_for
from coin.billing.invoices import Line, check_lines, insert_drafts, number_drafts
from coin.billing.models import Invoice, InvoiceDetail
from coin.members.models import Member
from coin.offers.models import Offer, OfferSubscription

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class AddDays(Func):
    """``date + n days`` in SQL, for PostgreSQL and SQLite (which Coin supports)."""

    output_field = DateField()

    def __init__(self, expression, days: int, **extra):
        super().__init__(expression, **extra)
        self.days = int(days)

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} + {self.days})", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.days:+d} days')", params


# What a charge run reads of a member: its id (for the invoice) and its username (for
# the command's report). The other columns are left in the database (a deferred field
# is read if something asks for it).
MEMBER_FIELDS = ("id", "username")


class BilledDates(TypedDict):
    """What ``subscriptions_to_charge()`` annotates each subscription with."""

    billed_until: datetime.date | None
    billed_before: bool


def subscriptions_to_charge(on: datetime.date) -> QuerySet:
    """Subscriptions that may have something to bill on ``on``, with ``billed_until``
    (last billed day) and ``billed_before`` (any line at all) annotated, in member order.

    Left out in SQL: non-billable and free offers, subscriptions not started yet, never
    run, and those billed through their last day to bill (``on``, or the day before
    their resign date when that is earlier: one NOT EXISTS). What is left is decided by
    charging.charge_for().
    """
    lines = InvoiceDetail.objects.filter(offersubscription=OuterRef("pk"))
    periods = lines.filter(is_initial_fee=False)
    billed_until = Subquery(
        periods.order_by().values("offersubscription").annotate(last=Max("period_to")).values("last"),
        output_field=DateField(),
    )
    day = Value(on, output_field=DateField())
    last_day_to_bill = Least(day, Coalesce(AddDays(OuterRef("resign_date"), -1), day))
    member_deferred = [
        f"member__{f.name}" for f in Member._meta.concrete_fields if f.name not in MEMBER_FIELDS
    ]
    return (
        OfferSubscription.objects.filter(subscription_date__lte=on, offer__non_billable=False)
        .exclude(offer__period_fees=0, offer__initial_fees=0)
        .filter(Q(resign_date__isnull=True) | Q(resign_date__gt=F("subscription_date")))
        .filter(~Exists(periods.filter(period_to__gte=last_day_to_bill)))
        .annotate(billed_until=billed_until, billed_before=Exists(lines))
        .select_related("offer", "member")
        .defer(*member_deferred)
        .order_by("member_id", "subscription_date", "pk")
    )


# Kinds of subscription (dates, offer, last billed day) whose charge a run remembers.
CHARGE_CACHE_SIZE = 4096

# Subscriptions read per query. A page is a few hundred kilobytes whatever the number of
# members; larger pages save little (a query per page).
PAGE_SIZE = 2000


def subscription_pages(
    on: datetime.date, page_size: int | None = None
) -> "Iterator[list[WithAnnotations[OfferSubscription, BilledDates]]]":
    """subscriptions_to_charge(on), a page at a time, each page holding all the
    subscriptions of its members (keyset pages on the member: ``member_id > last``, so
    each query is as cheap as the first, and nothing is held between pages: no cursor
    stays open, no transaction lasts the run).

    A page that stops in the middle of a member's subscriptions gives that member to the
    next page; a member with more subscriptions than a page is read on their own.
    """
    size = page_size or PAGE_SIZE
    # The few offers are read once per run and shared, not joined to every row: one
    # object per offer instead of one per subscription.
    query = subscriptions_to_charge(on).select_related(None).select_related("member")
    offers: dict[int, Offer] = {}
    after = None
    while True:
        page = _read((query if after is None else query.filter(member_id__gt=after))[:size], offers)
        if len(page) < size:
            if page:
                yield page
            return
        last = page[-1].member_id
        complete = [subscription for subscription in page if subscription.member_id != last]
        yield complete or _read(query.filter(member_id=last), offers)
        after = complete[-1].member_id if complete else last


def _read(
    query: QuerySet, offers: dict[int, Offer]
) -> "list[WithAnnotations[OfferSubscription, BilledDates]]":
    with without_jit():
        page = list(query)
    missing = {subscription.offer_id for subscription in page} - offers.keys()
    if missing:
        offers.update(Offer.objects.in_bulk(missing))
    cache_offer = OfferSubscription.offer.field.set_cached_value
    for subscription in page:
        cache_offer(subscription, offers[subscription.offer_id])
    return page


@contextlib.contextmanager
def without_jit() -> Iterator[None]:
    """Run the queries inside without JIT compilation on PostgreSQL (in a transaction
    of their own, or the caller's). The planner asks for it by the estimated cost of
    the correlated subqueries of subscriptions_to_charge (one probe of an index per
    subscription), and compiling then costs more than the query: 0.6 s of the 0.7 s of
    reading 10,000 subscriptions."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


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
    subscription: "WithAnnotations[OfferSubscription, BilledDates]",
    on: datetime.date,
    day: Callable[[datetime.date], str] = _day,
    charge_for: Callable[..., SubscriptionCharge] = charge_for,
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
    member: Member
    lines: list[Line]
    invoice: Invoice | None = None
    # The member's subscriptions that could not be billed (their lines are not in ``lines``).
    failures: list[SubscriptionFailure] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))


def plan(on: datetime.date) -> Iterator[MemberCharge]:
    """What to bill on ``on``, member by member (in member order, so that two runs
    racing meet on the same member and one waits for the other), streamed page by page
    (subscription_pages)."""
    # Thousands of lines show the same few dates: each is formatted once per run (a
    # tenth of the run's time otherwise). Thousands of subscriptions share their dates,
    # offer and last billed day too: what to bill is worked out once for each such
    # kind (charge_for is a pure function of them), in a bounded cache.
    day = functools.cache(_day)
    charge = functools.lru_cache(maxsize=CHARGE_CACHE_SIZE)(charge_for)
    check = LineChecks()
    for page in subscription_pages(on):
        for _member_id, group in groupby(page, key=lambda s: s.member_id):
            subscriptions = list(group)
            lines: list[Line] = []
            failures: list[SubscriptionFailure] = []
            for subscription in subscriptions:
                try:
                    subscription_lines = lines_for(subscription, on, day, charge)
                    check(subscription_lines)
                except (ValueError, OverflowError, ValidationError) as error:
                    failures.append((subscription, _reason(error)))
                else:
                    lines += subscription_lines
            if lines or failures:
                yield MemberCharge(subscriptions[0].member, lines, failures=failures)


class LineChecks:
    """invoices.check_lines(), once per kind of subscription: the bounds depend only on
    each line's amount, quantity and tax (their digits included) and on whether its
    period is in order, and a run's thousands of subscriptions have a few such kinds
    (an offer's price, its full and prorated quantities). Lines that fail are checked
    each time, so that the error names their own dates."""

    def __init__(self) -> None:
        self.passed: set[tuple] = set()

    def __call__(self, lines: list[Line]) -> None:
        kind = tuple(
            (
                str(line.amount),
                str(line.quantity),
                str(line.tax),
                line.period_from is None or line.period_to is None or line.period_from <= line.period_to,
            )
            for line in lines
        )
        if kind not in self.passed:
            check_lines(lines)
            self.passed.add(kind)


def _reason(error: Exception) -> str:
    """An error as one line for the run's report."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return _first_line(error)


# A member not billed, and why (the first line of the database's error).
Reason = tuple[MemberCharge, str]


@dataclass
class RunReport:
    """What a run did. ``issued``, ``lines`` and ``total`` count every invoice issued
    (planned, in a dry run); ``invoices`` lists them only when the run was asked to keep
    them (``keep_invoices``), so that a run's memory does not grow with its members.
    Skipped and failed members and failed subscriptions are always listed (they are few,
    and each needs a look)."""

    on: datetime.date
    dry_run: bool
    keep_invoices: bool = False
    issued: int = 0
    lines: int = 0
    total: Decimal = Decimal("0")
    invoices: list[MemberCharge] = field(default_factory=list)
    skipped: list[Reason] = field(default_factory=list)
    failed: list[Reason] = field(default_factory=list)
    failed_subscriptions: list[SubscriptionFailure] = field(default_factory=list)
    on_issued: Callable[[MemberCharge], None] | None = None

    @property
    def has_failures(self) -> bool:
        return bool(self.failed or self.failed_subscriptions)

    def add_issued(self, charge: MemberCharge) -> None:
        """Count an invoice issued (or planned, in a dry run) and tell ``on_issued``."""
        self.issued += 1
        self.lines += len(charge.lines)
        self.total += charge.total
        if self.keep_invoices:
            self.invoices.append(charge)
        if self.on_issued is not None:
            self.on_issued(charge)

    def summary(self) -> str:
        verb = _("would be issued (dry run)") if self.dry_run else _("issued")
        text = _("%(on)s: %(invoices)d invoice(s) %(verb)s, %(lines)d line(s), %(total)s in all") % {
            "on": self.on.isoformat(),
            "invoices": self.issued,
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


# Members per transaction. A batch costs a fixed number of statements (about ten) and a
# few milliseconds of Python whatever its size, so larger batches cost less per member;
# but a batch keeps the number sequence and its members locked until it commits (about
# a tenth of a second for 500), which other validations and payments of those members
# wait for.
BATCH_SIZE = 500


def charge_subscriptions(
    on: datetime.date,
    *,
    dry_run: bool = False,
    progress: Callable[[Iterable[MemberCharge], int], Iterable[MemberCharge]] | None = None,
    keep_invoices: bool = False,
    on_issued: Callable[[MemberCharge], None] | None = None,
) -> RunReport:
    """Bill every subscription's unbilled periods up to ``on``: one validated invoice
    per member. Safe to run twice, or twice at once. A subscription or a member that
    cannot be billed is reported (``failed_subscriptions``, ``failed``) and the others
    are billed.

    Members are streamed: planned a page at a time, issued a batch at a time, each
    batch committed before the next is planned. ``on_issued`` hears of each invoice
    once its batch committed (of each planned invoice, in a dry run); ``keep_invoices``
    lists them in the report too. ``progress`` wraps the members planned, with their
    number (counted first, one more query, only when it is given).
    """
    report = RunReport(on, dry_run, keep_invoices=keep_invoices, on_issued=on_issued)
    charges: Iterable[MemberCharge] = plan(on)
    if progress:
        charges = progress(charges, count_members_to_charge(on))
    batch: list[MemberCharge] = []
    for charge in charges:
        report.failed_subscriptions.extend(charge.failures)
        if not charge.lines:
            continue
        try:
            check_invoice_total(charge.total)
        except ValidationError as error:
            report.failed.append((charge, _reason(error)))
            continue
        if dry_run:
            report.add_issued(charge)
            continue
        batch.append(charge)
        if len(batch) >= BATCH_SIZE:
            issue_batch(batch, on, report)
            batch = []
    if batch:
        issue_batch(batch, on, report)
    return report


def count_members_to_charge(on: datetime.date) -> int:
    """How many members a run on ``on`` plans (at most: some may turn out to have
    nothing to bill), for a progress bar."""
    with without_jit():
        return subscriptions_to_charge(on).order_by().values("member_id").distinct().count()


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
        report.add_issued(charge)
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
