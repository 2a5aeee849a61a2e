"""Which mandate collects a member's invoices, and what their invoice email says of it.

Kept apart from direct_debit.py (collection runs, returns) so that the emails and the
documents can read a mandate without importing the payment services."""

from coin.billing.models import DirectDebitCollection, Invoice, Mandate
from coin.isp_database.models import ISPInfo
from coin.members.models import Member


def mandate_in_force(member: Member | int) -> Mandate | None:
    """The member's mandate that is not revoked (at most one), or None."""
    member_id = member if isinstance(member, int) else member.pk
    return Mandate.objects.filter(member_id=member_id, revoked_on__isnull=True).first()


def mandate_for_invoice(invoice: Invoice) -> Mandate | None:
    """The mandate that will collect (or collected) an invoice: the one of its live
    collection, else its member's mandate in force. For documents (the e-invoice's
    payment means) that say "paid by direct debit"."""
    collection = (
        DirectDebitCollection.objects.filter(invoice=invoice)
        .exclude(status=DirectDebitCollection.Status.RETURNED)
        .select_related("mandate")
        .first()
    )
    return collection.mandate if collection is not None else mandate_in_force(invoice.member_id)


def prenotification(invoice: Invoice) -> dict | None:
    """What the invoice email says of its direct debit: amount, date, mandate and the
    account's last digits; None when the member has no mandate in force."""
    mandate = mandate_in_force(invoice.member_id)
    if mandate is None:
        return None
    return {
        "amount": invoice.total,
        "date": invoice.date_due or invoice.date,
        "mandate": mandate.reference,
        "iban": "…" + mandate.iban[-4:],
        "creditor_identifier": creditor_identifier(),
    }


def creditor_identifier() -> str:
    """The ISP's SEPA creditor identifier (ICS), "" when it collects no direct debit."""
    isp = ISPInfo.objects.select_related("bank_info").first()
    bank = getattr(isp, "bank_info", None) if isp is not None else None
    return bank.creditor_identifier if bank is not None else ""
