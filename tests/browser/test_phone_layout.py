"""Issue 14, point 1 and 9: the portal's tables on a 390x844 phone (rows become
cards: no column behind a sideways scroll) and the admin's tables at 1280 px."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from coin.members.models import Member
from tests.browser.layout import (
    DEMO_MEMBER_PASSWORD,
    LAPTOP,
    PHONE,
    inside_viewport,
    load_demo,
    logged_in,
    overflow,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server) -> str:
    return load_demo()


def test_billing_on_a_phone_shows_amount_status_and_pdf_of_each_invoice(browser, live_server, demo):
    context = logged_in(browser, live_server, "cmartin", DEMO_MEMBER_PASSWORD, PHONE)
    page = context.pages[0]
    page.goto(f"{live_server.url}/billing/")
    assert overflow(page) == []
    first = "#invoices tbody tr:first-child"
    for label in ("Montant", "Statut", "Reste dû"):
        cell = page.locator(f'{first} td[data-label="{label}"]')
        expect(cell).to_be_visible()
    assert inside_viewport(page, f'{first} td[data-label="Montant"]')
    assert inside_viewport(page, f'{first} td[data-label="Statut"] .badge')
    assert inside_viewport(page, f"{first} a[href$='/pdf/']")
    # The "Paid" column of payments is readable: as wide as the card, not one character.
    paid = page.locator('#payments tbody tr:first-child td[data-label="Payé"]').bounding_box()
    assert paid is not None and paid["width"] > 300
    page.screenshot(path="test-results/billing-phone.png", full_page=True)
    context.close()


def test_terminate_and_reverse_dns_links_are_not_cut_off_on_a_phone(browser, live_server, demo):
    from coin.resources.models import IPSubnet, ReverseDNSEntry

    member = Member.objects.get(username="cmartin")
    subnet = next(
        s
        for s in IPSubnet.objects.filter(configuration__offersubscription__member=member)
        if s.inet.version == 4
    )
    ReverseDNSEntry.objects.create(
        subnet=subnet, ip=str(subnet.inet.network_address), name="mail.cmartin.example"
    )
    context = logged_in(browser, live_server, "cmartin", DEMO_MEMBER_PASSWORD, PHONE)
    page = context.pages[0]
    page.goto(f"{live_server.url}/subscriptions/")
    assert overflow(page) == []
    assert inside_viewport(page, "a[href*='/resign/']")
    page.goto(f"{live_server.url}/resources/")
    assert overflow(page) == []
    assert inside_viewport(page, "a[href*='/ptr/'][href$='/edit/']")
    assert inside_viewport(page, "a[href$='/delete/']")
    context.close()


def test_admin_invoice_tables_fit_a_laptop_screen(browser, live_server, demo):
    from coin.billing.invoices import Line, insert_drafts

    member = Member.objects.get(username="cmartin")
    [draft] = insert_drafts(
        [(member, [Line(label="Routeur", amount=Decimal("50.00"))])], timezone.localdate()
    )
    assert not draft.is_validated
    context = logged_in(browser, live_server, "admin", demo, LAPTOP)
    page = context.pages[0]
    for url in (
        "/admin/billing/invoice/",
        f"/admin/billing/invoice/{draft.pk}/change/",
        f"/admin/members/member/{member.pk}/change/",
    ):
        page.goto(f"{live_server.url}{url}")
        assert overflow(page) == [], url
    page.goto(f"{live_server.url}/admin/billing/invoice/")
    assert inside_viewport(page, "#result_list th.column-state, #result_list th.column-remaining")
    assert inside_viewport(page, "#result_list tbody tr:first-child td.field-state")
    context.close()


def test_a_member_downloads_a_credit_note_on_a_phone(browser, live_server, demo):
    """Issue 14, point 5: the credit note's PDF from the billing page, on a phone."""
    from coin.billing.invoices import creditable_amount, issue_credit_note
    from coin.billing.models import Invoice

    member = Member.objects.get(username="cmartin")
    invoice = Invoice.objects.validated().filter(member=member).order_by("-date").first()
    note = issue_credit_note(invoice, min(Decimal("5.00"), creditable_amount(invoice)), "Coupure du réseau")
    context = logged_in(browser, live_server, "cmartin", DEMO_MEMBER_PASSWORD, PHONE)
    page = context.pages[0]
    page.goto(f"{live_server.url}/billing/")
    assert overflow(page) == []
    link = f"#credit-notes a[href='/billing/credit-notes/{note.pk}/pdf/']"
    assert inside_viewport(page, link)
    with page.expect_download() as download_info:
        page.click(link)
    download = download_info.value
    assert download.suggested_filename == f"avoir-{note.number}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    page.locator("#credit-notes").screenshot(path="test-results/credit-note-phone.png")
    context.close()
