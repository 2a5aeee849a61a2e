from django.conf import settings

from coin.commands import ReminderCommand
from coin.members.reminders import due_reminders, send_reminder


class Command(ReminderCommand):
    help = (
        "Email the membership fee reminders due today (see MEMBERSHIP_FEE_REMINDERS). "
        "Run it daily: it catches up a missed day and never sends a reminder twice."
    )

    def due(self, today):
        return due_reminders(today)

    def describe(self, reminder) -> str:
        return (
            f"{reminder.member.username} <{reminder.member.email}>: membership ends "
            f"{reminder.membership_end}, reminder {reminder.offset_months:+d} month(s)"
        )

    def send(self, reminder, today) -> bool:
        copy_to = (
            settings.NOTIFICATION_EMAILS
            if settings.MEMBERSHIP_FEE_REMINDERS_COPY_TO_NOTIFICATION_EMAILS
            else []
        )
        return send_reminder(reminder, copy_to)
