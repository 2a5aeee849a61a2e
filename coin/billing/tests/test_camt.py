"""CAMT files as banks send them (sample files in bank_files/): texts from every place a
bank may put them, batched entries split, currencies checked, reversals honoured,
CAMT.054 read, overlapping files adding nothing; RF creditor references match exactly."""

from decimal import Decimal
from pathlib import Path

import pytest

from coin.billing.bank_import import BankImportError, find_match, import_statement
from coin.billing.ledger import with_amounts
from coin.billing.models import Invoice, Payment
from coin.billing.references import invoice_creditor_reference, member_creditor_reference, printed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "resumed")]

FILES = Path(__file__).parent / "bank_files"


def sample(name: str, **values: str) -> bytes:
    text = (FILES / name).read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text.encode()


def test_texts_of_the_related_parties_and_additional_information_are_kept(member):
    result = import_statement(sample("camt053_v02_related_parties.xml", username="camille"), "s.xml")
    payment = Payment.objects.get()
    assert payment.member == member and payment.amount == Decimal("30.00")
    assert payment.label == "COTISATION camille CAMILLE MARTIN FR1420041010050500013M02606 VIR SEPA RECU"
    assert payment.import_key == "id:2025030500001"
    assert [x["reason"] for x in result.report["ignored"]] == ["debit"]


def test_a_batched_entry_is_one_payment_per_transaction_with_its_reference(member, other_member, invoice_for):
    first = invoice_for(member, "10.00", "2025-03-01")
    oldest = invoice_for(other_member, "20.00", "2025-03-01")
    second = invoice_for(member, "10.00", "2025-03-02")
    data = sample(
        "camt053_v13_batched.xml",
        invoice_reference=invoice_creditor_reference(second),
        member_reference=printed(member_creditor_reference(other_member)),
    )

    result = import_statement(data, "batch.xml")
    assert result.report["format"] == "camt053"
    assert (result.report["imported"], result.report["matched"]) == (3, 2)
    payments = {p.import_key: p for p in Payment.objects.all()}
    assert set(payments) == {"id:TX-1", "id:TX-2", "id:TX-3"}
    assert [payments[k].amount for k in sorted(payments)] == [
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal("15.00"),
    ]
    # The reference names the second invoice: it is paid, not the older first one.
    assert payments["id:TX-1"].member == member
    assert Invoice.objects.get(pk=second.pk).status == Invoice.Status.CLOSED
    assert Invoice.objects.get(pk=first.pk).status == Invoice.Status.OPEN
    # A member's reference pays their oldest open invoice.
    assert payments["id:TX-2"].member == other_member
    assert Invoice.objects.get(pk=oldest.pk).status == Invoice.Status.CLOSED
    assert payments["id:TX-3"].member is None and "DON" in payments["id:TX-3"].label


def test_transactions_that_do_not_add_up_to_the_entry_refuse_the_file(member):
    data = sample("camt053_v13_batched.xml", invoice_reference="", member_reference="")
    data = data.replace(b'<Amt Ccy="EUR">15.00</Amt>', b'<Amt Ccy="EUR">14.00</Amt>')
    with pytest.raises(BankImportError, match=r"Entry 1 \(B-77\), TxDtls '44.00': the transactions add up"):
        import_statement(data, "bad.xml")
    assert not Payment.objects.exists()


def test_other_currencies_reversals_and_pending_entries_are_not_payments(member):
    result = import_statement(sample("camt053_v08_currency_reversal.xml", username="camille"), "c.xml")
    assert [(p.amount, p.member) for p in Payment.objects.all()] == [(Decimal("10.00"), member)]
    reasons = [x["reason"] for x in result.report["ignored"]]
    assert reasons[0].startswith("in CHF, not in EUR: not booked (50.00 CHF on 2025-03-12)")
    assert reasons[1:] == ["reversal of a debit (not a payment)", "not booked (PDNG)"]


def test_camt054_then_an_overlapping_camt053_adds_only_the_new_entry(member, invoice_for):
    invoice = invoice_for(member, "10.00", "2025-03-01")
    first = import_statement(sample("camt054_v08_notification.xml", invoice_number=invoice.number), "n.xml")
    assert first.report["format"] == "camt054" and first.report["imported"] == 1
    second = import_statement(
        sample("camt053_overlap.xml", invoice_number=invoice.number, username="camille"), "s.xml"
    )
    assert second.report["imported"] == 1 and len(second.report["duplicates"]) == 1
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("5.00"), Decimal("10.00")]


def test_a_creditor_reference_in_the_free_text_matches_too(member, other_member, invoice_for):
    invoice = invoice_for(other_member, "10.00", "2025-03-01")
    match = find_match(f"camille paie pour {printed(invoice_creditor_reference(invoice))}")
    assert (match.member, match.invoice, match.reason) == (other_member, invoice, "creditor reference")


def test_a_reference_whose_check_digits_fail_falls_back_to_free_text(member, other_member, invoice_for):
    invoice = invoice_for(other_member, "10.00", "2025-03-01")
    reference = invoice_creditor_reference(invoice)
    wrong = reference[:2] + ("00" if reference[2:4] != "00" else "01") + reference[4:]
    match = find_match(f"{wrong} camille")
    assert (match.member, match.invoice, match.reason) == (member, None, "username")


def test_references_of_two_members_match_nobody(member, other_member, invoice_for):
    a, b = invoice_for(member, "10.00"), invoice_for(other_member, "10.00")
    match = find_match("", [invoice_creditor_reference(a), invoice_creditor_reference(b)])
    assert match.member is None and match.reason == "creditor references of different members"
    remaining = with_amounts(Invoice.objects.filter(pk=a.pk)).get().remaining
    assert remaining == Decimal("10.00")


def test_details_without_amounts_leave_the_entry_one_payment_with_all_texts(member):
    data = sample("camt053_v13_batched.xml", invoice_reference="", member_reference="")
    for amount in (b"10.00", b"20.00", b"15.00"):
        data = data.replace(b'<Amt Ccy="EUR">' + amount + b"</Amt>\n      <CdtDbtInd>", b"<CdtDbtInd>")
    result = import_statement(data, "nosplit.xml")
    [payment] = Payment.objects.all()
    assert payment.amount == Decimal("45.00") and payment.import_key == "id:BATCH-2025031000077"
    assert "Camille Martin" in payment.label and "DON" in payment.label and result.report["imported"] == 1


def test_a_returned_debit_that_matches_no_collection_is_reported(db):
    values = {"total": "20.00", "amount_1": "10.00", "amount_2": "10.00", "e2e_1": "X-1", "e2e_2": "X-2"}
    result = import_statement(
        sample("camt053_direct_debit_month.xml", mandate_1="M-1", mandate_2="M-2", **values), "r.xml"
    )
    assert result.report["imported"] == 2 and len(result.report["unmatched"]) == 2
    [returned] = result.report["returns"]
    assert (returned["collection"], returned["amount"]) == ("", "10.00")
    assert returned["reason"] == "no collection has this end-to-end id or mandate and amount"
