from django.conf import settings

from coin.billing.reminders import due_invoice_reminders, send_invoice_reminder
from coin.commands import ReminderCommand


class Command(ReminderCommand):
    help = (
        "Email the unpaid-invoice reminders due today (see INVOICE_REMINDERS, in days after "
        "the due date). Run it daily: it catches up a missed day and never sends a reminder twice."
    )
    noun = "invoice reminder"
    skipped_meaning = "skipped (sent by another run or paid meanwhile)"

    def handle(self, *args, **options):
        if not settings.INVOICE_REMINDERS:
            self.stdout.write("INVOICE_REMINDERS is empty: no reminder to send.")
            return
        super().handle(*args, **options)

    def due(self, today):
        return due_invoice_reminders(today)

    def describe(self, reminder) -> str:
        invoice = reminder.invoice
        return (
            f"{invoice.number} {invoice.member.username} <{invoice.member.email}>: "
            f"{reminder.remaining} € unpaid, due {invoice.date_due}, reminder +{reminder.days_after_due} d"
        )

    def send(self, reminder, today) -> bool:
        return send_invoice_reminder(reminder, today)
