"""Unpaid-invoice reminders: the schedule, as the daily cron job lives it.

Time travel goes through ``send_invoice_reminders --date``: each test runs the command
on the days it cares about and looks at the emails that went out and at the reminders
recorded.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError

from coin.billing.ledger import unpaid_invoices
from coin.billing.models import Invoice, InvoiceReminder, Payment, PaymentAllocation
from coin.billing.reminders import DueInvoiceReminder, due_invoice_reminders, due_step, send_invoice_reminder
from coin.billing.tests.documents_support import line, make_invoice
from coin.dates import CATCH_UP_DAYS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

DUE = datetime.date(2026, 2, 1)
DAY = datetime.timedelta(days=1)
# The default schedule, INVOICE_REMINDERS = [7, 21, 45] days after the due date.
SCHEDULE = {7: datetime.date(2026, 2, 8), 21: datetime.date(2026, 2, 22), 45: datetime.date(2026, 3, 18)}


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def run(day: datetime.date, *args: str) -> str:
    out = io.StringIO()
    call_command(
        "send_invoice_reminders", f"--date={day.isoformat()}", *args, stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def run_daily(first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, list[str]]]:
    sent = []
    day = first
    while day <= last:
        before = len(mail.outbox)
        run(day)
        sent += [(day, message.to) for message in mail.outbox[before:]]
        day += DAY
    return sent


def recorded(invoice: Invoice) -> list[int]:
    return sorted(InvoiceReminder.objects.filter(invoice=invoice).values_list("days_after_due", flat=True))


@pytest.fixture
def unpaid(member, full_isp):
    """A validated invoice of 30 €, due on DUE, nothing paid."""
    return make_invoice(member, [line("Accès VPN", "30.00")], day=datetime.date(2026, 1, 2), due=DUE)


def pay(invoice: Invoice, amount: str) -> None:
    """Money allocated to the invoice, as the ledger records it."""
    payment = Payment.objects.create(member=invoice.member, amount=Decimal(amount), date=DUE)
    PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=Decimal(amount))
    if Decimal(amount) >= invoice.total:
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.CLOSED)


# --- The schedule itself ----------------------------------------------------------------


def test_due_step_is_the_latest_step_whose_day_has_come():
    steps = [7, 21, 45]
    assert due_step(DUE, DUE, steps) is None
    assert due_step(DUE, SCHEDULE[7] - DAY, steps) is None
    for step, day in SCHEDULE.items():
        assert due_step(DUE, day, steps) == step
        assert due_step(DUE, day + DAY, steps) == step
    assert due_step(DUE, SCHEDULE[21] - DAY, steps) == 7
    # The last step stays due for CATCH_UP_DAYS, then the invoice is left to humans.
    assert due_step(DUE, SCHEDULE[45] + datetime.timedelta(days=CATCH_UP_DAYS), steps) == 45
    assert due_step(DUE, SCHEDULE[45] + datetime.timedelta(days=CATCH_UP_DAYS + 1), steps) is None
    # Order and duplicates of the setting do not matter.
    assert due_step(DUE, SCHEDULE[21], [45, 7, 21, 7]) == 21


def test_only_validated_open_invoices_with_something_left_are_unpaid(member, unpaid):
    draft = make_invoice(member, [line("Brouillon", "10.00")], validated=False)
    Invoice.objects.filter(pk=draft.pk).update(date_due=DUE)
    disputed = make_invoice(member, [line("Contesté", "10.00")], due=DUE)
    Invoice.objects.filter(pk=disputed.pk).update(status=Invoice.Status.DISPUTED)
    paid = make_invoice(member, [line("Payé", "10.00")], due=DUE)
    pay(paid, "10.00")
    free = make_invoice(member, [line("Offert", "0.00")], due=DUE)
    later = make_invoice(member, [line("Pas encore dû", "10.00")], due=DUE + 10 * DAY)
    day = DUE + DAY
    assert list(unpaid_invoices(day).values_list("pk", flat=True)) == [unpaid.pk]
    assert set(unpaid_invoices(DUE + 10 * DAY).values_list("pk", flat=True)) == {unpaid.pk, later.pk}
    assert {draft.pk, disputed.pk, paid.pk, free.pk}.isdisjoint(
        unpaid_invoices(DUE + 99 * DAY).values_list("pk", flat=True)
    )
    assert unpaid_invoices(day).get().remaining == Decimal("30.00")


# --- The command, day after day ---------------------------------------------------------


def test_each_step_once_day_after_day(unpaid, member):
    sent = run_daily(DUE - 3 * DAY, SCHEDULE[45] + 40 * DAY)
    assert sent == [(day, [member.email]) for day in SCHEDULE.values()]
    assert recorded(unpaid) == [7, 21, 45]


def test_a_missed_run_catches_up_with_the_latest_step_only(unpaid):
    run(SCHEDULE[21] + 5 * DAY)
    assert recorded(unpaid) == [21]
    assert len(mail.outbox) == 1
    run(SCHEDULE[45] + 3 * DAY)
    assert recorded(unpaid) == [21, 45]
    run(SCHEDULE[45] + 10 * DAY)
    assert recorded(unpaid) == [21, 45]  # never the missed 7-day one
    assert len(mail.outbox) == 2


def test_never_twice_even_when_run_twice_a_day(unpaid):
    run(SCHEDULE[7])
    output = run(SCHEDULE[7])
    assert len(mail.outbox) == 1
    assert "0 invoice reminder(s) sent" in output
    assert list(due_invoice_reminders(SCHEDULE[7])) == []


def test_a_concurrent_run_that_sent_it_first_wins(unpaid):
    due = DueInvoiceReminder(unpaid_invoices(SCHEDULE[7]).get(), 7)
    InvoiceReminder.objects.create(invoice=unpaid, days_after_due=7)  # the other run
    assert send_invoice_reminder(due, SCHEDULE[7]) is False
    assert mail.outbox == []


def test_paid_invoices_get_no_reminder(unpaid):
    pay(unpaid, "30.00")
    run_daily(DUE, SCHEDULE[45] + DAY)
    assert mail.outbox == []
    assert recorded(unpaid) == []


def test_the_ledger_paying_the_invoice_stops_the_reminders(unpaid, member):
    from coin.billing.payments import record_payment

    run(SCHEDULE[7])
    record_payment(member, Decimal("30.00"), date=SCHEDULE[7])
    assert Invoice.objects.get(pk=unpaid.pk).status == Invoice.Status.CLOSED
    run(SCHEDULE[21])
    assert recorded(unpaid) == [7]


def test_a_credit_note_that_cancels_the_invoice_stops_the_reminders(unpaid):
    from coin.billing.invoices import issue_credit_note

    issue_credit_note(unpaid, Decimal("30.00"), "Service jamais livré", note_date=datetime.date(2026, 1, 20))
    run(SCHEDULE[7])
    assert mail.outbox == []


def test_a_partly_paid_invoice_is_reminded_of_what_is_left(unpaid, member):
    pay(unpaid, "12.50")
    run(SCHEDULE[7])
    (message,) = mail.outbox
    assert message.to == [member.email]
    assert unpaid.number in message.subject
    body = " ".join(message.body.split())
    assert "17.50 €" in body
    assert "7 days ago" in body
    assert f"{unpaid.number} camille" in body
    assert "FR7630006000011234567890189" in body
    assert "https://coin.isp.example/billing/" in body


def test_the_reminder_warns_of_a_coming_suspension(unpaid, settings):
    settings.SUSPEND_SERVICE_AFTER_DAYS = 30
    run(SCHEDULE[21])
    assert "suspended 30 days after the due date" in " ".join(mail.outbox[0].body.split())
    run(SCHEDULE[45])
    assert "suspended" not in mail.outbox[1].body  # already past: the suspension email says it


def test_dry_run_lists_and_changes_nothing(unpaid):
    output = run(SCHEDULE[21], "--dry-run")
    assert f"would send: {unpaid.number} camille" in output
    assert "reminder +21 d" in output
    assert "1 invoice reminder(s) due, none sent (dry run)" in output
    assert mail.outbox == []
    assert recorded(unpaid) == []


def test_a_failed_email_is_not_recorded_and_retried_next_run(unpaid, settings):
    settings.EMAIL_BACKEND = "coin.billing.tests.test_invoice_reminders.FailingBackend"
    with pytest.raises(CommandError, match="1 reminder"):
        run(SCHEDULE[7])
    assert recorded(unpaid) == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run(SCHEDULE[7] + DAY)
    assert recorded(unpaid) == [7]
    assert len(mail.outbox) == 1


def test_members_without_email_are_skipped(unpaid, member):
    member.email = ""
    member.save()
    run(SCHEDULE[7])
    assert recorded(unpaid) == []


def test_the_schedule_is_a_setting(unpaid, settings):
    settings.INVOICE_REMINDERS = [3]
    sent = run_daily(DUE, DUE + 10 * DAY)
    assert [day for day, _ in sent] == [DUE + 3 * DAY]
    settings.INVOICE_REMINDERS = []
    assert "INVOICE_REMINDERS is empty" in run(DUE + 20 * DAY)


def test_several_invoices_of_several_members(unpaid, other_member, full_isp):
    other = make_invoice(
        other_member, [line("Fibre", "40.00")], day=datetime.date(2026, 1, 5), due=DUE - 2 * DAY
    )
    output = run(SCHEDULE[7], "--verbosity=2")
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [unpaid.member.email, other_member.email]
    )
    assert "2 invoice reminder(s) sent" in output
    assert recorded(other) == [7]


def test_bad_date_is_refused(unpaid):
    with pytest.raises(CommandError, match="--date"):
        call_command("send_invoice_reminders", "--date=01/02/2026", stdout=io.StringIO())
