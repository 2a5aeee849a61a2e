"""The billing API: staff only, read-only bills with what remains to pay, and every
change (issuing, crediting, paying, assigning) through the ledger functions."""

from decimal import Decimal
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from coin.billing.invoices import Line, issue_credit_note, issue_invoice
from coin.billing.ledger import balance
from coin.billing.models import CreditNote, Invoice, InvoiceDetail, NumberSequence, Payment
from coin.billing.payments import record_payment
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

LISTS = ["/api/invoices/", "/api/credit-notes/", "/api/payments/", "/api/member-balances/"]


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def post(client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


def body(response) -> bytes:
    """The bytes of a (possibly streamed) response, closing the file it streams."""
    if not response.streaming:
        return response.content
    try:
        return b"".join(response.streaming_content)
    finally:
        if getattr(response, "file_to_stream", None) is not None:
            response.file_to_stream.close()


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", LISTS)
def test_anonymous_and_members_are_refused(client, member, url):
    assert client.get(url).status_code in (401, 403)
    assert post(client, url, {}).status_code in (401, 403)
    client.force_login(member)
    assert client.get(url).status_code == 403
    assert post(client, url, {}).status_code == 403


def test_members_cannot_pay_or_download(client, member, invoice_for):
    invoice = invoice_for(member, "10.00")
    client.force_login(member)
    assert client.get(f"/api/invoices/{invoice.pk}/").status_code == 403
    assert client.get(f"/api/invoices/{invoice.pk}/pdf/").status_code == 403
    assert post(client, "/api/payments/", {"member": member.pk, "amount": "10.00"}).status_code == 403
    assert not Payment.objects.exists()


# --- Invoices ----------------------------------------------------------------------------------


def test_listing_shows_what_remains_right_after_a_partial_payment(admin_client, member, invoice_for):
    january = invoice_for(member, "10.00", "2025-01-10")
    february = invoice_for(member, "20.00", "2025-02-10")
    record_payment(member, Decimal("15.00"), date=d("2025-02-15"))
    listing = results(admin_client.get("/api/invoices/"))
    assert [(i["number"], i["status"], i["total"], i["paid"], i["remaining"]) for i in listing] == [
        (february.number, "open", "20.00", "5.00", "15.00"),
        (january.number, "closed", "10.00", "10.00", "0.00"),
    ]


def test_an_invoice_shows_its_lines_and_credit_notes(admin_client, member):
    invoice = issue_invoice(
        member,
        [Line("VPN", Decimal("10.00"), Decimal("2")), Line("Router", Decimal("50.00"), tax=Decimal("20"))],
        d("2025-03-01"),
    )
    issue_credit_note(invoice, Decimal("4.00"), "outage", d("2025-03-05"))
    shown = admin_client.get(f"/api/invoices/{invoice.pk}/").json()
    assert shown["number"] == "2025-03-000001" and shown["validated"] is True
    assert (shown["total"], shown["credited"], shown["paid"], shown["remaining"]) == (
        "80.00",
        "4.00",
        "0.00",
        "76.00",
    )
    assert shown["date_due"] == str(invoice.date_due)
    assert [(line["label"], line["quantity"], line["tax"], line["total"]) for line in shown["lines"]] == [
        ("VPN", "2.0000", "0.00", "20.00"),
        ("Router", "1.0000", "20.00", "60.00"),
    ]


def test_filters(admin_client, member, other_member, invoice_for):
    january = invoice_for(member, "10.00", "2025-01-10")
    march = invoice_for(member, "10.00", "2025-03-10")
    theirs = invoice_for(other_member, "10.00", "2025-03-11")
    record_payment(member, Decimal("10.00"), date=d("2025-03-12"))
    draft = Invoice.objects.create(member=member, date=d("2025-03-20"))
    InvoiceDetail.objects.create(invoice=draft, label="Draft line", amount=Decimal("7.50"))

    def ids(query: str) -> set[int]:
        return {i["id"] for i in results(admin_client.get(f"/api/invoices/?{query}"))}

    assert ids(f"member={other_member.pk}") == {theirs.pk}
    assert ids("status=closed") == {january.pk}
    assert ids("date_from=2025-03-01&date_to=2025-03-11") == {march.pk, theirs.pk}
    assert ids("validated=true") == {january.pk, march.pk, theirs.pk}
    assert ids("validated=false") == {draft.pk}
    assert ids(f"number={march.number}") == {march.pk}
    shown = admin_client.get(f"/api/invoices/{draft.pk}/").json()
    assert (shown["number"], shown["validated"], shown["total"], shown["remaining"]) == (
        None,
        False,
        "7.50",
        None,
    )


def test_listing_costs_a_fixed_number_of_queries(admin_client, member_factory, django_assert_max_num_queries):
    members = [member_factory() for _ in range(6)]
    for month in range(1, 5):
        for index, member in enumerate(members):
            lines = [Line("VPN", Decimal("10.00")), Line("Fees", Decimal("5.00"))]
            invoice = issue_invoice(member, lines, d(f"2025-0{month}-1{index}"))
            issue_credit_note(invoice, Decimal("1.00"), "outage", invoice.date)
    for member in members:
        record_payment(member, Decimal("20.00"), date=d("2025-05-01"))
    with django_assert_max_num_queries(5):  # session, user, count, invoices, lines
        listing = results(admin_client.get("/api/invoices/?limit=100"))
    assert len(listing) == 24
    assert {i["remaining"] for i in listing} == {"0.00", "8.00", "14.00"}
    with django_assert_max_num_queries(5):  # session, user, count, payments, allocations
        assert len(results(admin_client.get("/api/payments/"))) == 6
    with django_assert_max_num_queries(4):  # session, user, count, members with their sums
        assert len(results(admin_client.get("/api/member-balances/"))) == 7


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_invoices_cannot_be_changed_or_deleted(admin_client, member, invoice_for, method):
    invoice = invoice_for(member, "10.00")
    draft = Invoice.objects.create(member=member)
    for target in (invoice, draft):
        response = getattr(admin_client, method)(
            f"/api/invoices/{target.pk}/", {"total": "0.00"}, content_type="application/json"
        )
        assert response.status_code == 405
    assert Invoice.objects.get(pk=invoice.pk).total == Decimal("10.00")
    assert Invoice.objects.count() == 2


def test_the_pdf_action_returns_the_pdf(admin_client, member, full_isp, invoice_for):
    invoice = invoice_for(member, "10.00")
    for accept in ("*/*", "application/pdf"):
        response = admin_client.get(f"/api/invoices/{invoice.pk}/pdf/", HTTP_ACCEPT=accept)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert f"facture-{invoice.number}.pdf" in response["Content-Disposition"]
        assert body(response).startswith(b"%PDF-")
    missing = admin_client.get("/api/invoices/999999/pdf/", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"


def test_issuing_an_invoice(admin_client, member, vpn, subscribe):
    subscription = subscribe(member, vpn, "2025-01-01")
    record_payment(member, Decimal("4.00"), date=d("2025-01-02"))
    response = post(
        admin_client,
        "/api/invoices/",
        {
            "member": member.pk,
            "date": "2025-02-01",
            "lines": [
                {"label": "VPN", "amount": "10.00", "offersubscription": subscription.pk,
                 "period_from": "2025-02-01", "period_to": "2025-02-28"},
                {"label": "Cable", "amount": "2.50", "quantity": "2", "tax": "20"},
            ],
        },
    )  # fmt: skip
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["number"] == "2025-02-000001" and created["status"] == "open"
    assert (created["total"], created["paid"], created["remaining"]) == ("16.00", "4.00", "12.00")
    assert [line["total"] for line in created["lines"]] == ["10.00", "6.00"]
    assert created["lines"][0]["offersubscription"] == subscription.pk


@pytest.mark.parametrize(
    "change, field",
    [
        ({"date": "2999-01-01"}, "date"),
        ({"date": "2025-01-01"}, "date"),  # before the last numbered invoice
        ({"lines": []}, "lines"),
        ({"lines": [{"amount": "10.00"}]}, "lines"),
        ({"lines": [{"label": "Refund", "amount": "-5.00"}]}, "lines"),
        ({"member": 999999}, "member"),
    ],
)
def test_a_refused_invoice_names_the_field_and_leaves_nothing(
    admin_client, member, invoice_for, change, field
):
    invoice_for(member, "10.00", "2025-02-01")
    request = {"member": member.pk, "date": "2025-03-01", "lines": [{"label": "VPN", "amount": "10.00"}]}
    response = post(admin_client, "/api/invoices/", {**request, **change})
    assert response.status_code == 400
    assert field in response.json()
    assert Invoice.objects.count() == 1
    assert NumberSequence.objects.get(series="invoice", year=2025).last_value == 1


def test_a_period_is_billed_once(admin_client, member, other_member, vpn, subscribe):
    subscription = subscribe(member, vpn, "2025-01-01")
    line = {
        "label": "VPN",
        "amount": "10.00",
        "offersubscription": subscription.pk,
        "period_from": "2025-02-01",
    }
    twice = post(admin_client, "/api/invoices/", {"member": member.pk, "lines": [line, line]})
    assert twice.status_code == 400 and "lines" in twice.json()
    assert post(admin_client, "/api/invoices/", {"member": member.pk, "lines": [line]}).status_code == 201
    again = post(admin_client, "/api/invoices/", {"member": member.pk, "lines": [line]})
    assert again.status_code == 400 and "lines" in again.json()
    someone_else = post(admin_client, "/api/invoices/", {"member": other_member.pk, "lines": [line]})
    assert someone_else.status_code == 400
    assert "offersubscription" in someone_else.json()["lines"][0]
    assert Invoice.objects.count() == 1


# --- Credit notes ------------------------------------------------------------------------------


def test_a_credit_note_lowers_what_remains(admin_client, member, invoice_for):
    invoice = invoice_for(member, "30.00", "2025-01-10")
    response = post(
        admin_client,
        "/api/credit-notes/",
        {"invoice": invoice.pk, "amount": "10.00", "reason": "outage", "date": "2025-01-20"},
    )
    assert response.status_code == 201, response.content
    note = response.json()
    assert (note["number"], note["invoice_number"], note["member"], note["amount"]) == (
        "AV-2025-01-000001",
        invoice.number,
        member.pk,
        "10.00",
    )
    assert admin_client.get(f"/api/invoices/{invoice.pk}/").json()["remaining"] == "20.00"
    assert [n["id"] for n in results(admin_client.get(f"/api/credit-notes/?invoice={invoice.pk}"))] == [
        note["id"]
    ]


def test_a_credit_note_over_what_can_be_credited_is_refused(admin_client, member, invoice_for):
    invoice = invoice_for(member, "30.00", "2025-01-10")
    issue_credit_note(invoice, Decimal("25.00"), "outage", d("2025-01-15"))
    response = post(
        admin_client, "/api/credit-notes/", {"invoice": invoice.pk, "amount": "5.01", "reason": "x"}
    )
    assert response.status_code == 400
    assert response.json() == {"amount": [f"At most 5.00 can still be credited on invoice {invoice.number}."]}
    assert CreditNote.objects.count() == 1


def test_a_draft_gets_no_credit_note(admin_client, member):
    draft = Invoice.objects.create(member=member)
    response = post(
        admin_client, "/api/credit-notes/", {"invoice": draft.pk, "amount": "1.00", "reason": "x"}
    )
    assert response.status_code == 400 and "invoice" in response.json()


def test_the_credit_note_pdf(admin_client, member, full_isp, invoice_for):
    note = issue_credit_note(invoice_for(member, "30.00"), Decimal("5.00"), "outage", d("2025-01-20"))
    response = admin_client.get(f"/api/credit-notes/{note.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert body(response).startswith(b"%PDF-")


# --- Payments ----------------------------------------------------------------------------------


def test_a_payment_through_the_api_closes_the_oldest_invoice(admin_client, member, invoice_for):
    oldest = invoice_for(member, "10.00", "2025-01-10")
    newer = invoice_for(member, "20.00", "2025-02-10")
    response = post(
        admin_client,
        "/api/payments/",
        {
            "member": member.pk,
            "amount": "12.00",
            "date": "2025-03-01",
            "payment_mean": "cheque",
            "label": "n°42",
        },
    )
    assert response.status_code == 201, response.content
    payment = response.json()
    assert (payment["payment_mean"], payment["allocated"], payment["unallocated"]) == (
        "cheque",
        "12.00",
        "0.00",
    )
    assert payment["allocations"] == [
        {"invoice": oldest.pk, "invoice_number": oldest.number, "amount": "10.00"},
        {"invoice": newer.pk, "invoice_number": newer.number, "amount": "2.00"},
    ]
    assert Invoice.objects.get(pk=oldest.pk).status == Invoice.Status.CLOSED
    assert Invoice.objects.get(pk=newer.pk).status == Invoice.Status.OPEN


def test_a_refused_payment_names_the_field(admin_client, member):
    response = post(admin_client, "/api/payments/", {"member": member.pk, "amount": "0.00"})
    assert response.status_code == 400 and "amount" in response.json()
    response = post(
        admin_client, "/api/payments/", {"member": member.pk, "amount": "1", "payment_mean": "gold"}
    )
    assert response.status_code == 400 and "payment_mean" in response.json()
    assert not Payment.objects.exists()


def test_an_unmatched_payment_is_assigned_then_allocated(admin_client, member, other_member, invoice_for):
    invoice = invoice_for(member, "10.00", "2025-01-10")
    created = post(admin_client, "/api/payments/", {"amount": "15.00", "label": "VIR inconnu"}).json()
    assert (created["member"], created["unallocated"], created["allocations"]) == (None, "15.00", [])
    assert [p["id"] for p in results(admin_client.get("/api/payments/?matched=false"))] == [created["id"]]
    url = f"/api/payments/{created['id']}/assign/"
    assigned = post(admin_client, url, {"member": member.pk})
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["member"] == member.pk and assigned.json()["unallocated"] == "5.00"
    assert assigned.json()["allocations"] == [
        {"invoice": invoice.pk, "invoice_number": invoice.number, "amount": "10.00"}
    ]
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.CLOSED
    assert post(admin_client, url, {"member": member.pk}).status_code == 200  # again: nothing changes
    taken = post(admin_client, url, {"member": other_member.pk})
    assert taken.status_code == 400 and "member" in taken.json()
    assert post(admin_client, url, {}).status_code == 400
    assert Payment.objects.get().member == member and balance(member) == Decimal("5.00")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_payments_are_not_edited_through_the_api(admin_client, member, method):
    payment = record_payment(member, Decimal("10.00"))
    response = getattr(admin_client, method)(
        f"/api/payments/{payment.pk}/", {"amount": "99.00"}, content_type="application/json"
    )
    assert response.status_code == 405
    assert Payment.objects.get().amount == Decimal("10.00")


# --- Balances and schema -----------------------------------------------------------------------


def test_member_balances(admin_client, member, other_member, invoice_for):
    invoice = invoice_for(member, "30.00", "2025-01-10")
    issue_credit_note(invoice, Decimal("5.00"), "outage", d("2025-01-15"))
    record_payment(member, Decimal("10.00"), date=d("2025-01-20"))
    record_payment(other_member, Decimal("7.00"), date=d("2025-01-20"))
    shown = {b["id"]: b for b in results(admin_client.get("/api/member-balances/"))}
    assert shown[member.pk] == {
        "id": member.pk, "username": "camille", "display_name": "Camille Martin", "status": member.status,
        "payments": "10.00", "invoices": "30.00", "credit_notes": "5.00", "balance": "-15.00",
    }  # fmt: skip
    assert Decimal(shown[member.pk]["balance"]) == balance(member)
    assert admin_client.get(f"/api/member-balances/{other_member.pk}/").json()["balance"] == "7.00"


def test_the_openapi_document_describes_billing(admin_client):
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    paths = yaml.safe_load(out.getvalue())["paths"]
    assert {
        "/api/invoices/",
        "/api/invoices/{id}/",
        "/api/invoices/{id}/pdf/",
        "/api/credit-notes/",
        "/api/payments/",
        "/api/payments/{id}/assign/",
        "/api/member-balances/",
    } <= set(paths)
    assert set(paths["/api/invoices/{id}/"]) == {"get"}
    assert "application/pdf" in paths["/api/invoices/{id}/pdf/"]["get"]["responses"]["200"]["content"]


def test_a_negative_invoice_is_refused_by_the_ledger_itself(member):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="credit note"):
        issue_invoice(member, [Line(label="Refund", amount=Decimal("-5.00"))])
    assert not Invoice.objects.exists()
