"""The rules of the models: MAC addresses, dates in order, one open loan per item
(clean() and the database itself), clear errors naming the field."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from hardware_provisioning.mac import normalise_mac
from hardware_provisioning.models import Item, ItemState, Loan

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.mark.parametrize(
    "written",
    ["C0:4A:00:10:20:0F", "c0-4a-00-10-20-0f", "c04a.0010.200f", "c04a0010200f", " c0:4a:00:10:20:0f "],
)
def test_mac_addresses_are_normalised(written):
    assert normalise_mac(written) == "c0:4a:00:10:20:0f"


@pytest.mark.parametrize("bad", ["c0:4a:00:10:20", "zz:4a:00:10:20:0f", "c0:4a:00:10:20:0f:11", "hello"])
def test_a_wrong_mac_address_is_refused_naming_the_field(make_item, bad):
    with pytest.raises(ValidationError) as error:
        make_item(mac_address=bad)
    assert "mac_address" in error.value.message_dict
    assert "is not a MAC address" in error.value.message_dict["mac_address"][0]


def test_full_clean_stores_the_normal_form_and_refuses_a_duplicate(make_item):
    item = make_item(mac_address="AA-BB-CC-DD-EE-FF")
    assert Item.objects.get(pk=item.pk).mac_address == "aa:bb:cc:dd:ee:ff"
    with pytest.raises(ValidationError) as error:
        make_item(mac_address="aabb.ccdd.eeff")
    assert error.value.message_dict == {"mac_address": ["Another item has this MAC address."]}
    make_item(mac_address="")  # several items without a MAC are fine
    make_item(mac_address="")


def test_the_database_refuses_a_duplicate_mac(item):
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.create(type=item.type, designation="copy", mac_address=item.mac_address)


def test_warranty_cannot_end_before_the_buy_date(make_item, item):
    with pytest.raises(ValidationError) as error:
        make_item(buy_date=D(2025, 5, 1), warranty_end=D(2025, 4, 30))
    assert list(error.value.message_dict) == ["warranty_end"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.filter(pk=item.pk).update(buy_date=D(2025, 5, 1), warranty_end=D(2025, 4, 30))


def test_loan_dates_in_order(item, member):
    loan = Loan(item=item, member=member, start=D(2026, 3, 1), end=D(2026, 2, 1))
    with pytest.raises(ValidationError) as error:
        loan.full_clean()
    assert "end" in error.value.message_dict
    assert "cannot end before it starts" in error.value.message_dict["end"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(
            item=item, member=member, state=Loan.State.ENDED, start=D(2026, 3, 1), end=D(2026, 2, 1)
        )


def test_an_end_date_closes_the_loan_and_a_closed_loan_needs_one(item, member):
    loan = Loan(item=item, member=member, start=D(2026, 1, 1), end=D(2026, 2, 1))
    loan.full_clean()
    assert loan.state == Loan.State.ENDED
    closed = Loan(item=item, member=member, start=D(2026, 1, 1), state=Loan.State.ENDED)
    with pytest.raises(ValidationError) as error:
        closed.full_clean()
    assert error.value.message_dict == {"end": ["A closed loan needs its end date."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(item=item, member=member, state=Loan.State.ENDED, start=D(2026, 1, 1))


def test_one_open_loan_per_item_in_clean_and_in_the_database(item, member, other_member):
    Loan.objects.create(item=item, member=member)
    second = Loan(item=item, member=other_member)
    with pytest.raises(ValidationError) as error:
        second.full_clean()
    assert error.value.message_dict == {"item": ["This item is already lent or requested."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.create(item=item, member=other_member, state=Loan.State.REQUESTED)
    # Closed loans do not count: the history can hold many.
    Loan.objects.create(item=item, member=other_member, state=Loan.State.ENDED, end=datetime.date.today())
    assert item.loans.count() == 2


def test_a_deployed_item_is_not_lent_and_a_lent_item_is_not_deployed(make_item, member):
    deployed = make_item(deployed=True)
    with pytest.raises(ValidationError) as error:
        Loan(item=deployed, member=member).full_clean()
    assert "deployed in the network" in error.value.message_dict["item"][0]
    lent = make_item()
    Loan.objects.create(item=lent, member=member)
    lent.deployed = True
    with pytest.raises(ValidationError) as error:
        lent.full_clean()
    assert list(error.value.message_dict) == ["deployed"]


def test_a_subscription_of_another_member_is_refused(item, member, other_member, subscribe):
    subscription = subscribe(other_member)
    with pytest.raises(ValidationError) as error:
        Loan(item=item, member=member, subscription=subscription).full_clean()
    assert error.value.message_dict == {"subscription": ["This subscription belongs to another member."]}


def test_item_states(make_item, member):
    stored, lent, requested, deployed = make_item(), make_item(), make_item(), make_item(deployed=True)
    Loan.objects.create(item=lent, member=member)
    Loan.objects.create(item=requested, member=member, state=Loan.State.REQUESTED)
    annotated = {item.pk: item.state for item in Item.objects.with_loan_state()}
    assert annotated == {
        stored.pk: ItemState.IN_STORAGE,
        lent.pk: ItemState.LENT,
        requested.pk: ItemState.REQUESTED,
        deployed.pk: ItemState.DEPLOYED,
    }
    assert {item.pk: item.state for item in Item.objects.all()} == annotated  # without annotations
    assert list(Item.objects.available()) == [stored]
    for state in ItemState.values:
        assert [item.pk for item in Item.objects.in_state(state)] == [
            pk for pk, found in annotated.items() if found == state
        ]
