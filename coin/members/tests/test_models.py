import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from coin.members.membership import record_fee, register_member, save_member
from coin.members.models import Member, MembershipFee

pytestmark = pytest.mark.django_db


def test_username_is_generated_from_the_name_and_stays_unique():
    first = Member.objects.create(first_name="Élodie", last_name="Lefèvre-Nuñez")
    second = Member.objects.create(first_name="Eric", last_name="Lefevre Nunez")
    assert first.username == "elefevrenunez"
    assert second.username == "elefevrenunez2"


def test_generated_username_differs_from_existing_ones_in_any_case():
    Member.objects.create(username="JDupont", first_name="Jacques", last_name="Dupont")
    Member.objects.create(username="jdupont2", first_name="Julie", last_name="Dupont")
    member = Member.objects.create(first_name="Jeanne", last_name="Dupont")
    assert member.username == "jdupont3"


def test_saving_a_member_again_keeps_the_generated_username():
    member = Member.objects.create(first_name="Jeanne", last_name="Dupont")
    member.city = "Lyon"
    member.save()
    member.refresh_from_db()
    assert member.username == "jdupont"


def test_legal_entity_username_comes_from_the_organization():
    member = Member.objects.create(type=Member.Type.LEGAL_ENTITY, organization_name="Café La Rotonde")
    assert member.username == "cafelarotonde"


def test_a_given_username_is_kept():
    assert Member.objects.create(username="jdoe", first_name="X", last_name="Y").username == "jdoe"


def test_a_person_needs_first_and_last_name():
    with pytest.raises(ValidationError) as error:
        Member(username="x", type=Member.Type.NATURAL_PERSON).full_clean()
    assert set(error.value.message_dict) >= {"first_name", "last_name"}


def test_a_legal_entity_needs_an_organization_name():
    with pytest.raises(ValidationError) as error:
        Member(username="x", type=Member.Type.LEGAL_ENTITY).full_clean()
    assert "organization_name" in error.value.message_dict


def test_fee_lasts_one_year_date_to_date_by_default(member):
    fee = MembershipFee.objects.create(member=member, start_date=datetime.date(2026, 3, 15))
    assert fee.end_date == datetime.date(2027, 3, 14)
    assert fee.amount == Decimal("20.00")


def test_fee_starting_on_29_february_ends_on_27_february():
    member = Member.objects.create(first_name="A", last_name="B")
    fee = MembershipFee.objects.create(member=member, start_date=datetime.date(2028, 2, 29))
    assert fee.end_date == datetime.date(2029, 2, 27)


def test_fee_end_before_start_is_refused_with_the_field_named(member):
    fee = MembershipFee(
        member=member, start_date=datetime.date(2026, 3, 15), end_date=datetime.date(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as error:
        fee.full_clean()
    assert "end_date" in error.value.message_dict


def test_up_to_date_when_a_fee_covers_the_day(member):
    MembershipFee.objects.create(member=member, start_date=datetime.date(2026, 1, 1))
    assert member.is_up_to_date(datetime.date(2026, 12, 31))
    assert not member.is_up_to_date(datetime.date(2027, 1, 1))
    assert member.membership_end_date() == datetime.date(2026, 12, 31)


def test_recording_a_fee_makes_a_pending_member_a_member_and_welcomes_once(
    django_capture_on_commit_callbacks,
):
    member = Member.objects.create(first_name="Sacha", last_name="Petit", email="s@example.org")
    assert member.status == Member.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        record_fee(MembershipFee(member=member, start_date=datetime.date(2026, 1, 1)))
    member.refresh_from_db()
    assert member.status == Member.Status.MEMBER
    assert [m.to for m in mail.outbox] == [["s@example.org"]]
    with django_capture_on_commit_callbacks(execute=True):
        record_fee(MembershipFee(member=member, start_date=datetime.date(2027, 1, 1)))
        member.first_name = "Sasha"
        save_member(member)
    assert len(mail.outbox) == 1


def test_saving_rows_alone_neither_promotes_nor_welcomes(django_capture_on_commit_callbacks):
    """``save()`` keeps to its own row: becoming a member and the welcome are the
    services' (coin.members.membership)."""
    with django_capture_on_commit_callbacks(execute=True):
        member = Member.objects.create(
            first_name="Lou", last_name="B", email="lou@example.org", status=Member.Status.MEMBER
        )
        pending = Member.objects.create(first_name="Sacha", last_name="Petit", email="s@example.org")
        MembershipFee.objects.create(member=pending, start_date=datetime.date(2026, 1, 1))
    pending.refresh_from_db()
    assert pending.status == Member.Status.PENDING
    assert member.pk and mail.outbox == []


def test_a_member_whose_status_becomes_member_is_welcomed_once(django_capture_on_commit_callbacks):
    member = Member.objects.create(first_name="Lou", last_name="B", email="lou@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        save_member(member)  # still pending
    assert mail.outbox == []
    stale = Member.objects.get(pk=member.pk)
    member.status = Member.Status.MEMBER
    with django_capture_on_commit_callbacks(execute=True):
        save_member(member)
        stale.status = Member.Status.MEMBER
        save_member(stale)  # the stored row decides, not the stale instance
    assert [m.to for m in mail.outbox] == [["lou@example.org"]]


def test_register_member_takes_only_new_accounts(member):
    with pytest.raises(ValueError):
        register_member(member)


def test_welcome_email_comes_from_the_administrative_address(isp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register_member(
            Member(first_name="Lou", last_name="B", email="lou@example.org", status=Member.Status.MEMBER)
        )
    assert mail.outbox[0].from_email == "ARLP <tresorerie@arlp.example>"
    assert "Association Réseau Libre du Plateau" in mail.outbox[0].body


def test_without_administrative_email_the_default_sender_is_used(isp, django_capture_on_commit_callbacks):
    isp.administrative_email = ""
    isp.save()
    with django_capture_on_commit_callbacks(execute=True):
        register_member(
            Member(first_name="Lou", last_name="B", email="lou@example.org", status=Member.Status.MEMBER)
        )
    assert mail.outbox[0].from_email == "coin@isp.example"
