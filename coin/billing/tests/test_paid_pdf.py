"""Issue 14, point 6: the PDF of a paid invoice says it is paid, not "à régler au
plus tard", and gives no bank details to pay it again."""

import datetime
from decimal import Decimal

import pytest

from coin.billing import pdf
from coin.billing.payments import record_payment
from coin.billing.tests.documents_support import line, make_invoice, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(member, full_isp):
    return make_invoice(member, [line("Accès VPN — REF-VPN-12", "40.00")], day=datetime.date(2026, 1, 1))


def flat_text(invoice) -> str:
    return " ".join(pdf_text(pdf.render_invoice_pdf(invoice)).split())


def test_an_unpaid_invoice_asks_for_payment(invoice):
    text = flat_text(invoice)
    assert "À régler au plus tard le" in text and "Net à payer 40,00 €" in text
    assert "FR76 3000 6000 0112 3456 7890 189" in text and "acquittée" not in text.lower()


def test_a_paid_invoice_is_marked_paid(invoice):
    record_payment(invoice.member, Decimal("40.00"), label=invoice.number)
    invoice.refresh_from_db()
    assert invoice.status == invoice.Status.CLOSED
    text = flat_text(invoice)
    assert "acquittée" in text.lower() and "il ne reste rien à payer" in text and "Réglé 40,00 €" in text
    assert "À régler" not in text and "Net à payer" not in text
    assert "FR76 3000" not in text  # no bank details to pay it twice


def test_a_fully_credited_invoice_is_not_marked_paid(invoice):
    from coin.billing.invoices import issue_credit_note

    issue_credit_note(invoice, Decimal("40.00"), "Service never delivered", datetime.date(2026, 1, 5))
    invoice.refresh_from_db()
    assert invoice.status == invoice.Status.CLOSED
    text = flat_text(invoice)
    stamp = text.replace(" ", "").lower()  # the stamp is letter-spaced
    assert "annuléeparavoir" in stamp and "Des avoirs annulent cette facture" in text
    assert "Crédité 40,00 €" in text
    assert "acquittée" not in stamp and "Réglé" not in text
    assert "À régler" not in text and "FR76 3000" not in text
