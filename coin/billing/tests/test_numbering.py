"""Invoice numbers: YYYY-MM-NNNNNN, continuous over the year, gapless, chronological;
and what validation does to an invoice."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from coin.billing.invoices import Line, issue_credit_note, issue_invoice, validate_invoice
from coin.billing.models import Invoice, InvoiceDetail, NumberSequence
from coin.billing.numbering import (
    CREDIT_NOTE_SERIES,
    INVOICE_SERIES,
    RECEIPT_SERIES,
    ChronologyError,
    format_number,
    next_number,
)
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_formats():
    day = d("2025-03-07")
    assert format_number(INVOICE_SERIES, day, 12) == "2025-03-000012"
    assert format_number(CREDIT_NOTE_SERIES, day, 1) == "AV-2025-03-000001"
    assert format_number(RECEIPT_SERIES, day, 3) == "R-2025-000003"


def test_the_counter_runs_over_the_year_and_restarts_in_january(member, invoice_for):
    numbers = [
        invoice_for(member, "10", on).number
        for on in ["2024-11-30", "2024-12-01", "2024-12-31", "2025-01-01", "2025-01-02", "2025-02-01"]
    ]
    assert numbers == [
        "2024-11-000001",
        "2024-12-000002",
        "2024-12-000003",
        "2025-01-000001",
        "2025-01-000002",
        "2025-02-000003",
    ]


def test_an_invoice_dated_before_the_last_one_of_its_year_is_refused(member, invoice_for):
    invoice_for(member, "10", "2025-03-10")
    invoice_for(member, "10", "2025-03-10")  # the same day is fine
    draft = Invoice.objects.create(member=member, date=d("2025-03-09"))
    InvoiceDetail.objects.create(invoice=draft, label="x", amount=Decimal("5"))
    with pytest.raises(ChronologyError, match="2025-03-10"):
        validate_invoice(draft)
    draft.refresh_from_db()
    assert draft.number is None and not draft.is_validated
    # A later date is numbered next, without a gap.
    assert invoice_for(member, "10", "2025-03-11").number == "2025-03-000003"


def test_a_rolled_back_validation_gives_its_number_back(member, invoice_for):
    invoice_for(member, "10", "2025-03-01")
    draft = Invoice.objects.create(member=member, date=d("2025-03-02"))
    InvoiceDetail.objects.create(invoice=draft, label="x", amount=Decimal("5"))
    with pytest.raises(RuntimeError), transaction.atomic():
        validate_invoice(draft)
        raise RuntimeError("something after the validation failed")
    assert Invoice.objects.get(pk=draft.pk).number is None
    assert NumberSequence.objects.get(series=INVOICE_SERIES, year=2025).last_value == 1
    assert invoice_for(member, "10", "2025-03-02").number == "2025-03-000002"


def test_numbers_are_taken_inside_a_transaction_only(transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number(INVOICE_SERIES, d("2025-01-01"))


def test_series_are_independent(member, invoice_for):
    invoice = invoice_for(member, "10", "2025-03-01")
    note = issue_credit_note(invoice, Decimal("4"), "goodwill", d("2025-03-02"))
    assert note.number == "AV-2025-03-000001"
    assert invoice_for(member, "10", "2025-03-02").number == "2025-03-000002"


# --- Validation ---------------------------------------------------------------------------------


def test_validation_fixes_number_total_and_due_date(member, settings):
    settings.PAYMENT_DELAY = 45
    draft = Invoice.objects.create(member=member, date=d("2025-03-01"))
    InvoiceDetail.objects.create(
        invoice=draft, label="a", amount=Decimal("10.00"), quantity=Decimal("0.5484")
    )
    InvoiceDetail.objects.create(invoice=draft, label="b", amount=Decimal("9.99"), tax=Decimal("20"))
    validate_invoice(draft)
    stored = Invoice.objects.get(pk=draft.pk)
    assert stored.number == "2025-03-000001"
    assert stored.total == Decimal("5.48") + Decimal("11.99")  # each line rounded
    assert stored.date_due == d("2025-04-15")
    assert stored.status == Invoice.Status.OPEN and stored.validated_at is not None
    assert (draft.number, draft.total) == (stored.number, stored.total)


def test_default_payment_delay_is_30_days(member, invoice_for):
    assert invoice_for(member, "10", "2025-03-01").date_due == d("2025-03-31")


def test_validation_refuses_empty_future_negative_or_validated_invoices(member, invoice_for):
    empty = Invoice.objects.create(member=member, date=d("2025-03-01"))
    with pytest.raises(ValidationError, match="at least one line"):
        validate_invoice(empty)
    future = Invoice.objects.create(member=member, date=datetime.date.today() + datetime.timedelta(days=2))
    InvoiceDetail.objects.create(invoice=future, label="x", amount=Decimal("5"))
    with pytest.raises(ValidationError, match="future"):
        validate_invoice(future)
    negative = Invoice.objects.create(member=member, date=d("2025-03-01"))
    InvoiceDetail.objects.create(invoice=negative, label="refund", amount=Decimal("-5"))
    with pytest.raises(ValidationError, match="negative"):
        validate_invoice(negative)
    done = invoice_for(member, "10", "2025-03-01")
    with pytest.raises(ValidationError, match="already validated"):
        validate_invoice(done)
    assert not NumberSequence.objects.filter(last_value__gt=1).exists()


def test_a_free_invoice_is_closed_at_once(member):
    invoice = issue_invoice(member, [Line("Gift", Decimal("0"))], d("2025-03-01"))
    assert invoice.status == Invoice.Status.CLOSED


def test_validation_tells_the_documents_part_inside_the_transaction(member, monkeypatch):
    from coin.billing import documents

    seen = []

    def record(invoices):
        seen.extend((invoice.number, transaction.get_connection().in_atomic_block) for invoice in invoices)

    monkeypatch.setattr(documents, "on_invoices_validated", record)
    issue_invoice(member, [Line("x", Decimal("1"))], d("2025-03-01"))
    assert seen == [("2025-03-000001", True)]
