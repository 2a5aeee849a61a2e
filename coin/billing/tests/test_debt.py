"""Issue 14, point 3: what a member owes and by when, overdue invoices marked, and
the ISP's bank details next to "put the invoice number in your transfer"."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from coin.billing.debt import member_debt
from coin.billing.payments import record_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def ago(days: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days)).isoformat()


def test_member_debt_counts_what_is_owed_and_what_is_overdue(member, invoice_for, settings):
    settings.PAYMENT_DELAY = 30
    today = timezone.localdate()
    old = invoice_for(member, "8.00", on=ago(60))  # due 30 days ago: overdue
    recent = invoice_for(member, "40.00", on=ago(5))  # due in 25 days
    debt = member_debt(member, today)
    assert debt.owed == Decimal("48.00")
    assert debt.unpaid == 2 and debt.overdue == 1 and debt.overdue_amount == Decimal("8.00")
    assert debt.next_due == old.date_due and debt.oldest_unpaid_number == old.number
    record_payment(member, Decimal("8.00"), label=old.number)
    debt = member_debt(member, today)
    assert (debt.owed, debt.overdue, debt.next_due) == (Decimal("40.00"), 0, recent.date_due)


def test_member_debt_of_a_member_up_to_date_is_zero(member):
    debt = member_debt(member, timezone.localdate())
    assert (debt.owed, debt.unpaid, debt.next_due, debt.overdue) == (Decimal("0.00"), 0, None, 0)


def test_billing_page_marks_overdue_invoices_and_shows_the_iban(member_client, member, invoice_for, isp):
    old = invoice_for(member, "8.00", on=ago(60))
    recent = invoice_for(member, "40.00", on=ago(1))
    page = member_client.get(reverse("billing:index")).content.decode()
    assert "1 overdue invoice (8.00 €)" in page
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr")
    [old_row] = [row for row in rows if old.number in row]
    [recent_row] = [row for row in rows if recent.number in row]
    assert "overdue" in old_row and "overdue" not in recent_row
    assert "Put the number of the invoice you pay" in page
    assert "FR7630006000011234567890189" in page and "AGRIFRPP" in page
    assert f'<code class="reference">{old.number}</code>' in page  # the reference to give


def test_billing_page_without_bank_details_says_whom_to_ask(member_client, member, invoice_for, isp):
    isp.bank_info.delete()
    invoice_for(member, "8.00", on=ago(60))
    page = member_client.get(reverse("billing:index")).content.decode()
    assert "Contact the association to know how to pay." in page and "tresorerie@arlp.example" in page


def invoices_section(page: str) -> str:
    return page.split('id="invoices"')[1].split("</section>")[0]


def test_billing_lists_are_paged(member_client, member, invoice_for, isp):
    from coin.billing.views import PER_PAGE

    invoices = [invoice_for(member, "1.00", on=ago(400 - i)) for i in range(PER_PAGE + 3)]
    first = member_client.get(reverse("billing:index"))
    assert first.context["invoices"].paginator.num_pages == 2
    listed = invoices_section(first.content.decode())
    assert invoices[-1].number in listed and invoices[0].number not in listed
    assert "?invoices=2#invoices" in listed
    second = member_client.get(reverse("billing:index") + "?invoices=2").content.decode()
    assert invoices[0].number in invoices_section(second) and invoices[-1].number not in invoices_section(
        second
    )
    # The balance covers the whole history, not the page.
    assert f"You owe {PER_PAGE + 3}.00 €" in second
