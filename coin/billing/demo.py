"""Demo billing: the subscriptions billed month after month since they started,
most invoices paid by transfer, one member behind with payments."""

from django.utils import timezone

from coin.billing.charge_run import charge_subscriptions
from coin.billing.ledger import balance
from coin.billing.models import Invoice
from coin.billing.payments import record_payment
from coin.dates import add_months
from coin.members.models import Member
from coin.offers.models import OfferSubscription

LATE_PAYER = "ddurand"


def load(stdout) -> None:
    first = OfferSubscription.objects.order_by("subscription_date").first()
    if first is None:
        return
    today = timezone.localdate()
    day = first.subscription_date
    while day <= today:
        charge_subscriptions(day)
        day = add_months(day.replace(day=1), 1)
    for member in Member.objects.filter(invoices__isnull=False).exclude(username=LATE_PAYER).distinct():
        due = -balance(member)
        if due > 0:
            record_payment(member, due, label=f"VIR SEPA {member.username.upper()} COTIS ABO")
    stdout.write(f"Invoices: {Invoice.objects.count()} ({LATE_PAYER} has unpaid ones)")
