"""Issue 8, items 2, 3 and 6: money within its column, dates in range, periods in
order, on every write path; a charge run that one bad offer or subscription does not
stop. Each test is a reproduction of the issue."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

from coin.billing import charge_run
from coin.billing.bank_import import BankImportError, import_statement
from coin.billing.bounds import EARLIEST_PAYMENT_DATE
from coin.billing.charging import block
from coin.billing.invoices import Line, issue_credit_note, issue_invoice
from coin.billing.models import Invoice, InvoiceDetail, Payment
from coin.billing.numbering import ChronologyError
from coin.billing.payments import record_payment
from coin.billing.tests.conftest import d
from coin.dates import DateOutOfRange, add_months
from coin.offers.models import Offer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = "Date;Libellé;Montant\n"


def csv_file(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def post(client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


# --- Item 2: a huge amount from a bank line --------------------------------------------------------


def test_a_bank_line_with_an_amount_beyond_the_column_is_refused_naming_the_line(member):
    """The reproduction: ``05/11/2026;VIR lbernard;10000000000,00`` was imported, then
    every page showing it answered 500. Now the whole file is refused."""
    data = csv_file("05/03/2025;VIR camille;30,00", "05/11/2026;VIR camille;10000000000,00")
    with pytest.raises(BankImportError, match=r"Line 3, Montant '10000000000,00': .*12 digits") as raised:
        import_statement(data, "huge.csv")
    assert "Line 3" in str(raised.value)
    assert not Payment.objects.exists()  # the good line 2 was not imported either


def test_the_database_refuses_an_amount_beyond_the_column_that_skips_validation(member):
    """bulk_create skips full_clean(): the CHECK constraint (SQLite) or numeric(12, 2)
    (PostgreSQL) is the last line, so no unreadable amount is ever stored."""
    payment = Payment(member=member, amount=Decimal("10000000000.00"), date=d("2025-03-05"))
    with pytest.raises((IntegrityError, DataError)) as raised, transaction.atomic():
        Payment.objects.bulk_create([payment])
    assert "payment_amount_within_column" in str(raised.value) or "numeric" in str(raised.value)
    assert not Payment.objects.exists()


def test_the_payment_list_pages_still_answer_after_a_refused_import(admin_client, member):
    with pytest.raises(BankImportError):
        import_statement(csv_file("05/11/2026;VIR camille;10000000000,00"), "huge.csv")
    assert admin_client.get("/admin/billing/payment/").status_code == 200


def test_a_camt_entry_with_a_huge_amount_is_refused(member):
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Ntry><NtryRef>N1</NtryRef><Amt Ccy="EUR">99999999999.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<Sts>BOOK</Sts><BookgDt><Dt>2025-03-05</Dt></BookgDt></Ntry>
</Stmt></BkToCstmrStmt></Document>"""
    with pytest.raises(BankImportError, match=r"Entry 1 \(N1\), Amt '99999999999.00'"):
        import_statement(data, "a.xml")


# --- Item 6: payment dates ------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["2099-01-01", "0001-01-01", "1999-12-31"])
def test_payments_in_the_future_or_before_the_floor_are_refused(admin_client, member, day):
    with pytest.raises(ValidationError) as raised:
        record_payment(member, Decimal("10.00"), date=d(day))
    assert "date" in raised.value.message_dict
    response = post(admin_client, "/api/payments/", {"member": member.pk, "amount": "10.00", "date": day})
    assert response.status_code == 400 and "date" in response.json(), response.content
    assert not Payment.objects.exists()


@pytest.mark.parametrize("day, message", [("05/03/2099", "in the future"), ("05/03/1999", "too early")])
def test_bank_lines_in_the_future_or_before_the_floor_are_refused(member, day, message):
    with pytest.raises(BankImportError, match=f"Line 2, Date '{day}': .*{message}"):
        import_statement(csv_file(f"{day};VIR camille;30,00"), "dates.csv")
    assert not Payment.objects.exists()


def test_the_payment_floor_itself_and_today_are_accepted(member):
    record_payment(member, Decimal("1.00"), date=EARLIEST_PAYMENT_DATE)
    record_payment(member, Decimal("1.00"), date=timezone.localdate())
    assert Payment.objects.count() == 2


# --- Item 6: invoice and credit-note dates -------------------------------------------------------


def test_an_invoice_dated_before_the_last_one_of_an_earlier_year_is_refused(
    admin_client, member, invoice_for
):
    """The reproduction: POST /api/invoices/ {"date": "1999-01-01"} was numbered
    1999-01-000001 after the 2026 series."""
    invoice_for(member, "10", "2025-03-10")
    response = post(
        admin_client,
        "/api/invoices/",
        {"member": member.pk, "date": "1999-01-01", "lines": [{"label": "x", "amount": "5.00"}]},
    )
    assert response.status_code == 400 and "2025-03-10" in str(response.json()["date"]), response.content
    with pytest.raises(ChronologyError, match="2025-03-10"):
        issue_invoice(member, [Line("x", Decimal("1"))], d("2024-12-31"))
    assert Invoice.objects.count() == 1


def test_a_draft_dated_before_the_last_invoice_or_in_the_future_is_refused_by_its_model(member, invoice_for):
    invoice_for(member, "10", "2025-03-10")
    with pytest.raises(ValidationError, match="2025-03-10") as raised:
        Invoice(member=member, date=d("2024-06-01")).full_clean()
    assert list(raised.value.message_dict) == ["date"]
    with pytest.raises(ValidationError, match="in the future"):
        Invoice(member=member, date=timezone.localdate() + datetime.timedelta(days=1)).full_clean()
    Invoice(member=member, date=d("2025-03-10")).full_clean()  # the same day is fine


def test_a_credit_note_in_the_future_or_before_the_last_one_is_refused(admin_client, member, invoice_for):
    """The reproduction: a credit note dated 2099-01-01 was numbered AV-2099-01-000001."""
    invoice = invoice_for(member, "30", "2025-03-10")
    response = post(
        admin_client,
        "/api/credit-notes/",
        {"invoice": invoice.pk, "amount": "5.00", "reason": "x", "date": "2099-01-01"},
    )
    assert response.status_code == 400 and "date" in response.json(), response.content
    issue_credit_note(invoice, Decimal("5"), "first", d("2025-06-01"))
    with pytest.raises(ValidationError, match="2025-06-01"):
        issue_credit_note(invoice, Decimal("5"), "second", d("2025-04-01"))
    assert invoice.credit_notes.count() == 1


# --- Item 6: periods in order ---------------------------------------------------------------------


def test_an_invoice_line_ending_before_it_starts_is_refused(admin_client, member):
    line = Line("x", Decimal("5"), period_from=d("2025-03-31"), period_to=d("2025-03-01"))
    with pytest.raises(ValidationError, match="Line 1, period_to"):
        issue_invoice(member, [line], d("2025-04-01"))
    response = post(
        admin_client,
        "/api/invoices/",
        {
            "member": member.pk,
            "date": "2025-04-01",
            "lines": [
                {"label": "x", "amount": "5.00", "period_from": "2025-03-31", "period_to": "2025-03-01"}
            ],
        },
    )
    assert response.status_code == 400 and "period_to" in str(response.json()), response.content
    with pytest.raises(ValidationError, match="ends"):
        InvoiceDetail(label="x", amount=1, period_from=d("2025-03-31"), period_to=d("2025-03-01")).clean()
    assert not Invoice.objects.exists()


def test_the_database_refuses_a_line_period_in_the_wrong_order(member):
    invoice = Invoice.objects.create(member=member, date=d("2025-04-01"))
    detail = InvoiceDetail(
        invoice=invoice,
        label="x",
        amount=Decimal("1"),
        period_from=d("2025-03-31"),
        period_to=d("2025-03-01"),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceDetail.objects.bulk_create([detail])


def test_a_line_whose_total_overflows_its_column_is_refused(member):
    line = Line("x", Decimal("9999999999.99"), quantity=Decimal("999"))
    with pytest.raises(ValidationError, match="Line 1, amount: This line's total"):
        issue_invoice(member, [line], d("2025-04-01"))
    two = [Line("x", Decimal("9000000000")), Line("y", Decimal("9000000000"))]
    with pytest.raises(ValidationError, match="invoice's total"):
        issue_invoice(member, two, d("2025-04-01"))
    assert not Invoice.objects.exists()


# --- Item 3: billing periods and a charge run that never stops ------------------------------------


@pytest.mark.parametrize("months", [0, 121, 8418169])
def test_an_offer_billing_period_is_1_to_120_months(admin_client, months):
    offer = Offer(name="x", reference="X", billing_period=months)
    with pytest.raises(ValidationError) as raised:
        offer.full_clean()
    assert list(raised.value.message_dict) == ["billing_period"]
    response = post(
        admin_client, "/api/offers/", {"name": "x", "reference": "X", "billing_period": 9999999999999}
    )
    assert response.status_code == 400 and "billing_period" in response.json(), response.content
    Offer(name="x", reference="X", billing_period=120).full_clean()


def test_the_database_refuses_a_billing_period_out_of_bounds(vpn):
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=vpn.pk).update(billing_period=121)


def force_billing_period(offer: Offer) -> None:
    """Store an absurd billing period as an old database or a raw SQL edit could hold
    it, past validation and the CHECK constraint (dropped inside the test's
    transaction on PostgreSQL, which rolls it back; ignored for a moment on SQLite).
    PostgreSQL's smallint holds at most 32767."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE offers_offer DROP CONSTRAINT offer_billing_period_1_to_120")
            Offer.objects.filter(pk=offer.pk).update(billing_period=32767)
        else:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            try:
                Offer.objects.filter(pk=offer.pk).update(billing_period=8418169)
            finally:
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
    assert Offer.objects.get(pk=offer.pk).billing_period > 120


@pytest.mark.parametrize("dry_run", [False, True])
def test_one_absurd_offer_does_not_stop_the_others_being_billed(
    member, other_member, member_factory, vpn, offer_factory, subscribe, dry_run
):
    """The reproduction: one subscription to an offer with billing_period 8418169 made
    charge_subscriptions (even --dry-run) crash with 'year 703540 is out of range', and
    nobody was billed."""
    absurd = offer_factory(name="Absurd", reference="ABSURD")
    third = member_factory()
    subscribe(member, vpn, "2025-03-01")
    bad = subscribe(other_member, absurd, "2025-03-01")
    subscribe(other_member, vpn, "2025-03-01")  # the same member's good subscription
    subscribe(third, vpn, "2025-03-01")
    force_billing_period(absurd)
    out, err = StringIO(), StringIO()
    args = ["--date", "2025-03-01", *(["--dry-run"] if dry_run else [])]
    with pytest.raises(CommandError, match=r"0 member\(s\) and 1 subscription\(s\) could not be billed"):
        call_command("charge_subscriptions", *args, stdout=out, stderr=err)
    assert f"failed subscription {bad.reference} ({other_member.username}, offer ABSURD)" in err.getvalue()
    assert "the billing period is" in err.getvalue() and "from 1 to 120 months" in err.getvalue()
    assert "3 invoice(s)" in out.getvalue() and "1 subscription(s) failed" in out.getvalue()
    if dry_run:
        assert not Invoice.objects.exists()
    else:
        billed = set(Invoice.objects.validated().values_list("member", flat=True))
        assert billed == {member.pk, other_member.pk, third.pk}
        assert not InvoiceDetail.objects.filter(offersubscription=bad).exists()


def test_a_member_whose_invoice_total_overflows_is_reported_and_the_others_billed(
    member, other_member, member_factory, vpn, offer_factory, subscribe
):
    big = offer_factory(name="Big", reference="BIG", period_fees=Decimal("99999999.99"), billing_period=1)
    others = [member_factory() for _ in range(3)]
    subscribe(member, vpn, "2025-03-01")
    for person in others:
        subscribe(person, vpn, "2025-03-01")
    for _ in range(101):  # 101 × 99,999,999.99 does not fit an invoice's total
        subscribe(other_member, big, "2025-03-01")
    report = charge_run.charge_subscriptions(d("2025-03-01"), keep_invoices=True)
    assert [charge.member for charge, _reason in report.failed] == [other_member]
    assert "invoice's total" in report.failed[0][1]
    assert {charge.member for charge in report.invoices} == {member, *others}


def test_dates_beyond_the_calendar_are_an_error_not_a_crash():
    with pytest.raises(DateOutOfRange, match="out of the calendar"):
        add_months(d("9999-06-01"), 12)
    with pytest.raises(DateOutOfRange):
        add_months(d("0001-03-01"), -3)
    with pytest.raises(ValueError, match="out of the calendar"):
        block(d("9995-01-01"), 120, 0)
    with pytest.raises(ValueError, match="from 1 to 120"):
        block(d("2025-01-01"), 8418169, 0)


def test_the_migration_adding_the_bounds_names_the_offers_out_of_them(vpn, offer_factory):
    """On a database that already holds an absurd billing period, the migration stops
    with the offers to fix instead of failing on the constraint."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("coin.offers.migrations.0002_billing_period_bounds")
    migration.refuse_offers_out_of_bounds(apps, None)  # nothing out of bounds: passes
    absurd = offer_factory(name="Absurd", reference="ABSURD")
    force_billing_period(absurd)
    with pytest.raises(RuntimeError, match=r"ABSURD \(\d+ months\)"):
        migration.refuse_offers_out_of_bounds(apps, None)
