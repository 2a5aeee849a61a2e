"""Billing in the admin: drafts, validation, read-only validated invoices, credit
notes, payments (allocated on save), receipts, bank statement upload."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coin.billing.models import BankImport, CreditNote, Invoice, InvoiceDetail, Payment, Receipt
from coin.billing.payments import record_payment
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NO_LINES = {
    "details-TOTAL_FORMS": "0",
    "details-INITIAL_FORMS": "0",
    "details-MIN_NUM_FORMS": "0",
    "details-MAX_NUM_FORMS": "1000",
}
NO_ALLOCATIONS = {
    "allocations-TOTAL_FORMS": "0",
    "allocations-INITIAL_FORMS": "0",
    "allocations-MIN_NUM_FORMS": "0",
    "allocations-MAX_NUM_FORMS": "1000",
}


@pytest.fixture
def staff_client(client, member_factory):
    admin = member_factory(username="admin", is_staff=True, is_superuser=True, status="not_member")
    client.force_login(admin)
    return client


def url(name: str, *args) -> str:
    return reverse(f"admin:billing_{name}", args=args)


def test_a_draft_is_written_then_validated_by_the_action(staff_client, member):
    response = staff_client.post(
        url("invoice_add"),
        {
            "member": member.pk,
            "date": "2025-03-01",
            **NO_LINES,
            "details-TOTAL_FORMS": "1",
            "details-0-label": "Installation",
            "details-0-amount": "49.90",
            "details-0-quantity": "1",
            "details-0-tax": "0",
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    draft = Invoice.objects.get()
    assert draft.number is None and draft.details.get().total == Decimal("49.90")
    response = staff_client.post(
        url("invoice_changelist"),
        {"action": "validate", "_selected_action": [draft.pk], "confirm": "yes"},
        follow=True,
    )
    draft.refresh_from_db()
    assert (draft.number, draft.total) == ("2025-03-000001", Decimal("49.90"))
    assert "1 invoice(s) validated" in response.content.decode()


def test_a_validated_invoice_is_read_only_but_for_its_status(staff_client, member, invoice_for, resumed):
    invoice = invoice_for(member, "30.00", "2025-03-01")
    page = staff_client.get(url("invoice_change", invoice.pk))
    assert page.status_code == 200
    [inline] = page.context["inline_admin_formsets"]
    assert not inline.has_change_permission and not inline.has_add_permission
    assert "Create a credit note" in page.content.decode()
    record_payment(None, Decimal("30.00"), date=d("2025-03-02"))  # some credit elsewhere: ignored
    data = {"status": "disputed", "member": member.pk, "date": "2024-01-01", **NO_LINES}
    response = staff_client.post(url("invoice_change", invoice.pk), data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.date) == ("disputed", d("2025-03-01"))  # the date did not change
    response = staff_client.post(url("invoice_change", invoice.pk), {**data, "status": "closed"})
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors


def test_an_invoice_open_again_is_paid_by_the_credit_and_resumes_the_service(
    staff_client, member, invoice_for, resumed
):
    """Disputed, then open again in the admin: the member's credit pays it, and the
    service suspended for it may resume (payments.settle, as every payment path)."""
    invoice = invoice_for(member, "30.00", "2025-03-01")
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.DISPUTED)
    record_payment(member, Decimal("30.00"), date=d("2025-03-02"))  # a disputed invoice gets nothing
    invoice.refresh_from_db()
    assert invoice.status == "disputed" and resumed == [member.pk]
    data = {"status": "open", "member": member.pk, "date": "2025-03-01", **NO_LINES}
    response = staff_client.post(url("invoice_change", invoice.pk), data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "closed"
    assert resumed == [member.pk, member.pk]


def test_validated_invoices_cannot_be_deleted_from_the_admin(staff_client, member, invoice_for):
    invoice = invoice_for(member, "30.00", "2025-03-01")
    draft = Invoice.objects.create(member=member, date=d("2025-03-02"))
    assert staff_client.get(url("invoice_delete", invoice.pk)).status_code == 403
    action = {"action": "delete_selected", "post": "yes"}
    # A selection holding a validated invoice deletes nothing.
    staff_client.post(url("invoice_changelist"), {**action, "_selected_action": [invoice.pk, draft.pk]})
    assert Invoice.objects.count() == 2
    staff_client.post(url("invoice_changelist"), {**action, "_selected_action": [draft.pk]})
    assert list(Invoice.objects.all()) == [invoice]


def test_credit_note_path_from_the_invoice(staff_client, member, invoice_for, resumed):
    invoice = invoice_for(member, "30.00", "2025-03-01")
    response = staff_client.post(
        url("invoice_changelist"), {"action": "create_credit_note", "_selected_action": [invoice.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == url("creditnote_add") + f"?invoice={invoice.pk}"
    form = staff_client.get(response["Location"]).context["adminform"].form
    assert form.initial["invoice"] == str(invoice.pk)
    too_much = {"invoice": invoice.pk, "date": "2025-03-05", "amount": "30.01", "reason": "x"}
    response = staff_client.post(url("creditnote_add"), too_much)
    assert "amount" in response.context["adminform"].form.errors
    response = staff_client.post(url("creditnote_add"), {**too_much, "amount": "10.00", "reason": "outage"})
    assert response.status_code == 302
    note = CreditNote.objects.get()
    assert (note.number, note.member, note.amount) == ("AV-2025-03-000001", member, Decimal("10.00"))
    assert staff_client.get(url("creditnote_change", note.pk)).status_code == 200


def test_the_credit_note_form_shows_the_ledgers_own_refusals(staff_client, member, invoice_for):
    """The form checks with invoices.check_credit_note: the same rule, the same messages
    as issue_credit_note (the API shows them too)."""
    invoice = invoice_for(member, "30.00", "2025-03-01")
    draft = Invoice.objects.create(member=member, date=d("2025-03-02"))
    cases = [
        (
            {"invoice": draft.pk},
            "invoice",
            "A draft invoice is corrected by editing it, not by a credit note.",
        ),
        ({"amount": "30.01"}, "amount", f"At most 30.00 can still be credited on invoice {invoice.number}."),
        ({"date": "2025-02-28"}, "date", "A credit note cannot be dated before its invoice."),
    ]
    for change, field, message in cases:
        data = {"invoice": invoice.pk, "date": "2025-03-05", "amount": "10.00", "reason": "x", **change}
        response = staff_client.post(url("creditnote_add"), data)
        assert response.status_code == 200, change
        assert response.context["adminform"].form.errors[field] == [message]
    assert not CreditNote.objects.exists()


def test_saving_an_issued_credit_note_or_receipt_page_changes_nothing(staff_client, member, invoice_for):
    from coin.billing.invoices import issue_credit_note
    from coin.billing.receipts import issue_receipt

    note = issue_credit_note(invoice_for(member, "30.00", "2025-03-01"), Decimal("5.00"), "outage")
    receipt = issue_receipt(member=member, kind=Receipt.Kind.DONATION, amount=Decimal("20.00"), label="Don")
    before = list(CreditNote.objects.values()), list(Receipt.objects.values())
    assert staff_client.post(url("creditnote_change", note.pk), {}).status_code == 403  # read-only
    assert staff_client.post(url("receipt_change", receipt.pk), {}).status_code == 302
    assert (list(CreditNote.objects.values()), list(Receipt.objects.values())) == before


def test_entering_a_payment_allocates_it(staff_client, member, invoice_for, resumed):
    invoice = invoice_for(member, "30.00", "2025-03-01")
    data = {
        "member": member.pk,
        "payment_mean": "cheque",
        "amount": "30.00",
        "date": "2025-03-03",
        "label": "n°1",
    }
    response = staff_client.post(url("payment_add"), {**data, **NO_ALLOCATIONS})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "closed" and resumed == [member.pk]
    payment = Payment.objects.get()
    assert staff_client.get(url("payment_change", payment.pk)).status_code == 200
    staff_client.post(url("payment_delete", payment.pk), {"post": "yes"})
    invoice.refresh_from_db()
    assert invoice.status == "open" and not Payment.objects.exists()


def test_assigning_a_member_to_an_unmatched_payment_allocates_it(staff_client, member, invoice_for, resumed):
    invoice = invoice_for(member, "12.00", "2025-03-01")
    payment = record_payment(None, Decimal("12.00"), date=d("2025-03-03"), label="VIR ???")
    changelist = staff_client.get(url("payment_changelist"), {"matched": "no"})
    assert list(changelist.context["cl"].result_list) == [payment]
    data = {"member": member.pk, "payment_mean": "transfer", "amount": "12.00", "date": "2025-03-03"}
    response = staff_client.post(
        url("payment_change", payment.pk), {**data, "label": "VIR ???", **NO_ALLOCATIONS}
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "closed"


def test_receipt_of_a_membership_fee_from_the_admin(staff_client, member):
    from coin.members.models import MembershipFee

    fee = MembershipFee.objects.create(member=member, amount=Decimal("20.00"), start_date=d("2025-01-01"))
    response = staff_client.post(
        url("receipt_add"), {"kind": "membership_fee", "membership_fee": fee.pk, "date": "2025-01-05"}
    )
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    receipt = Receipt.objects.get()
    assert (receipt.number, receipt.member, receipt.amount) == ("R-2025-000001", member, Decimal("20.00"))
    response = staff_client.post(
        url("receipt_add"), {"kind": "membership_fee", "membership_fee": fee.pk, "date": "2025-01-05"}
    )
    assert "membership_fee" in response.context["adminform"].form.errors
    response = staff_client.post(
        url("receipt_add"), {"kind": "donation", "member": member.pk, "amount": "50", "date": "2025-01-06"}
    )
    assert response.status_code == 302
    assert Receipt.objects.get(kind="donation").number == "R-2025-000002"
    assert staff_client.get(url("receipt_change", receipt.pk)).status_code == 200


def test_bank_statement_upload_page(staff_client, member):
    page = staff_client.get(url("bankimport_add"))
    assert page.status_code == 200 and "BANK_CSV_FORMAT" in page.content.decode()
    data = "Date;Libellé;Montant\n05/03/2025;VIR camille;30,00\n06/03/2025;VIR INCONNU;5,00\n".encode()
    response = staff_client.post(
        url("bankimport_add"), {"file": SimpleUploadedFile("r.csv", data), "dry_run": "on"}
    )
    assert response.status_code == 200 and "VIR INCONNU" in response.content.decode()
    assert not BankImport.objects.exists()
    response = staff_client.post(url("bankimport_add"), {"file": SimpleUploadedFile("r.csv", data)})
    bank_import = BankImport.objects.get()
    assert response.status_code == 302 and response["Location"] == url("bankimport_change", bank_import.pk)
    page = staff_client.get(response["Location"])
    assert page.status_code == 200 and "VIR INCONNU" in page.content.decode()
    unmatched = staff_client.get(
        url("payment_changelist"), {"bank_import__id__exact": bank_import.pk, "matched": "no"}
    )
    assert [p.label for p in unmatched.context["cl"].result_list] == ["VIR INCONNU"]
    again = staff_client.post(url("bankimport_add"), {"file": SimpleUploadedFile("r.csv", data)})
    assert again.status_code == 200 and "already imported" in str(again.context["form"].errors)


def test_lines_inline_of_a_draft_are_editable(staff_client, member):
    draft = Invoice.objects.create(member=member, date=d("2025-03-01"))
    InvoiceDetail.objects.create(invoice=draft, label="x", amount=Decimal("5"))
    page = staff_client.get(url("invoice_change", draft.pk))
    [inline] = page.context["inline_admin_formsets"]
    assert inline.has_change_permission and inline.has_add_permission
