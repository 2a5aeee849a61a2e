"""The emails of billing: a new invoice, a reminder, a suspension, a resumption.

Every billing email is composed here, from the templates under
``emails/billing/`` (an ISP overrides them in an EXTRA_TEMPLATE_DIRS folder). The
rules that decide *when* one goes out stay where they are (reminders.py,
suspension.py, the worker's tasks); they call these functions to say *what* it says.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import NoReverseMatch, reverse

from coin.billing.ledger import payment_reference
from coin.billing.mandates import prenotification
from coin.billing.models import Invoice
from coin.billing.pdf import ensure_pdf, pdf_filename
from coin.emails import build_email, send_email_on_commit

if TYPE_CHECKING:
    from coin.members.models import Member
    from coin.offers.models import OfferSubscription


def billing_page_url() -> str:
    """Absolute address of the member's billing page, for emails."""
    try:
        path = reverse("billing:index")
    except NoReverseMatch:
        path = "/billing/"
    return str(settings.SITE_URL).rstrip("/") + path


def new_invoice_email(invoice: Invoice) -> EmailMultiAlternatives | None:
    """ "A new invoice is available", with a link to the billing page and, when
    INVOICE_EMAIL_ATTACH_PDF is set, the PDF itself. None when the member has no
    email address."""
    member = invoice.member
    if not member.email:
        return None
    message = build_email(
        "billing/invoice_new",
        {
            "member": member,
            "invoice": invoice,
            "billing_url": billing_page_url(),
            "payment_reference": payment_reference(invoice),
            "pdf_attached": settings.INVOICE_EMAIL_ATTACH_PDF,
            "direct_debit": prenotification(invoice) if invoice.status == Invoice.Status.OPEN else None,
        },
        [member.email],
        language=member.preferred_language,
    )
    if settings.INVOICE_EMAIL_ATTACH_PDF:
        with ensure_pdf(invoice).open("rb") as file:
            message.attach(pdf_filename(invoice), file.read(), "application/pdf")
    return message


def send_new_invoice_email(invoice: Invoice) -> bool:
    """Send ``new_invoice_email``; False when the member has no email address."""
    message = new_invoice_email(invoice)
    if message is None:
        return False
    message.send()
    return True


def invoice_reminder_email(
    invoice: Invoice, remaining: Decimal, days_after_due: int
) -> EmailMultiAlternatives:
    """The reminder of an unpaid invoice, ``days_after_due`` days after its due date; it
    warns of a suspension only while one is still ahead (SUSPEND_SERVICE_AFTER_DAYS)."""
    suspension_days = settings.SUSPEND_SERVICE_AFTER_DAYS
    return build_email(
        "billing/invoice_reminder",
        {
            "member": invoice.member,
            "invoice": invoice,
            "remaining": remaining,
            "days_after_due": days_after_due,
            "payment_reference": payment_reference(invoice),
            "billing_url": billing_page_url(),
            "suspension_after_days": suspension_days
            if suspension_days is not None and suspension_days > days_after_due
            else None,
        },
        [invoice.member.email],
        language=invoice.member.preferred_language,
    )


def send_service_suspended_on_commit(
    member: "Member", invoices: Sequence[Invoice], subscriptions: Sequence["OfferSubscription"]
) -> None:
    """Tell the member, once the suspension commits, which services are suspended for
    which invoices (the oldest first: its payment reference is the one shown)."""
    if not member.email:
        return
    send_email_on_commit(
        "billing/service_suspended",
        {
            "member": member,
            "invoices": list(invoices),
            "subscriptions": list(subscriptions),
            "payment_reference": payment_reference(invoices[0]),
            "billing_url": billing_page_url(),
        },
        [member.email],
        language=member.preferred_language,
    )


def send_service_resumed_on_commit(member: "Member", subscriptions: Sequence["OfferSubscription"]) -> None:
    """Tell the member, once the resumption commits, that their services are back."""
    if not member.email:
        return
    send_email_on_commit(
        "billing/service_resumed",
        {"member": member, "subscriptions": list(subscriptions)},
        [member.email],
        language=member.preferred_language,
    )
