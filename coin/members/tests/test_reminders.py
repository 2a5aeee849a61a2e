"""Membership fee reminders: the schedule, as the daily cron job lives it.

Time travel goes through ``call_for_membership_fees --date``: each test runs the
command on the days it cares about and looks at the emails that went out and at the
reminders recorded.
"""

import datetime
import io
import threading

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from coin.dates import CATCH_UP_DAYS
from coin.members.models import Member, MembershipFee, MembershipFeeReminder
from coin.members.reminders import (
    DueReminder,
    due_offset,
    due_reminders,
    reminder_date,
    send_reminder,
)

pytestmark = pytest.mark.django_db

# A fee from 2025-06-15 covers up to 2026-06-14: the membership ends on END.
FEE_START = datetime.date(2025, 6, 15)
END = datetime.date(2026, 6, 14)
# The default schedule, MEMBERSHIP_FEE_REMINDERS = [-1, 0, 1, 2, 3] months.
SCHEDULE = {
    -1: datetime.date(2026, 5, 14),
    0: datetime.date(2026, 6, 14),
    1: datetime.date(2026, 7, 14),
    2: datetime.date(2026, 8, 14),
    3: datetime.date(2026, 9, 14),
}
DAY = datetime.timedelta(days=1)


class FailingBackend(BaseEmailBackend):
    """An SMTP server that refuses everything."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


class RefusesOneAddressBackend(LocmemBackend):
    """Delivers to the outbox, but refuses mail for one address."""

    def send_messages(self, messages):
        if any("refused@example.org" in message.to for message in messages):
            raise ValueError("mailbox unavailable: refused@example.org")
        return super().send_messages(messages)


class SlowBackend(LocmemBackend):
    """Delivers to the outbox after a while, so that concurrent runs overlap."""

    def send_messages(self, messages):
        import time

        time.sleep(0.5)
        return super().send_messages(messages)


def run(day: datetime.date, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("call_for_membership_fees", f"--date={day.isoformat()}", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_daily(first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, list[str]]]:
    """Run the command every day from first to last; return (day, recipients) per email sent."""
    sent = []
    day = first
    while day <= last:
        before = len(mail.outbox)
        run(day)
        sent += [(day, message.to) for message in mail.outbox[before:]]
        day += DAY
    return sent


def recorded(member: Member) -> list[tuple[datetime.date, int]]:
    return sorted(
        MembershipFeeReminder.objects.filter(member=member).values_list(
            "membership_end_date", "offset_months"
        )
    )


@pytest.fixture
def fee_member(member_factory):
    """A member whose membership ends on END."""
    member = member_factory(username="camille", email="camille@example.org")
    MembershipFee.objects.create(member=member, start_date=FEE_START)
    assert member.membership_end_date() == END
    return member


# --- The schedule itself (reminders.py) ------------------------------------------------------


def test_reminder_dates_are_whole_months_from_the_end_clamped_to_short_months():
    assert [reminder_date(END, offset) for offset in SCHEDULE] == list(SCHEDULE.values())
    end_of_march = datetime.date(2026, 3, 31)
    assert reminder_date(end_of_march, -1) == datetime.date(2026, 2, 28)
    assert reminder_date(end_of_march, 1) == datetime.date(2026, 4, 30)


def test_due_offset_is_the_latest_offset_whose_day_has_come():
    offsets = [-1, 0, 1, 2, 3]
    assert due_offset(END, SCHEDULE[-1] - DAY, offsets) is None
    for offset, day in SCHEDULE.items():
        assert due_offset(END, day, offsets) == offset
    assert due_offset(END, SCHEDULE[1] + 10 * DAY, offsets) == 1
    assert due_offset(END, SCHEDULE[2] - DAY, offsets) == 1


def test_due_offset_keeps_the_last_offset_due_for_the_catch_up_days_only():
    offsets = [3, -1, 1, 0, 2]  # the order in the setting does not matter
    assert due_offset(END, SCHEDULE[3] + CATCH_UP_DAYS * DAY, offsets) == 3
    assert due_offset(END, SCHEDULE[3] + (CATCH_UP_DAYS + 1) * DAY, offsets) is None
    assert due_offset(END, datetime.date(2030, 1, 1), offsets) is None


def test_due_reminders_lists_what_is_due_and_send_reminder_sends_it_once(fee_member):
    assert list(due_reminders(SCHEDULE[-1] - DAY)) == []
    assert [(d.member, d.membership_end, d.offset_months) for d in due_reminders(SCHEDULE[0] - DAY)] == [
        (fee_member, END, -1)
    ]
    [due] = due_reminders(SCHEDULE[0])
    assert (due.member, due.membership_end, due.offset_months) == (fee_member, END, 0)
    assert send_reminder(due) is True
    assert send_reminder(due) is False
    assert len(mail.outbox) == 1
    assert recorded(fee_member) == [(END, 0)]
    assert list(due_reminders(SCHEDULE[0])) == []
    assert list(due_reminders(SCHEDULE[0] + DAY)) == []


def test_due_reminders_takes_the_offsets_given_over_the_setting(fee_member):
    assert list(due_reminders(SCHEDULE[0], offsets=[])) == []
    [due] = due_reminders(END - 7 * DAY, offsets=[-1, 0])
    assert due.offset_months == -1


# --- The command, day by day -------------------------------------------------------------------


def test_run_daily_each_reminder_goes_out_once_on_its_day(fee_member):
    sent = run_daily(SCHEDULE[-1] - 45 * DAY, SCHEDULE[3] + 60 * DAY)
    assert sent == [(day, ["camille@example.org"]) for day in SCHEDULE.values()]
    assert recorded(fee_member) == [(END, offset) for offset in SCHEDULE]


@pytest.mark.parametrize("offset", list(SCHEDULE))
def test_each_reminder_goes_out_exactly_on_its_day(fee_member, offset):
    day = SCHEDULE[offset]
    run_daily(SCHEDULE[-1] - 3 * DAY, day - DAY)
    assert (END, offset) not in recorded(fee_member)
    count = len(mail.outbox)

    run(day)

    assert len(mail.outbox) == count + 1
    assert mail.outbox[-1].to == ["camille@example.org"]
    assert recorded(fee_member)[-1] == (END, offset)
    run(day + DAY)
    assert len(mail.outbox) == count + 1


def test_nothing_goes_out_before_the_first_offset(fee_member):
    for day in (FEE_START, END - datetime.timedelta(days=200), SCHEDULE[-1] - DAY):
        out, _ = run(day)
        assert f"{day}: 0 reminder(s) sent" in out
    assert mail.outbox == []
    assert recorded(fee_member) == []


def test_running_twice_the_same_day_sends_one_reminder(fee_member):
    first, _ = run(SCHEDULE[0])
    second, _ = run(SCHEDULE[0])
    assert len(mail.outbox) == 1
    assert (
        first.strip().splitlines()[-1]
        == "2026-06-14: 1 reminder(s) sent, 0 already sent by another run, 0 failed."
    )
    assert (
        second.strip().splitlines()[-1]
        == "2026-06-14: 0 reminder(s) sent, 0 already sent by another run, 0 failed."
    )


def test_the_same_reminder_is_not_sent_again_on_the_following_days(fee_member):
    run_daily(SCHEDULE[0], SCHEDULE[1] - DAY)
    assert len(mail.outbox) == 1
    assert recorded(fee_member) == [(END, 0)]


def test_a_missed_day_is_caught_up_once(fee_member):
    run(SCHEDULE[-1])
    assert len(mail.outbox) == 1
    # The cron job did not run on the end date nor the two days after.
    run(SCHEDULE[0] + 3 * DAY)
    assert len(mail.outbox) == 2
    assert recorded(fee_member) == [(END, -1), (END, 0)]
    run_daily(SCHEDULE[0] + 4 * DAY, SCHEDULE[1] - DAY)
    assert len(mail.outbox) == 2


def test_when_several_reminders_were_missed_only_the_latest_due_goes_out(fee_member):
    run(SCHEDULE[-1])
    run(SCHEDULE[2] + 3 * DAY)
    assert len(mail.outbox) == 2
    assert recorded(fee_member) == [(END, -1), (END, 2)]
    run_daily(SCHEDULE[2] + 4 * DAY, SCHEDULE[3])
    assert recorded(fee_member) == [(END, -1), (END, 2), (END, 3)]
    assert len(mail.outbox) == 3


def test_the_last_reminder_stays_due_for_the_catch_up_days(fee_member):
    run(SCHEDULE[3] + CATCH_UP_DAYS * DAY)
    assert recorded(fee_member) == [(END, 3)]
    assert len(mail.outbox) == 1


def test_after_the_catch_up_days_of_the_last_reminder_nothing_goes_out(fee_member):
    run(SCHEDULE[3] + (CATCH_UP_DAYS + 1) * DAY)
    run(SCHEDULE[3] + 100 * DAY)
    run(END + 365 * DAY)
    assert mail.outbox == []
    assert recorded(fee_member) == []


def test_after_the_last_reminder_nothing_more_goes_out(fee_member):
    run(SCHEDULE[3])
    run_daily(SCHEDULE[3] + DAY, SCHEDULE[3] + (CATCH_UP_DAYS + 40) * DAY)
    assert len(mail.outbox) == 1


def test_the_end_of_the_latest_fee_counts(fee_member):
    MembershipFee.objects.create(
        member=fee_member, start_date=datetime.date(2024, 6, 15), end_date=datetime.date(2025, 6, 14)
    )
    sent = run_daily(SCHEDULE[-1] - 400 * DAY, SCHEDULE[0])
    assert [day for day, _ in sent] == [SCHEDULE[-1], SCHEDULE[0]]


def test_short_months_move_the_reminder_to_their_last_day(member_factory):
    member = member_factory(email="may@example.org")
    MembershipFee.objects.create(member=member, start_date=datetime.date(2025, 4, 1))  # ends 2026-03-31
    sent = run_daily(datetime.date(2026, 2, 1), datetime.date(2026, 8, 31))
    assert [day for day, _ in sent] == [
        datetime.date(2026, 2, 28),
        datetime.date(2026, 3, 31),
        datetime.date(2026, 4, 30),
        datetime.date(2026, 5, 31),
        datetime.date(2026, 6, 30),
    ]


def test_a_new_fee_restarts_the_schedule(fee_member):
    run_daily(SCHEDULE[-1], SCHEDULE[1])
    assert len(mail.outbox) == 3
    # The member pays on 2026-07-20 for one more year: the membership now ends 2027-07-19.
    MembershipFee.objects.create(member=fee_member, start_date=datetime.date(2026, 7, 20))
    new_end = datetime.date(2027, 7, 19)
    sent = run_daily(datetime.date(2026, 7, 20), datetime.date(2027, 11, 30))
    assert [day for day, _ in sent] == [
        datetime.date(2027, 6, 19),
        datetime.date(2027, 7, 19),
        datetime.date(2027, 8, 19),
        datetime.date(2027, 9, 19),
        datetime.date(2027, 10, 19),
    ]
    assert recorded(fee_member) == sorted([(END, -1), (END, 0), (END, 1)] + [(new_end, o) for o in SCHEDULE])


def test_several_members_are_reminded_in_one_run(member_factory):
    due_today = [member_factory(email=f"due{n}@example.org") for n in range(3)]
    later = member_factory(email="later@example.org")
    for member in due_today:
        MembershipFee.objects.create(member=member, start_date=FEE_START)
    MembershipFee.objects.create(member=later, start_date=FEE_START + 60 * DAY)
    out, _ = run(SCHEDULE[0])
    assert sorted(m.to[0] for m in mail.outbox) == [
        "due0@example.org",
        "due1@example.org",
        "due2@example.org",
    ]
    assert "3 reminder(s) sent" in out


# --- Who gets nothing --------------------------------------------------------------------------


def test_members_who_opted_out_get_nothing(fee_member):
    Member.objects.filter(pk=fee_member.pk).update(send_membership_fees_email=False)
    for day in SCHEDULE.values():
        run(day)
    assert mail.outbox == []
    assert recorded(fee_member) == []


@pytest.mark.parametrize("status", [Member.Status.PENDING, Member.Status.NOT_MEMBER])
def test_non_members_get_nothing_even_with_a_fee(fee_member, status):
    Member.objects.filter(pk=fee_member.pk).update(status=status)
    for day in SCHEDULE.values():
        run(day)
    assert mail.outbox == []


def test_resigned_members_get_nothing(fee_member):
    Member.objects.filter(pk=fee_member.pk).update(resign_date=datetime.date(2026, 1, 10))
    for day in SCHEDULE.values():
        run(day)
    assert mail.outbox == []


def test_disabled_accounts_get_nothing(fee_member):
    Member.objects.filter(pk=fee_member.pk).update(is_active=False)
    for day in SCHEDULE.values():
        run(day)
    assert mail.outbox == []


def test_members_without_email_or_without_fee_get_nothing_and_do_not_stop_the_run(member_factory, fee_member):
    no_email = member_factory(email="")
    MembershipFee.objects.create(member=no_email, start_date=FEE_START)
    member_factory(email="never-paid@example.org")
    out, err = run(SCHEDULE[0])
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]
    assert recorded(no_email) == []
    assert err == ""


# --- Options and settings ----------------------------------------------------------------------


def test_dry_run_sends_and_records_nothing_but_lists_who_would_get_one(fee_member, member_factory):
    other = member_factory(username="dominique", email="dominique@example.org")
    MembershipFee.objects.create(member=other, start_date=FEE_START)
    out, _ = run(SCHEDULE[0], "--dry-run")
    assert mail.outbox == []
    assert MembershipFeeReminder.objects.count() == 0
    lines = out.strip().splitlines()
    assert sum(line.startswith("would send: camille <camille@example.org>") for line in lines) == 1
    assert sum(line.startswith("would send: dominique <dominique@example.org>") for line in lines) == 1
    assert lines[-1] == "2026-06-14: 2 reminder(s) due, none sent (dry run)."
    # The real run afterwards still sends them.
    run(SCHEDULE[0])
    assert len(mail.outbox) == 2


def test_no_copy_to_the_notification_emails_by_default(fee_member):
    run(SCHEDULE[0])
    [message] = mail.outbox
    assert message.bcc == []
    assert message.recipients() == ["camille@example.org"]


def test_copy_to_the_notification_emails_when_asked(fee_member, settings):
    settings.MEMBERSHIP_FEE_REMINDERS_COPY_TO_NOTIFICATION_EMAILS = True
    settings.NOTIFICATION_EMAILS = ["board@isp.example", "treasurer@isp.example"]
    run(SCHEDULE[0])
    [message] = mail.outbox
    assert message.to == ["camille@example.org"]
    assert message.bcc == ["board@isp.example", "treasurer@isp.example"]
    assert "treasurer@isp.example" not in message.message().as_string()  # a blind copy


def test_a_custom_schedule_from_the_settings(fee_member, settings):
    settings.MEMBERSHIP_FEE_REMINDERS = [6, -2]
    sent = run_daily(END - 100 * DAY, datetime.date(2027, 3, 1))
    assert [day for day, _ in sent] == [datetime.date(2026, 4, 14), datetime.date(2026, 12, 14)]
    assert recorded(fee_member) == [(END, -2), (END, 6)]


def test_an_empty_schedule_sends_nothing(fee_member, settings):
    settings.MEMBERSHIP_FEE_REMINDERS = []
    for day in SCHEDULE.values():
        run(day)
    assert mail.outbox == []


@pytest.mark.parametrize("value", ["14/06/2026", "2026-02-30", "tomorrow", ""])
def test_an_invalid_date_is_refused_naming_the_option(value):
    with pytest.raises(CommandError) as error:
        call_command("call_for_membership_fees", f"--date={value}", stdout=io.StringIO())
    assert "--date" in str(error.value)


def test_without_date_the_command_acts_for_today(member_factory):
    from django.utils import timezone

    member = member_factory(email="today@example.org")
    today = timezone.localdate()
    # A fee that ends today: the offset 0 reminder is due today.
    MembershipFee.objects.create(member=member, start_date=today - 30 * DAY, end_date=today)
    out = io.StringIO()
    call_command("call_for_membership_fees", stdout=out)
    assert recorded(member) == [(today, 0)]
    assert (
        out.getvalue()
        .strip()
        .endswith(f"{today}: 1 reminder(s) sent, 0 already sent by another run, 0 failed.")
    )


def test_the_reminder_tells_the_end_date_and_how_to_pay(fee_member, isp, settings):
    settings.LANGUAGE_CODE = "en"
    settings.MEMBER_MEMBERSHIP_INFO_URL = "https://arlp.example/adherer"
    run(SCHEDULE[-1])
    run(SCHEDULE[1])
    before, after = mail.outbox
    for message in (before, after):
        assert message.from_email == "ARLP <tresorerie@arlp.example>"
        assert "FR7630006000011234567890189" in message.body
        assert "https://arlp.example/adherer" in message.body
        assert "June 14, 2026" in message.body
    assert "ends soon" in before.subject
    assert "has ended" in after.subject


# --- Failures ---------------------------------------------------------------------------------


def test_an_email_failure_records_nothing_and_the_next_run_retries(fee_member, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with pytest.raises(CommandError) as error:
        run(SCHEDULE[0])
    assert error.value.returncode != 0
    assert "1 reminder(s) failed" in str(error.value)
    assert recorded(fee_member) == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out, err = run(SCHEDULE[0] + DAY)
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]
    assert recorded(fee_member) == [(END, 0)]
    assert err == ""


def test_the_failure_is_reported_and_does_not_stop_the_other_reminders(fee_member, member_factory, settings):
    refused = member_factory(username="refused", email="refused@example.org")
    MembershipFee.objects.create(member=refused, start_date=FEE_START)
    settings.EMAIL_BACKEND = f"{__name__}.RefusesOneAddressBackend"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("call_for_membership_fees", "--date=2026-06-14", stdout=out, stderr=err)
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]
    assert "failed: refused <refused@example.org>" in err.getvalue()
    assert "mailbox unavailable" in err.getvalue()
    assert out.getvalue().strip().splitlines()[-1] == (
        "2026-06-14: 1 reminder(s) sent, 0 already sent by another run, 1 failed."
    )
    assert recorded(refused) == []
    assert recorded(fee_member) == [(END, 0)]


# --- Concurrency -------------------------------------------------------------------------------


@pytest.mark.postgres_only
def test_two_runs_at_once_send_the_reminder_once(transactional_db, member_factory, settings):
    assert connection.vendor == "postgresql"
    member = member_factory(email="race@example.org")
    MembershipFee.objects.create(member=member, start_date=FEE_START)
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    mail.outbox.clear()  # the welcome email
    [due] = due_reminders(SCHEDULE[0])
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        from django.db import connection as thread_connection

        try:
            reminder = DueReminder(Member.objects.get(pk=member.pk), due.membership_end, due.offset_months)
            barrier.wait()
            results.append(send_reminder(reminder))
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [False, True]
    assert [m.to for m in mail.outbox] == [["race@example.org"]]
    assert recorded(member) == [(END, 0)]


@pytest.mark.postgres_only
def test_two_cron_runs_at_once_send_the_reminder_once_and_say_so(transactional_db, member_factory, settings):
    member = member_factory(email="race@example.org")
    MembershipFee.objects.create(member=member, start_date=FEE_START)
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    mail.outbox.clear()  # the welcome email
    barrier = threading.Barrier(2)
    summaries, errors = [], []

    def cron():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            out, _ = run(SCHEDULE[0])
            summaries.append(out.strip().splitlines()[-1])
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=cron) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [m.to for m in mail.outbox] == [["race@example.org"]]
    # The slow email keeps the first run's transaction open, so the second one
    # normally plans the same reminder and finds it taken; had it planned after the
    # first commit, it would have found nothing due: either way, one email.
    assert sorted(summaries)[1] == "2026-06-14: 1 reminder(s) sent, 0 already sent by another run, 0 failed."
    assert sorted(summaries)[0] in {
        "2026-06-14: 0 reminder(s) sent, 1 already sent by another run, 0 failed.",
        "2026-06-14: 0 reminder(s) sent, 0 already sent by another run, 0 failed.",
    }
    assert recorded(member) == [(END, 0)]
