"""SEPA Direct Debit: mandates, a collection run (pain.008 valid against the official
XSD), and a whole month: the statement shows the collections and one return, the
invoices are right and the member and the admins are told."""

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import sepaxml
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from lxml import etree

from coin.billing import direct_debit
from coin.billing.bank_import import import_statement
from coin.billing.emails import new_invoice_email
from coin.billing.mandates import mandate_for_invoice, mandate_in_force
from coin.billing.models import DirectDebitBatch, DirectDebitCollection, Invoice, Mandate, Payment
from coin.billing.tests.conftest import d

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "resumed")]

FILES = Path(__file__).parent / "bank_files"
ICS = "FR72ZZZ123456"
XSD_DIR = Path(sepaxml.__file__).parent / "schemas"


@pytest.fixture
def creditor(isp):
    bank = isp.bank_info
    bank.creditor_identifier = "fr72 zzz 123456"
    bank.full_clean()
    bank.save()
    return isp


def paper_mandate(member, **fields):
    values = {
        "iban": "FR14 2004 1010 0505 0001 3M02 606",
        "account_holder": member.get_full_name(),
        "signed_on": d("2025-02-01"),
    }
    return direct_debit.create_mandate(member, **{**values, **fields})


def validate_against_xsd(xml: str, schema: str = direct_debit.DEFAULT_SCHEMA) -> etree._Element:
    document = etree.fromstring(xml.encode())
    etree.XMLSchema(etree.parse(str(XSD_DIR / f"{schema}.xsd"))).assertValid(document)
    return document


# --- Mandates -----------------------------------------------------------------------------------


def test_the_creditor_identifier_is_checked(isp):
    bank = isp.bank_info
    bank.creditor_identifier = "FR00ZZZ123456"
    with pytest.raises(ValidationError) as error:
        bank.full_clean()
    assert "creditor_identifier" in error.value.message_dict
    bank.creditor_identifier = "fr72zzz123456"
    bank.full_clean()
    assert bank.creditor_identifier == ICS


def test_a_paper_mandate_is_checked_and_replaces_the_previous_one(member):
    with pytest.raises(ValidationError) as error:
        paper_mandate(member, iban="FR14 2004 1010 0505 0001 3M02 600", bic="XX")
    assert set(error.value.message_dict) == {"iban", "bic"}
    assert not Mandate.objects.exists()
    first = paper_mandate(member)
    assert (first.reference, first.iban) == (f"COIN-M{member.pk}-1", "FR1420041010050500013M02606")
    second = paper_mandate(member, signed_on=d("2025-06-01"), bic="CCBPFRPPLYO")
    first.refresh_from_db()
    assert first.revoked_on == d("2025-06-01") and mandate_in_force(member) == second
    direct_debit.revoke_mandate(second, d("2025-07-01"))
    assert mandate_in_force(member) is None


def test_an_online_mandate_needs_consent_and_records_when_and_where(member):
    with pytest.raises(ValidationError) as error:
        direct_debit.sign_mandate_online(
            member,
            iban="FR1420041010050500013M02606",
            account_holder="C M",
            consent=False,
            ip_address="192.0.2.7",
        )
    assert "consent" in error.value.message_dict
    mandate = direct_debit.sign_mandate_online(
        member, iban="FR1420041010050500013M02606", account_holder="C M", consent=True, ip_address="192.0.2.7"
    )
    assert mandate.signature == Mandate.Signature.ONLINE
    assert mandate.consent_ip == "192.0.2.7" and mandate.consent_at is not None


def test_the_invoice_email_prenotifies_amount_date_and_mandate(creditor, member, invoice_for):
    mandate = paper_mandate(member)
    invoice = invoice_for(member, "12.50", "2025-03-01")
    body = new_invoice_email(invoice).body
    assert f"12.50 € will be debited from your account …2606 on {invoice.date_due:%B} " in body
    assert f"under mandate {mandate.reference} (creditor identifier {ICS})" in body
    assert mandate_for_invoice(invoice) == mandate


# --- Collection runs ----------------------------------------------------------------------------


def test_a_run_needs_the_creditor_identifier(isp, member, invoice_for):
    paper_mandate(member)
    invoice_for(member, "10.00", "2025-03-01")
    with pytest.raises(CommandError, match=r"creditor identifier \(ICS\)"):
        call_command("prepare_direct_debits", "--date", "2025-04-15", stdout=StringIO())
    assert not DirectDebitBatch.objects.exists()


@pytest.mark.parametrize("schema", ["pain.008.001.02", "pain.008.001.08"])
def test_the_file_is_valid_against_the_official_xsd(creditor, member, invoice_for, settings, schema):
    settings.DIRECT_DEBIT_SCHEMA = schema
    mandate = paper_mandate(member, bic="CCBPFRPPLYO")
    invoice = invoice_for(member, "10.00", "2025-03-01")
    result = direct_debit.prepare_direct_debits(d("2025-04-15"))
    document = validate_against_xsd(result.batch.xml, schema)
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{schema}"}
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "10.00"
    assert document.findtext(".//p:PmtInf/p:PmtTpInf/p:SeqTp", namespaces=ns) == "FRST"
    assert document.findtext(".//p:ReqdColltnDt", namespaces=ns).startswith("2025-04-15")
    assert document.findtext(".//p:CdtrSchmeId//p:Othr/p:Id", namespaces=ns) == ICS
    assert document.findtext(".//p:MndtId", namespaces=ns) == mandate.reference
    assert document.findtext(".//p:EndToEndId", namespaces=ns) == f"DD-{invoice.number}-1"


def test_the_command_dry_run_then_run_then_run_again(
    creditor, member, other_member, member_factory, invoice_for
):
    paper_mandate(member)
    invoice_for(member, "10.00", "2025-03-01")
    invoice_for(member_factory(username="sans-mandat"), "10.00", "2025-03-01")
    out = StringIO()
    call_command("prepare_direct_debits", "--date", "2025-04-15", "--dry-run", stdout=out)
    assert "Dry run: 1 invoice(s), 10.00 €, would be collected on 2025-04-15." in out.getvalue()
    assert not DirectDebitBatch.objects.exists()
    out = StringIO()
    call_command("prepare_direct_debits", "--date", "2025-04-15", stdout=out)
    assert "1/1: " in out.getvalue() and "(FRST)" in out.getvalue()
    assert "1 invoice(s), 10.00 €, to collect on 2025-04-15: file COIN-DD-20250415-1." in out.getvalue()
    out = StringIO()
    call_command("prepare_direct_debits", "--date", "2025-04-15", stdout=out)
    assert "Nothing to collect on 2025-04-15." in out.getvalue()
    assert DirectDebitBatch.objects.count() == 1 and DirectDebitCollection.objects.count() == 1


# --- A whole month ------------------------------------------------------------------------------


def statement(collections: list[DirectDebitCollection]) -> bytes:
    one, two = collections
    text = (FILES / "camt053_direct_debit_month.xml").read_text()
    values = {
        "total": str(one.amount + two.amount),
        "e2e_1": one.end_to_end_id,
        "mandate_1": one.mandate.reference,
        "amount_1": str(one.amount),
        "e2e_2": two.end_to_end_id,
        "mandate_2": two.mandate.reference,
        "amount_2": str(two.amount),
    }
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text.encode()


def test_a_whole_direct_debit_month(
    creditor, member, other_member, invoice_for, settings, django_capture_on_commit_callbacks, admin_client
):
    settings.NOTIFICATION_EMAILS = ["treasurer@arlp.example"]
    paper_mandate(member)
    direct_debit.create_mandate(
        other_member,
        iban="DE89370400440532013000",
        account_holder="Dominique Durand",
        signed_on=d("2025-02-03"),
        signature=Mandate.Signature.ONLINE,
        consent_at=datetime.datetime(2025, 2, 3, 20, 15, tzinfo=datetime.UTC),
        consent_ip="2001:db8::7",
    )
    paid = invoice_for(member, "10.00", "2025-03-01")
    returned = invoice_for(other_member, "25.00", "2025-03-01")

    run = direct_debit.prepare_direct_debits(d("2025-04-15"))
    validate_against_xsd(run.batch.xml)
    collections = list(run.batch.collections.order_by("invoice__member__username"))
    assert [(c.invoice, c.amount, c.sequence) for c in collections] == [
        (paid, Decimal("10.00"), "FRST"),
        (returned, Decimal("25.00"), "FRST"),
    ]

    data = statement(collections)
    with django_capture_on_commit_callbacks(execute=True):
        result = import_statement(data, "releve-avril.xml")
    assert result.report["collections"] == 2
    assert [(r["collection"], r["reason"]) for r in result.report["returns"]] == [
        (collections[1].end_to_end_id, "AM04: insufficient funds")
    ]
    paid.refresh_from_db()
    returned.refresh_from_db()
    assert (paid.status, returned.status) == (Invoice.Status.CLOSED, Invoice.Status.OPEN)
    payment = Payment.objects.get()
    assert (payment.member, payment.amount, payment.payment_mean) == (
        member,
        Decimal("10.00"),
        Payment.PaymentMean.DIRECT_DEBIT,
    )
    one, two = (DirectDebitCollection.objects.get(pk=c.pk) for c in collections)
    assert (one.status, one.payment) == (DirectDebitCollection.Status.PAID, payment)
    assert (two.status, two.return_reason, two.returned_on, two.payment) == (
        DirectDebitCollection.Status.RETURNED,
        "AM04",
        d("2025-04-20"),
        None,
    )
    from django.urls import reverse

    page = admin_client.get(reverse("admin:billing_bankimport_change", args=[result.bank_import.pk]))
    assert "Direct debits returned" in page.content.decode() and result.bank_import.file_format == "camt053"
    told = {tuple(message.to): message for message in mail.outbox}
    assert set(told) == {(other_member.email,), ("treasurer@arlp.example",)}
    assert "returned the direct debit of 25.00 € for invoice" in told[(other_member.email,)].body
    assert "AM04: insufficient funds" in told[("treasurer@arlp.example",)].body

    # The next statement repeats these lines: nothing changes.
    again = import_statement(data.replace(b"STMT-DD-1", b"STMT-DD-2"), "releve-avril-bis.xml")
    assert len(again.report["duplicates"]) == 2 and again.report["imported"] == 0
    assert [r["reason"] for r in again.report["returns"]] == ["already recorded"]
    assert Payment.objects.count() == 1

    # Next month: the returned invoice is collected again as a first debit, the paid
    # member's new invoice as a recurrent one.
    invoice_for(member, "10.00", "2025-04-01")
    run = direct_debit.prepare_direct_debits(d("2025-05-15"))
    validate_against_xsd(run.batch.xml)
    assert sorted(
        (c.invoice.member.username, c.sequence, c.end_to_end_id[-1]) for c in run.batch.collections.all()
    ) == [
        ("camille", "RCUR", "1"),
        ("dominique", "FRST", "2"),
    ]


# --- The member's pages and the admin ------------------------------------------------------------


def test_the_member_signs_online_from_their_billing_page(creditor, member, member_client, invoice_for):
    from django.urls import reverse

    from coin.billing.references import invoice_creditor_reference, member_creditor_reference, printed

    invoice = invoice_for(member, "10.00", "2025-03-01")
    page = member_client.get(reverse("billing:index")).content.decode()
    assert printed(member_creditor_reference(member)) in page
    assert printed(invoice_creditor_reference(invoice)) in page
    assert reverse("billing:mandate") in page
    form = {"account_holder": "Camille Martin", "iban": "FR14 2004 1010 0505 0001 3M02 606"}
    response = member_client.post(reverse("billing:mandate"), form, REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 200 and "Tick the box" in response.content.decode()
    assert not Mandate.objects.exists()
    response = member_client.post(
        reverse("billing:mandate"), {**form, "iban": "FR14 2004", "consent": "on"}, REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 200 and not Mandate.objects.exists()
    response = member_client.post(
        reverse("billing:mandate"), {**form, "consent": "on"}, REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 302
    mandate = Mandate.objects.get()
    assert (mandate.member, mandate.signature, mandate.consent_ip) == (member, "online", "198.51.100.4")
    page = member_client.get(reverse("billing:index")).content.decode()
    assert f"mandate {mandate.reference}" in page and "ending in 2606" in page


def test_the_mandate_page_needs_a_login_and_a_creditor_identifier(isp, member_client):
    from django.test import Client
    from django.urls import reverse

    assert Client().get(reverse("billing:mandate")).status_code == 302  # to the login page
    assert member_client.get(reverse("billing:mandate")).status_code == 404  # no ICS: no direct debit


def test_the_admin_prepares_and_downloads_the_file(creditor, member, admin_client, invoice_for):
    from django.urls import reverse

    paper_mandate(member)
    invoice_for(member, "10.00", "2025-03-01")
    add = reverse("admin:billing_directdebitbatch_add")
    assert admin_client.get(add).status_code == 200
    response = admin_client.post(add, {"collection_date": "2025-04-15", "dry_run": "on"})
    assert response.status_code == 200 and "Would be collected" in response.content.decode()
    assert not DirectDebitBatch.objects.exists()
    response = admin_client.post(add, {"collection_date": "2025-04-15"})
    batch = DirectDebitBatch.objects.get()
    assert response.status_code == 302
    download = admin_client.get(reverse("admin:billing_directdebitbatch_download", args=[batch.pk]))
    assert download["Content-Type"] == "application/xml"
    validate_against_xsd(download.content.decode())
    for name in ("mandate", "directdebitcollection", "directdebitbatch"):
        assert admin_client.get(reverse(f"admin:billing_{name}_changelist")).status_code == 200
    collection = DirectDebitCollection.objects.get()
    assert (
        admin_client.get(
            reverse("admin:billing_directdebitcollection_change", args=[collection.pk])
        ).status_code
        == 200
    )


def test_the_admin_enters_a_paper_mandate_that_replaces_the_one_in_force(member, admin_client):
    from django.urls import reverse

    old = paper_mandate(member)
    data = {
        "member": member.pk,
        "reference": "",
        "iban": "DE89 3704 0044 0532 0130 00",
        "bic": "",
        "account_holder": "Camille Martin",
        "signed_on": "2025-06-01",
        "revoked_on": "",
    }
    response = admin_client.post(reverse("admin:billing_mandate_add"), {**data, "iban": "DE89 3704"})
    assert response.status_code == 200 and Mandate.objects.count() == 1
    response = admin_client.post(reverse("admin:billing_mandate_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    new = mandate_in_force(member)
    assert new.iban == "DE89370400440532013000" and new.reference == f"COIN-M{member.pk}-2"
    old.refresh_from_db()
    assert old.revoked_on == d("2025-06-01")


def test_a_reject_from_the_banks_report_is_entered_in_the_admin(
    creditor, member, admin_client, invoice_for, settings, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    paper_mandate(member)
    invoice = invoice_for(member, "10.00", "2025-03-01")
    collection = direct_debit.prepare_direct_debits(d("2025-04-15")).batch.collections.get()
    url = reverse("admin:billing_directdebitcollection_change", args=[collection.pk])
    response = admin_client.post(url, {"return_reason": "AC04", "returned_on": ""})
    assert response.status_code == 200 and "Give both the reason and the date" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"return_reason": "AC04", "returned_on": "2025-04-14"})
    assert response.status_code == 302
    collection.refresh_from_db()
    assert (collection.status, collection.return_reason) == ("returned", "AC04")
    told = {message.to[0]: message.body for message in mail.outbox}
    assert set(told) == {member.email, *settings.NOTIFICATION_EMAILS}
    assert "AC04: the account is closed" in told[member.email]
    assert admin_client.get(url).status_code == 200  # read-only now
    assert "The mandate was revoked" in told[settings.NOTIFICATION_EMAILS[0]]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    # A closed account is never debited again: the mandate is revoked.
    collection.mandate.refresh_from_db()
    assert collection.mandate.revoked_on == d("2025-04-14")
    assert direct_debit.prepare_direct_debits(d("2025-04-20")).batch is None


def test_a_credit_without_end_to_end_id_is_recognised_by_its_mandate_and_amount(
    creditor, member, invoice_for
):
    mandate = paper_mandate(member)
    invoice = invoice_for(member, "10.00", "2025-03-01")
    collection = direct_debit.prepare_direct_debits(d("2025-04-15")).batch.collections.get()
    data = (FILES / "camt054_direct_debit_mandate_only.xml").read_text()
    data = data.replace("{amount}", "10.00").replace("{mandate}", mandate.reference)
    result = import_statement(data.encode(), "m.xml")
    assert result.report["collections"] == 1
    collection.refresh_from_db()
    invoice.refresh_from_db()
    assert collection.status == "paid" and invoice.status == Invoice.Status.CLOSED


def test_the_api_records_and_revokes_a_mandate_and_lists_collections(
    creditor, member, admin_client, invoice_for
):
    bad = {"member": member.pk, "iban": "FR14 2004", "account_holder": "C M", "signed_on": "2025-02-01"}
    response = admin_client.post("/api/mandates/", bad, content_type="application/json")
    assert response.status_code == 400 and "iban" in response.json()
    response = admin_client.post(
        "/api/mandates/", {**bad, "iban": "FR1420041010050500013M02606"}, content_type="application/json"
    )
    assert response.status_code == 201
    mandate = response.json()
    assert mandate["in_force"] and mandate["reference"] == f"COIN-M{member.pk}-1"
    invoice = invoice_for(member, "10.00", "2025-03-01")
    assert admin_client.get(f"/api/invoices/{invoice.pk}/").json()["creditor_reference"].startswith("RF")
    direct_debit.prepare_direct_debits(d("2025-04-15"))
    [collection] = admin_client.get("/api/direct-debit-collections/").json()["results"]
    assert (collection["invoice_number"], collection["status"], collection["sequence"]) == (
        invoice.number,
        "sent",
        "FRST",
    )
    revoked = admin_client.post(f"/api/mandates/{mandate['id']}/revoke/")
    assert revoked.status_code == 200 and not revoked.json()["in_force"]


def test_the_old_schema_needs_the_isp_bic(creditor, member, invoice_for, settings):
    settings.DIRECT_DEBIT_SCHEMA = "pain.008.001.02"
    bank = creditor.bank_info
    bank.bic = ""
    bank.save()
    paper_mandate(member)
    invoice_for(member, "10.00", "2025-03-01")
    with pytest.raises(ValidationError, match="need the ISP's BIC"):
        direct_debit.prepare_direct_debits(d("2025-04-15"))
    assert not DirectDebitBatch.objects.exists() and not DirectDebitCollection.objects.exists()
