"""The loan rules of hardware_provisioning.loans: borrow (request or direct),
approve, refuse, return, hand over, bulk moves."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from coin.members.models import Member
from hardware_provisioning import loans
from hardware_provisioning.models import Item, Loan

pytestmark = pytest.mark.django_db


def test_borrowing_is_a_request_that_an_admin_approves(item, member, site):
    loan = loans.borrow(member, item, location="Home")
    assert loan.state == Loan.State.REQUESTED and loan.end is None
    assert list(Item.objects.available()) == []  # the request reserves the item
    item.refresh_from_db()
    assert item.storage == site  # still on its shelf until the admin approves
    approved = loans.approve(loan, today=datetime.date(2026, 5, 4))
    assert approved.state == Loan.State.RUNNING and approved.start == datetime.date(2026, 5, 4)
    item.refresh_from_db()
    assert item.storage is None  # lent: not in storage
    with pytest.raises(ValidationError, match="Only a request can be approved"):
        loans.approve(loan)


def test_direct_loans_when_the_isp_allows_them(item, member, settings):
    settings.HARDWARE_DIRECT_LOANS = True
    loan = loans.borrow(member, item)
    assert loan.state == Loan.State.RUNNING
    item.refresh_from_db()
    assert item.storage is None


def test_only_members_borrow(item, member_factory):
    pending = member_factory(status=Member.Status.PENDING)
    with pytest.raises(ValidationError, match="Only members can borrow"):
        loans.borrow(pending, item)


def test_a_taken_item_cannot_be_borrowed_again(item, member, other_member):
    loans.borrow(member, item)
    with pytest.raises(ValidationError) as error:
        loans.borrow(other_member, item)
    assert error.value.message_dict == {"item": ["This item is already lent or requested."]}


def test_refusing_frees_the_item(item, member, other_member):
    loan = loans.refuse(loans.borrow(member, item))
    assert loan.state == Loan.State.REFUSED and loan.end is not None
    assert loans.borrow(other_member, item).state == Loan.State.REQUESTED


def test_returning_ends_the_loan_and_puts_the_item_back(item, member, other_site):
    loan = loans.open_loan(item, member, start=datetime.date(2026, 1, 10))
    ended = loans.end_loan(loan, storage=other_site, today=datetime.date(2026, 2, 1))
    assert (ended.state, ended.end) == (Loan.State.ENDED, datetime.date(2026, 2, 1))
    item.refresh_from_db()
    assert item.storage == other_site and item.state == "in_storage"
    with pytest.raises(ValidationError, match="already closed"):
        loans.end_loan(ended)


def test_returning_a_request_cancels_it(item, member):
    loan = loans.end_loan(loans.borrow(member, item))
    assert loan.state == Loan.State.CANCELLED


def test_hand_over_flow(item, member, other_member):
    loan = loans.open_loan(item, member, start=datetime.date(2026, 1, 10), location="Flat 3")
    offered = loans.offer_handover(loan, member, other_member.email.upper())
    assert offered.handover_to == other_member and offered.state == Loan.State.RUNNING
    new = loans.accept_handover(offered, other_member, today=datetime.date(2026, 3, 1))
    old = Loan.objects.get(pk=loan.pk)
    assert (old.state, old.end, old.handover_to) == (Loan.State.ENDED, datetime.date(2026, 3, 1), None)
    assert (new.member, new.state, new.start, new.item) == (
        other_member,
        Loan.State.RUNNING,
        datetime.date(2026, 3, 1),
        item,
    )
    assert item.loans.open().count() == 1
    with pytest.raises(ValidationError, match="not handed over to you"):
        loans.accept_handover(old, other_member)


def test_hand_over_by_exact_username_only(item, member, other_member, member_factory):
    loan = loans.open_loan(item, member)
    for wrong in ["domin", "DOMINIQUE", "nobody@example.org", "", "  "]:
        with pytest.raises(ValidationError) as error:
            loans.offer_handover(loan, member, wrong)
        assert list(error.value.message_dict) == ["recipient"]
    with pytest.raises(ValidationError, match="already hold"):
        loans.offer_handover(loan, member, member.username)
    resigned = member_factory(username="gone", status=Member.Status.NOT_MEMBER)
    with pytest.raises(ValidationError, match="No member"):
        loans.offer_handover(loan, member, resigned.username)
    assert loans.offer_handover(loan, member, "dominique").handover_to == other_member


def test_declined_or_withdrawn_hand_overs_leave_the_loan_alone(item, member, other_member, member_factory):
    third = member_factory(username="third")
    loan = loans.offer_handover(loans.open_loan(item, member), member, "dominique")
    with pytest.raises(ValidationError):
        loans.decline_handover(loan, third)
    assert loans.decline_handover(loan, other_member).handover_to is None
    loan = loans.offer_handover(loan, member, "dominique")
    assert loans.cancel_handover(loan, member).handover_to is None
    with pytest.raises(ValidationError):
        loans.accept_handover(loan, other_member)
    assert Loan.objects.get(pk=loan.pk).member == member


def test_only_the_holder_hands_over_a_running_loan(item, member, other_member):
    request = loans.borrow(member, item)
    with pytest.raises(ValidationError, match="Only a running loan"):
        loans.offer_handover(request, member, "dominique")
    with pytest.raises(ValidationError, match="Only a running loan"):
        loans.offer_handover(request, other_member, member.username)


def test_moving_items_leaves_lent_ones_in_place(make_item, member, site, other_site):
    stored, lent = make_item(), make_item()
    loans.open_loan(lent, member)
    moved, left = loans.move_items([stored, lent], other_site)
    assert (moved, left) == ([stored], [lent])
    stored.refresh_from_db()
    lent.refresh_from_db()
    assert stored.storage == other_site and lent.storage is None
