"""A validated invoice never changes: the models refuse it on every database, and on
PostgreSQL the database itself refuses it (triggers), even to raw SQL."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from coin.billing.invoices import issue_credit_note
from coin.billing.models import CreditNote, ImmutableRecordError, Invoice, InvoiceDetail
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def validated(member, invoice_for):
    return invoice_for(member, "30.00", "2025-03-01")


@pytest.mark.parametrize(
    "field, value",
    [("number", "2025-03-000099"), ("date", d("2025-03-02")), ("date_due", d("2025-05-01")), ("total", 1)],
)
def test_what_a_validated_invoice_says_cannot_change(validated, field, value):
    setattr(validated, field, value)
    with pytest.raises(ImmutableRecordError, match="credit note"):
        validated.save()
    assert getattr(Invoice.objects.get(pk=validated.pk), field) != value


def test_nor_its_member_or_validation(validated, other_member):
    validated.member = other_member
    with pytest.raises(ImmutableRecordError):
        validated.save()
    validated.refresh_from_db()
    validated.validated_at = None
    with pytest.raises(ImmutableRecordError):
        validated.save()


def test_status_and_pdf_may_change(validated):
    validated.status = Invoice.Status.DISPUTED
    validated.pdf.name = "invoices/2025-03-000001.pdf"
    validated.save()
    stored = Invoice.objects.get(pk=validated.pk)
    assert (stored.status, stored.pdf.name) == ("disputed", "invoices/2025-03-000001.pdf")


def test_a_stale_instance_cannot_sneak_a_change_in(validated):
    stale = Invoice.objects.get(pk=validated.pk)
    stale.date = d("2025-02-01")
    with pytest.raises(ImmutableRecordError):
        stale.save(update_fields=["date", "status"])


def test_a_validated_invoice_cannot_be_deleted(validated):
    with pytest.raises(ImmutableRecordError):
        validated.delete()
    with pytest.raises(ImmutableRecordError):
        Invoice.objects.filter(pk=validated.pk).delete()
    with pytest.raises(ImmutableRecordError):
        Invoice.objects.filter(pk=validated.pk).update(date=d("2025-01-01"))
    assert Invoice.objects.filter(pk=validated.pk).exists()
    Invoice.objects.filter(pk=validated.pk).update(status=Invoice.Status.DISPUTED)  # status is free


def test_the_lines_of_a_validated_invoice_cannot_change(validated):
    line = validated.details.get()
    line.amount = Decimal("1")
    with pytest.raises(ImmutableRecordError):
        line.save()
    with pytest.raises(ImmutableRecordError):
        line.delete()
    with pytest.raises(ImmutableRecordError):
        InvoiceDetail.objects.create(invoice=validated, label="extra", amount=Decimal("5"))
    with pytest.raises(ImmutableRecordError):
        validated.details.all().delete()
    with pytest.raises(ImmutableRecordError):
        validated.details.all().update(amount=Decimal("0"))
    assert validated.details.get().amount == Decimal("30.00")


def test_a_line_cannot_move_out_of_a_validated_invoice(validated, member):
    draft = Invoice.objects.create(member=member, date=d("2025-03-02"))
    line = validated.details.get()
    line.invoice = draft
    with pytest.raises(ImmutableRecordError):
        line.save()


def test_drafts_are_freely_editable(member):
    draft = Invoice.objects.create(member=member, date=d("2025-03-01"))
    line = InvoiceDetail.objects.create(invoice=draft, label="x", amount=Decimal("5"), quantity=Decimal("2"))
    assert line.total == Decimal("10.00")
    line.amount = Decimal("6")
    line.save()
    draft.date = d("2025-03-02")
    draft.save()
    line.delete()
    draft.delete()
    assert not Invoice.objects.exists()


def test_a_validated_credit_note_cannot_change(validated):
    note = issue_credit_note(validated, Decimal("5"), "goodwill", d("2025-03-05"))
    note.amount = Decimal("6")
    with pytest.raises(ImmutableRecordError):
        note.save()
    with pytest.raises(ImmutableRecordError):
        CreditNote.objects.get(pk=note.pk).delete()


# --- PostgreSQL: the database refuses too -------------------------------------------------------


def raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "assignment, value",
    [
        ("number = %s", "2025-03-000099"),
        ("date = %s", d("2025-03-02")),
        ("date_due = %s", d("2025-06-01")),
        ("validated_at = %s", None),
        ("total = %s", Decimal("1.00")),
    ],
)
def test_postgresql_refuses_raw_updates_of_a_validated_invoice(validated, assignment, value):
    with pytest.raises(IntegrityError, match="validated"):
        raw(f"UPDATE billing_invoice SET {assignment} WHERE id = %s", [value, validated.pk])


@pytest.mark.postgres_only
def test_postgresql_refuses_a_raw_change_of_member(validated, other_member):
    with pytest.raises(IntegrityError, match="validated"):
        raw("UPDATE billing_invoice SET member_id = %s WHERE id = %s", [other_member.pk, validated.pk])


@pytest.mark.postgres_only
def test_postgresql_allows_status_and_pdf_and_refuses_deletion(validated):
    raw("UPDATE billing_invoice SET status = 'disputed', pdf = 'x.pdf' WHERE id = %s", [validated.pk])
    assert Invoice.objects.get(pk=validated.pk).status == "disputed"
    with pytest.raises(IntegrityError, match="cannot be deleted"):
        raw("DELETE FROM billing_invoice WHERE id = %s", [validated.pk])


@pytest.mark.postgres_only
def test_postgresql_refuses_raw_changes_to_lines_of_a_validated_invoice(validated):
    line = validated.details.get()
    with pytest.raises(IntegrityError, match="validated"):
        raw("UPDATE billing_invoicedetail SET amount = 1 WHERE id = %s", [line.pk])
    with pytest.raises(IntegrityError, match="validated"):
        raw("DELETE FROM billing_invoicedetail WHERE id = %s", [line.pk])
    with pytest.raises(IntegrityError, match="validated"):
        raw(
            "INSERT INTO billing_invoicedetail (invoice_id, label, amount, quantity, tax, is_initial_fee, "
            "total) VALUES (%s, 'extra', 5, 1, 0, false, 5)",
            [validated.pk],
        )
    assert validated.details.count() == 1


@pytest.mark.postgres_only
def test_postgresql_lets_drafts_change(member):
    draft = Invoice.objects.create(member=member, date=d("2025-03-01"))
    line = InvoiceDetail.objects.create(invoice=draft, label="x", amount=Decimal("5"))
    raw("UPDATE billing_invoicedetail SET amount = 7 WHERE id = %s", [line.pk])
    raw("UPDATE billing_invoice SET date = '2025-03-02' WHERE id = %s", [draft.pk])
    raw("DELETE FROM billing_invoicedetail WHERE id = %s", [line.pk])
    raw("DELETE FROM billing_invoice WHERE id = %s", [draft.pk])
    assert not Invoice.objects.exists()


@pytest.mark.postgres_only
def test_postgresql_refuses_raw_changes_to_a_validated_credit_note(validated):
    note = issue_credit_note(validated, Decimal("5"), "goodwill", d("2025-03-05"))
    with pytest.raises(IntegrityError, match="credit note"):
        raw("UPDATE billing_creditnote SET amount = 30 WHERE id = %s", [note.pk])
    with pytest.raises(IntegrityError, match="credit note"):
        raw("DELETE FROM billing_creditnote WHERE id = %s", [note.pk])
