"""When membership fee reminders go out.

A reminder is identified by (member, membership end date, offset in months). On a
given day the one reminder that is due for a member is the latest offset whose date
has come: if the command did not run for a few days it catches up with that one,
and never sends the older ones it missed (one reminder is enough). The last offset
stays due for CATCH_UP_DAYS after its date; after that the member gets no more
reminders until a new fee changes the membership end date.
"""

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from coin.dates import CATCH_UP_DAYS, add_months, catch_up_step
from coin.members.models import Member, MemberQuerySet, MembershipFeeReminder


def reminder_date(membership_end: datetime.date, offset_months: int) -> datetime.date:
    return add_months(membership_end, offset_months)


def due_offset(membership_end: datetime.date, today: datetime.date, offsets: Sequence[int]) -> int | None:
    """The offset whose reminder is due today, or None (``coin.dates.catch_up_step``)."""
    return catch_up_step(membership_end, today, offsets, reminder_date)


@dataclass(frozen=True)
class DueReminder:
    member: Member
    membership_end: datetime.date
    offset_months: int


def candidates(today: datetime.date) -> MemberQuerySet:
    """Members who may get a reminder: members (status), opted in, not resigned, with
    an email and a fee on record."""
    return (
        Member.objects.members()
        .filter(send_membership_fees_email=True)
        .exclude(email="")
        .exclude(resign_date__lte=today)
        .with_membership_end()
        .filter(membership_end__isnull=False)
        .order_by("pk")
    )


def due_reminders(today: datetime.date, offsets: Sequence[int] | None = None) -> Iterator[DueReminder]:
    """Reminders due today that were not sent yet."""
    offsets = settings.MEMBERSHIP_FEE_REMINDERS if offsets is None else offsets
    if not offsets:
        return
    # Narrow the query to membership ends that can have a reminder due today.
    earliest_end = add_months(today, -max(offsets)) - datetime.timedelta(days=CATCH_UP_DAYS + 3)
    latest_end = add_months(today, -min(offsets)) + datetime.timedelta(days=3)
    members = candidates(today).filter(membership_end__gte=earliest_end, membership_end__lte=latest_end)
    sent = set(
        MembershipFeeReminder.objects.filter(member__in=members.values("pk")).values_list(
            "member_id", "membership_end_date", "offset_months"
        )
    )
    for member in members:
        offset = due_offset(member.membership_end, today, offsets)
        if offset is not None and (member.pk, member.membership_end, offset) not in sent:
            yield DueReminder(member, member.membership_end, offset)


def send_reminder(due: DueReminder, copy_to: Sequence[str] = ()) -> bool:
    """Record and send one reminder. False when another run already sent it.

    The record is written first and the email sent inside the same transaction: if
    sending fails, the record is rolled back and the next run tries again.
    """
    from coin.members.emails import build_fee_reminder

    try:
        with transaction.atomic():
            MembershipFeeReminder.objects.create(
                member=due.member,
                membership_end_date=due.membership_end,
                offset_months=due.offset_months,
            )
            build_fee_reminder(due.member, due.membership_end, due.offset_months, bcc=copy_to).send()
    except IntegrityError:
        return False
    return True
