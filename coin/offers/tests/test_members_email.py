"""``manage.py members_email``: the addresses a mailing-list software gets."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from coin.members.models import Member, MembershipFee
from coin.offers.mailing import member_emails

pytestmark = pytest.mark.django_db


def members_email() -> str:
    out = io.StringIO()
    call_command("members_email", stdout=out)
    return out.getvalue()


def test_prints_one_member_email_per_line_sorted(member_factory):
    member_factory(email="zoe@example.org")
    member_factory(email="alice@example.org")
    member_factory(email="marc@example.org")
    assert members_email() == "alice@example.org\nmarc@example.org\nzoe@example.org\n"


def test_only_members_by_status_not_by_fees(member_factory):
    member_factory(email="member@example.org")  # no fee: still a member
    pending = member_factory(email="pending@example.org", status=Member.Status.PENDING)
    former = member_factory(email="former@example.org", status=Member.Status.NOT_MEMBER)
    member_factory(email="disabled@example.org", is_active=False)
    # A fee covering today does not make a former member a member again.
    MembershipFee.objects.create(member=former, start_date=datetime.date.today())
    Member.objects.filter(pk=former.pk).update(status=Member.Status.NOT_MEMBER)
    Member.objects.filter(pk=pending.pk).update(status=Member.Status.PENDING)
    assert members_email() == "member@example.org\n"


def test_no_blank_lines_and_no_duplicates(member_factory):
    member_factory(email="")
    member_factory(email="   ")
    member_factory(email="shared@example.org")
    member_factory(email=" shared@example.org ")  # (a different case is refused now)
    member_factory(email=" other@example.org ")
    output = members_email()
    assert output == "other@example.org\nshared@example.org\n"
    assert list(member_emails()) == ["other@example.org", "shared@example.org"]


def test_nothing_printed_without_members(member_factory):
    member_factory(email="pending@example.org", status=Member.Status.PENDING)
    assert members_email() == ""


# --- Subscription filters -------------------------------------------------------

D = datetime.date


@pytest.fixture
def subscribed(member_factory):
    from coin.offers.models import Offer
    from coin.offers.subscriptions import subscribe

    vpn = Offer.objects.create(name="VPN", reference="VPN")
    dsl = Offer.objects.create(name="DSL", reference="DSL")
    people = {
        name: member_factory(username=name, email=f"{name}@example.org")
        for name in ["nosub", "vpn", "dsl", "resigned", "committed", "future"]
    }
    subscribe(member=people["vpn"], offer=vpn, subscription_date=D(2025, 1, 1))
    subscribe(member=people["dsl"], offer=dsl, subscription_date=D(2025, 1, 1))
    subscribe(
        member=people["resigned"], offer=vpn, subscription_date=D(2025, 1, 1), resign_date=D(2026, 1, 1)
    )
    subscribe(member=people["committed"], offer=dsl, subscription_date=D(2025, 6, 15), commitment=12)
    subscribe(member=people["future"], offer=vpn, subscription_date=D(2027, 1, 1))
    return people


def emails_for(*args) -> list[str]:
    out = io.StringIO()
    call_command("members_email", "--date", "2026-02-01", *args, stdout=out)
    return [line.split("@")[0] for line in out.getvalue().split()]


def test_subscribers_only(subscribed):
    assert emails_for("--subscribers") == ["committed", "dsl", "vpn"]


def test_subscribers_of_one_offer(subscribed):
    assert emails_for("--offer", "DSL") == ["committed", "dsl"]


def test_subscribers_within_their_commitment(subscribed):
    assert emails_for("--commitment") == ["committed"]  # 12 months from 2025-06-15: until 2026-06-14
    out = io.StringIO()
    call_command("members_email", "--date", "2026-06-14", "--commitment", stdout=out)
    assert out.getvalue().split() == ["committed@example.org"]
    out = io.StringIO()
    call_command("members_email", "--date", "2026-06-15", "--commitment", stdout=out)
    assert out.getvalue().split() == []


def test_unknown_offer_is_a_clear_error(subscribed):
    with pytest.raises(CommandError, match="--offer: no offer has the reference 'NOPE'"):
        call_command("members_email", "--offer", "NOPE")
