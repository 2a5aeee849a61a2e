"""Issue 14, point 10: "Validate" asks for confirmation before numbering and emailing
drafts; a draft shows the total of its lines, and reads "draft", not "to pay"."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from coin.billing.invoices import Line, insert_drafts
from coin.billing.models import Invoice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def staff_client(client, member_factory):
    admin = member_factory(username="admin", is_staff=True, is_superuser=True, status="not_member")
    client.force_login(admin)
    return client


@pytest.fixture
def draft(member):
    [invoice] = insert_drafts(
        [(member, [Line(label="Routeur", amount=Decimal("50.00"))])], timezone.localdate()
    )
    return invoice


CHANGELIST = reverse("admin:billing_invoice_changelist")


def test_validate_first_shows_what_will_be_validated(staff_client, draft):
    response = staff_client.post(CHANGELIST, {"action": "validate", "_selected_action": [draft.pk]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be undone" in page and "Yes, validate and send them" in page
    assert '<td class="total">50.00</td>' in page
    assert f'name="_selected_action" value="{draft.pk}"' in page and 'name="confirm" value="yes"' in page
    draft.refresh_from_db()
    assert draft.number is None and not mail.outbox  # nothing happened yet


def test_confirming_validates(staff_client, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            CHANGELIST, {"action": "validate", "_selected_action": [draft.pk], "confirm": "yes"}, follow=True
        )
    assert "1 invoice(s) validated" in response.content.decode()
    draft.refresh_from_db()
    assert draft.number is not None and draft.total == Decimal("50.00")


def test_a_draft_shows_the_total_of_its_lines_and_reads_draft(staff_client, draft):
    page = staff_client.get(reverse("admin:billing_invoice_change", args=[draft.pk])).content.decode()
    assert '<div class="readonly">50.00</div>' in page and '<div class="readonly">0.00</div>' not in page
    assert "draft" in page and ">to pay<" not in page
    listing = staff_client.get(CHANGELIST).content.decode()
    row = listing.split(f'href="/admin/billing/invoice/{draft.pk}/change/"')[1].split("</tr>")[0]
    assert '<td class="field-amount">50.00</td>' in row and '<td class="field-state">draft</td>' in row


def test_nothing_to_validate_says_so(staff_client, member, invoice_for):
    invoice = invoice_for(member, "8.00")
    response = staff_client.post(
        CHANGELIST, {"action": "validate", "_selected_action": [invoice.pk]}, follow=True
    )
    assert "No draft among the selected invoices." in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).number == invoice.number
