"""charge_subscriptions by batches of members: a query budget that does not grow with
the members, and the guarantees kept across and inside batches (gapless numbers in
member order, skipped and failed members isolated, credit allocated, documents told).
"""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from coin.billing import charge_run, documents
from coin.billing.charge_run import charge_subscriptions
from coin.billing.invoices import Line, issue_invoice
from coin.billing.models import Invoice, InvoiceDetail, NumberSequence, PaymentAllocation
from coin.billing.numbering import INVOICE_SERIES, ChronologyError, next_numbers
from coin.billing.payments import record_payment
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ON = "2025-03-01"


@pytest.fixture
def subscribers(db, vpn):
    """``subscribers(n)``: n new members, each with the monthly VPN from March 1st (one
    invoice of one line each on March 1st), in member order."""
    from coin.members.models import Member
    from coin.offers.models import OfferSubscription

    created = {"n": 0}

    def make(count: int) -> list:
        first = created["n"]
        created["n"] += count
        people = [
            Member(username=f"subscriber{i:04d}", last_name=f"Subscriber {i}", status=Member.Status.MEMBER)
            for i in range(first, first + count)
        ]
        for person in people:
            person.set_unusable_password()
        Member.objects.bulk_create(people)
        people = list(Member.objects.filter(username__in=[p.username for p in people]).order_by("pk"))
        OfferSubscription.objects.bulk_create(
            [OfferSubscription(member=person, offer=vpn, subscription_date=d(ON)) for person in people]
        )
        return people

    return make


def numbers_by_member() -> list[tuple[int, str]]:
    return list(Invoice.objects.order_by("member_id").values_list("member_id", "number"))


def assert_gapless_in_member_order(count: int) -> None:
    numbers = [number for _member, number in numbers_by_member()]
    assert numbers == [f"2025-03-{n:06d}" for n in range(1, count + 1)]
    assert NumberSequence.objects.get(series=INVOICE_SERIES, year=2025).last_value == count


# --- Query budget ---------------------------------------------------------------------------


def charge_queries(on: str = ON) -> tuple[int, charge_run.RunReport]:
    with CaptureQueriesContext(connection) as queries:
        report = charge_subscriptions(d(on))
    return len(queries), report


def test_the_queries_of_a_run_do_not_grow_with_the_members(subscribers):
    """A run costs a few statements per batch of BATCH_SIZE members and none per member:
    at most a constant plus 0.2 query per member (about 0.15 as written). Issuing one
    invoice per member in its own transaction cost 12 queries per member."""
    subscribers(250)
    count, report = charge_queries()
    assert report.issued == 250 and not report.skipped and not report.failed
    assert count <= 10 + 250 * 0.2, count
    assert_gapless_in_member_order(250)


def test_members_with_credit_cost_only_their_own_allocation(subscribers):
    """Looking for credit is one query per batch; only a member who has money waiting
    pays for allocate() (a handful of queries)."""
    people = subscribers(60)
    payers = people[10:13]
    for person in payers:
        record_payment(person, Decimal("25.00"), date=d("2025-02-20"))
    count, report = charge_queries()
    assert report.issued == 60
    assert count <= 10 + 60 * 0.2 + 10 * len(payers), count
    paid = set(PaymentAllocation.objects.values_list("invoice__member", flat=True))
    assert paid == {person.pk for person in payers}
    statuses = dict(Invoice.objects.values_list("member", "status"))
    assert {pk for pk, status in statuses.items() if status == Invoice.Status.CLOSED} == paid


def test_a_day_with_nothing_to_bill_is_a_couple_of_queries(subscribers):
    subscribers(120)
    charge_subscriptions(d(ON))
    count, report = charge_queries("2025-03-02")
    assert not report.issued and count <= 2


# --- Batches --------------------------------------------------------------------------------


def test_numbers_follow_the_members_across_batches(subscribers, monkeypatch):
    monkeypatch.setattr(charge_run, "BATCH_SIZE", 3)
    subscribers(8)
    report = charge_subscriptions(d(ON), keep_invoices=True)
    assert [charge.invoice.number for charge in report.invoices] == [f"2025-03-{n:06d}" for n in range(1, 9)]
    assert_gapless_in_member_order(8)
    stored = Invoice.objects.get(number="2025-03-000008")
    assert (stored.total, stored.date_due, stored.status) == (Decimal("10.00"), d("2025-03-31"), "open")
    assert stored.is_validated and stored.details.count() == 1


def test_different_totals_in_one_batch(member_factory, vpn, offer_factory, subscribe):
    free = offer_factory(period_fees=Decimal("0"), initial_fees=Decimal("3"))
    people = [member_factory() for _ in range(3)]
    subscribe(people[0], vpn, "2025-02-15")  # 14/28 of February, and March
    subscribe(people[1], vpn, ON)
    subscribe(people[2], free, ON)
    charge_subscriptions(d(ON))
    assert [
        (number, total, status)
        for number, total, status in Invoice.objects.order_by("number").values_list(
            "number", "total", "status"
        )
    ] == [
        ("2025-03-000001", Decimal("15.00"), "open"),
        ("2025-03-000002", Decimal("10.00"), "open"),
        ("2025-03-000003", Decimal("3.00"), "open"),
    ]


def billed_by_another_run(person) -> Invoice:
    """A draft holding ``person``'s March line, as another run would have it while ours
    runs (planned before it, see test_charge_command)."""
    from coin.offers.models import OfferSubscription

    invoice = Invoice.objects.create(member=person, date=d(ON))
    InvoiceDetail.objects.create(
        invoice=invoice,
        label="March",
        amount=Decimal("10"),
        period_from=d(ON),
        period_to=d("2025-03-31"),
        offersubscription=OfferSubscription.objects.get(member=person),
    )
    return invoice


def test_a_member_billed_meanwhile_in_the_middle_of_a_batch_uses_no_number(subscribers, monkeypatch):
    """The batch's single INSERT of lines is refused; then each member is tried in a
    savepoint of their own: only the member billed meanwhile is skipped."""
    monkeypatch.setattr(charge_run, "BATCH_SIZE", 4)
    people = subscribers(6)
    planned = list(charge_run.plan(d(ON)))
    taken = people[2]
    other_runs_draft = billed_by_another_run(taken)
    monkeypatch.setattr(charge_run, "plan", lambda on: iter(planned))
    report = charge_subscriptions(d(ON), keep_invoices=True)
    billed = [person for person in people if person != taken]
    assert [charge.member for charge, _reason in report.skipped] == [taken]
    assert [charge.member for charge in report.invoices] == billed
    assert not report.failed
    assert list(Invoice.objects.validated().order_by("number").values_list("member", "number")) == [
        (person.pk, f"2025-03-{n:06d}") for n, person in enumerate(billed, start=1)
    ]
    # Our draft for that member was rolled back with its savepoint; the other run's stays.
    assert list(Invoice.objects.drafts()) == [other_runs_draft]


def test_a_member_whose_lines_fail_is_reported_and_the_others_billed(subscribers, monkeypatch):
    monkeypatch.setattr(charge_run, "BATCH_SIZE", 4)
    people = subscribers(5)
    bad = people[1]
    insert_drafts = charge_run.insert_drafts

    def refusing(bills, on, **kwargs):
        if any(member == bad for member, _lines in bills):
            raise DatabaseError("value too long")
        return insert_drafts(bills, on, **kwargs)

    monkeypatch.setattr(charge_run, "insert_drafts", refusing)
    report = charge_subscriptions(d(ON), keep_invoices=True)
    assert [(charge.member, reason) for charge, reason in report.failed] == [(bad, "value too long")]
    assert [charge.member for charge in report.invoices] == [p for p in people if p != bad]
    assert_gapless_in_member_order(4)


def test_a_failure_while_numbering_retries_the_batch_member_by_member(subscribers, monkeypatch):
    """A database error after the drafts rolls the whole batch back (its numbers too);
    the batch is done again one member per transaction, so that only the member at fault
    fails and the numbers stay gapless."""
    monkeypatch.setattr(charge_run, "BATCH_SIZE", 10)
    people = subscribers(4)
    bad = people[2]
    told = []

    def on_invoices_validated(invoices):
        if any(invoice.member_id == bad.pk for invoice in invoices):
            raise DatabaseError("could not serialize access")
        told.extend(invoice.member_id for invoice in invoices)

    monkeypatch.setattr(documents, "on_invoices_validated", on_invoices_validated)
    report = charge_subscriptions(d(ON), keep_invoices=True)
    assert [charge.member for charge, _reason in report.failed] == [bad]
    assert [charge.member for charge in report.invoices] == [p for p in people if p != bad]
    assert_gapless_in_member_order(3)
    assert not Invoice.objects.filter(member=bad).exists()
    assert told[-3:] == [p.pk for p in people if p != bad]  # the retried, committed ones


def test_the_documents_part_hears_of_each_batch_inside_its_transaction(subscribers, monkeypatch):
    """Once per batch, with its invoices: one call queues two tasks for the batch."""
    monkeypatch.setattr(charge_run, "BATCH_SIZE", 2)
    subscribers(5)
    seen = []

    def record(invoices):
        seen.append(([invoice.number for invoice in invoices], transaction.get_connection().in_atomic_block))

    monkeypatch.setattr(documents, "on_invoices_validated", record)
    charge_subscriptions(d(ON))
    numbers = [f"2025-03-{n:06d}" for n in range(1, 6)]
    assert seen == [(numbers[0:2], True), (numbers[2:4], True), (numbers[4:], True)]


def test_a_date_before_the_last_invoice_stops_the_run_in_its_first_batch(subscribers, member, invoice_for):
    invoice_for(member, "5", "2025-03-10")
    subscribers(3)
    with pytest.raises(ChronologyError):
        charge_subscriptions(d("2025-03-05"))
    assert Invoice.objects.count() == 1


def test_drafts_are_inserted_one_by_one_where_bulk_inserts_return_no_ids(subscribers, monkeypatch):
    """SQLite before 3.35 gives no ids back from a bulk INSERT."""
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    subscribers(3)
    report = charge_subscriptions(d(ON), keep_invoices=True)
    assert len(report.invoices) == 3
    assert_gapless_in_member_order(3)
    assert InvoiceDetail.objects.filter(invoice__validated_at__isnull=False).count() == 3


# --- Numbers taken by batch -----------------------------------------------------------------


def test_next_numbers_takes_consecutive_numbers_and_a_rollback_gives_them_all_back(member, invoice_for):
    invoice_for(member, "10", "2025-03-01")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_numbers(INVOICE_SERIES, d("2025-03-02"), 3) == [
            "2025-03-000002",
            "2025-03-000003",
            "2025-03-000004",
        ]
        raise RuntimeError("the batch failed")
    assert NumberSequence.objects.get(series=INVOICE_SERIES, year=2025).last_value == 1
    assert invoice_for(member, "10", "2025-03-02").number == "2025-03-000002"


def test_next_numbers_refuses_an_earlier_date_and_starts_each_year(member, invoice_for):
    invoice_for(member, "10", "2025-03-10")
    with transaction.atomic():
        with pytest.raises(ChronologyError, match="2025-03-10"):
            next_numbers(INVOICE_SERIES, d("2025-03-09"), 2)
        assert next_numbers(INVOICE_SERIES, d("2026-01-01"), 2) == ["2026-01-000001", "2026-01-000002"]
    assert NumberSequence.objects.get(series=INVOICE_SERIES, year=2025).last_value == 1


def test_a_single_invoice_still_costs_few_queries(member, invoice_for):
    invoice_for(member, "10", ON)  # the year's sequence row exists
    with CaptureQueriesContext(connection) as queries:
        issue_invoice(member, [Line("x", Decimal("1"))], d(ON))
    # savepoint, invoice, line, lock the member, take the number (2), validate, look for
    # credit, release: 12 before
    assert len(queries) <= 9, [q["sql"] for q in queries]


# --- Streaming: pages of subscriptions, batches of members, nothing kept per member ---------


def test_a_page_holds_all_the_subscriptions_of_its_members(
    member_factory, offer_factory, subscribe, monkeypatch
):
    """Pages of 3 subscriptions: a member cut by the end of a page goes whole to the next
    one, a member with more subscriptions than a page is read on their own; every
    subscription comes once, in member order, and the plan is the one of a single page."""
    offers = [offer_factory() for _ in range(5)]
    counts = [2, 4, 1, 2, 3, 1]  # subscriptions per member
    people = [member_factory() for _ in counts]
    for person, count in zip(people, counts, strict=True):
        for offer in offers[:count]:
            subscribe(person, offer, "2025-03-01")
    whole = [(c.member, [line.label for line in c.lines]) for c in charge_run.plan(d(ON))]
    monkeypatch.setattr(charge_run, "PAGE_SIZE", 3)
    pages = [[s.member_id for s in page] for page in charge_run.subscription_pages(d(ON))]
    assert [member for page in pages for member in page] == [
        person.pk for person, count in zip(people, counts, strict=True) for _ in range(count)
    ]
    for page in pages:
        others = [member for other in pages if other is not page for member in other]
        assert not set(page) & set(others), pages  # no member on two pages
    assert [(c.member, [line.label for line in c.lines]) for c in charge_run.plan(d(ON))] == whole
    report = charge_subscriptions(d(ON))
    assert (report.issued, report.lines) == (len(people), sum(counts))


def test_statements_per_batch_are_a_constant(subscribers, member, invoice_for, monkeypatch):
    """Each batch costs the same few statements whatever its size (savepoints, two
    INSERTs, the member locks, two for the number, one UPDATE, the look for credit,
    the release), and the run reads its subscriptions in a statement or two per page."""
    invoice_for(member, "5", ON)  # the year's number sequence exists: every batch takes the same path
    monkeypatch.setattr(charge_run, "BATCH_SIZE", 5)
    subscribers(20)
    with CaptureQueriesContext(connection) as queries:
        report = charge_subscriptions(d(ON))
    assert report.issued == 20
    sql = [query["sql"] for query in queries]
    starts = [i for i, text in enumerate(sql) if text.startswith('INSERT INTO "billing_invoice" ')]
    assert len(starts) == 4  # one INSERT of drafts per batch
    cycles = {b - a for a, b in zip(starts, starts[1:], strict=False)}
    assert len(cycles) == 1, [sql[a:b] for a, b in zip(starts, starts[1:], strict=False)]
    per_batch = cycles.pop()
    assert per_batch <= 11, sql[starts[0] : starts[1]]
    reads = len(sql) - 4 * per_batch
    assert reads <= 3, sql  # the page: SET LOCAL jit, SELECT (PostgreSQL)


def test_a_run_keeps_nothing_per_member_unless_asked(subscribers, monkeypatch):
    monkeypatch.setattr(charge_run, "BATCH_SIZE", 3)
    subscribers(7)
    heard = []
    report = charge_subscriptions(d(ON), on_issued=heard.append)
    assert report.invoices == [] and (report.issued, report.lines, report.total) == (7, 7, Decimal("70.00"))
    assert [charge.invoice.number for charge in heard] == [f"2025-03-{n:06d}" for n in range(1, 8)]
    assert "7 invoice(s) issued, 7 line(s), 70.00 in all" in report.summary()


def test_a_dry_run_streams_what_it_would_bill(subscribers):
    people = subscribers(4)
    heard = []
    report = charge_subscriptions(d(ON), dry_run=True, on_issued=heard.append)
    assert [charge.member for charge in heard] == people and all(c.invoice is None for c in heard)
    assert report.issued == 4 and report.invoices == []
    assert not Invoice.objects.exists()


def test_the_progress_bar_is_told_how_many_members_are_planned(subscribers, member, vpn, subscribe):
    subscribers(6)
    subscribe(member, vpn, "2025-04-01")  # not started yet: not counted
    told = []

    def progress(items, total):
        told.append(total)
        yield from items

    report = charge_subscriptions(d(ON), progress=progress)
    assert told == [6] and report.issued == 6


def test_the_filter_in_sql_leaves_out_exactly_what_has_nothing_to_bill(member_factory, vpn, subscribe):
    """subscriptions_to_charge() keeps a subscription unless it is billed through its
    last day to bill: ``on``, or the day before its resign date when earlier."""
    from coin.offers.models import OfferSubscription

    cases = [  # (resign date, billed until, kept on March 1st)
        (None, None, True),
        (None, "2025-02-28", True),
        (None, "2025-03-31", False),
        ("2025-03-01", "2025-02-28", False),  # last running day billed
        ("2025-03-02", "2025-02-28", True),  # March 1st still to bill
        ("2025-02-15", None, True),
        ("2025-02-15", "2025-02-13", True),
        ("2025-02-15", "2025-02-14", False),
        ("2025-01-01", None, False),  # resigned on its first day: never ran
    ]
    expected = {}
    for resign, billed_until, kept in cases:
        subscription = subscribe(member_factory(), vpn, "2025-01-01", resign)
        if billed_until:
            invoice = Invoice.objects.create(member=subscription.member, date=d("2025-01-01"))
            InvoiceDetail.objects.create(
                invoice=invoice,
                label="Earlier",
                amount=Decimal("10"),
                period_from=d("2025-01-01"),
                period_to=d(billed_until),
                offersubscription=subscription,
            )
        expected[subscription.pk] = kept
    kept = set(charge_run.subscriptions_to_charge(d(ON)).values_list("pk", flat=True))
    assert {pk for pk, keep in expected.items() if keep} == kept
    # and what is kept has something to bill
    for subscription in charge_run.subscriptions_to_charge(d(ON)):
        assert charge_run.lines_for(subscription, d(ON)), OfferSubscription.objects.get(pk=subscription.pk)


def test_a_run_reads_only_the_members_id_and_username(subscribers):
    subscribers(2)
    (charge, _) = list(charge_run.plan(d(ON)))
    assert charge.member.get_deferred_fields() >= {"email", "password", "address", "comments"}
    assert "username" not in charge.member.get_deferred_fields()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_pages_are_read_without_jit_and_the_session_keeps_its_setting():
    def jit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    before = jit()
    with charge_run.without_jit():
        assert jit() == "off"
    assert jit() == before


# --- Documents: two background tasks per batch ----------------------------------------------




@pytest.mark.django_db(transaction=True)
def test_a_batch_queues_two_tasks_and_the_worker_renders_and_emails_each_invoice(
    member_factory, vpn, subscribe, full_isp, settings, monkeypatch
):
    """With the production backend: a run queues two tasks per batch (not two per
    invoice), and the worker then renders every invoice's PDF and emails every member."""
    from django.core import mail
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr(charge_run, "BATCH_SIZE", 2)
    people = [member_factory() for _ in range(3)]
    for person in people:
        subscribe(person, vpn, ON)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    DBTaskResult.objects.all().delete()  # the members' welcome emails
    mail.outbox.clear()
    report = charge_subscriptions(d(ON))
    assert report.issued == 3
    ids = list(Invoice.objects.order_by("number").values_list("pk", flat=True))
    queued = {(path.rsplit(".", 1)[1], tuple(spec["args"][0])) for path, spec in tasks_queued()}
    assert len(queued) == DBTaskResult.objects.count() == 4
    assert queued == {
        (name, tuple(batch))
        for batch in (ids[:2], ids[2:])
        for name in ("render_invoice_pdfs_task", "send_new_invoice_emails_task")
    }
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert all(invoice.pdf for invoice in Invoice.objects.all())
    numbers = dict(Invoice.objects.values_list("member__email", "number"))
    assert sorted(message.to[0] for message in mail.outbox) == sorted(p.email for p in people)
    assert all(numbers[message.to[0]] in message.subject for message in mail.outbox)


def tasks_queued() -> list[tuple[str, dict]]:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))


def test_a_batch_task_does_every_invoice_and_then_names_those_that_failed(member, full_isp, monkeypatch):
    from coin.billing import pdf, tasks

    invoices = [issue_invoice(member, [Line("VPN", Decimal("8"))], d(ON)) for _ in range(3)]
    ensure_pdf = pdf.ensure_pdf

    def failing(bill):
        if bill.pk == invoices[1].pk:
            raise OSError("disk full")
        return ensure_pdf(bill)

    monkeypatch.setattr(tasks, "ensure_pdf", failing)
    with pytest.raises(RuntimeError, match=f"render the PDF of invoice\\(s\\) #{invoices[1].pk} "):
        tasks.render_invoice_pdfs_task.call([invoice.pk for invoice in invoices])
    assert [bool(Invoice.objects.get(pk=invoice.pk).pdf) for invoice in invoices] == [True, False, True]
