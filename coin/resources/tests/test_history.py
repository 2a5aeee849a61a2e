"""Assignment history and its retention."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from coin.resources.allocation import allocate_subnet
from coin.resources.history import RetentionError, holders_at, purge_cutoff
from coin.resources.models import IPSubnet, IPSubnetAssignment

pytestmark = pytest.mark.django_db


def test_attaching_opens_and_detaching_closes_an_entry(pool_v4, configuration, member):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    entry = IPSubnetAssignment.objects.get()
    assert (str(entry.inet), entry.end, entry.member_username) == ("192.0.2.0/32", None, member.username)
    assert entry.subscription == configuration.offersubscription
    assert entry.subscription_reference == configuration.offersubscription.reference
    assert entry.configuration_description == str(configuration)
    subnet.configuration = None
    subnet.save()
    entry.refresh_from_db()
    assert entry.end is not None
    assert IPSubnetAssignment.objects.count() == 1


def test_unassigned_subnets_leave_no_history(pool_v4):
    allocate_subnet(pool_v4)
    assert not IPSubnetAssignment.objects.exists()


def test_changing_hands_or_address_starts_a_new_entry(
    pool_v4, configuration, other_configuration, other_member
):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    subnet.configuration = other_configuration
    subnet.save()
    subnet.inet = "192.0.2.77/32"
    subnet.save()
    entries = list(IPSubnetAssignment.objects.order_by("id"))
    assert [(str(e.inet), e.member_username, e.end is None) for e in entries] == [
        ("192.0.2.0/32", "camille", False),
        ("192.0.2.0/32", other_member.username, False),
        ("192.0.2.77/32", other_member.username, True),
    ]


def test_entries_survive_the_subnet_and_the_subscription(pool_v4, configuration):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    reference = configuration.offersubscription.reference
    subnet.delete()
    entry = IPSubnetAssignment.objects.get()
    assert entry.end is not None and entry.subnet is None
    second = allocate_subnet(pool_v4, configuration=configuration)
    configuration.offersubscription.delete()
    assert IPSubnet.objects.get(pk=second.pk).configuration is None
    entries = IPSubnetAssignment.objects.order_by("id")
    assert all(e.end is not None for e in entries)
    assert [e.subscription_reference for e in entries] == [reference, reference]
    assert all(e.subscription is None and e.configuration is None for e in entries)


def test_who_held_an_address_at_a_given_time(pool_v4, configuration, other_configuration):
    subnet = allocate_subnet(pool_v4, configuration=configuration, prefixlen=30)
    before_move = timezone.now()
    subnet.configuration = other_configuration
    subnet.save()
    assert [e.member_username for e in holders_at("192.0.2.2", before_move)] == ["camille"]
    assert [e.member_username for e in holders_at("192.0.2.2", timezone.now())] == ["dominique"]
    assert not holders_at("192.0.2.9", timezone.now()).exists()


# --- Retention -----------------------------------------------------------------------------


NOW = datetime.datetime(2025, 6, 15, 12, 0, tzinfo=datetime.UTC)


def test_purge_cutoff_is_the_retention_period_ago():
    assert purge_cutoff(NOW, 365) == NOW - datetime.timedelta(days=365)


def test_purge_cutoff_may_be_earlier_but_never_inside_the_retention_period():
    assert purge_cutoff(NOW, 365, datetime.date(2024, 1, 1)).date() == datetime.date(2024, 1, 1)
    with pytest.raises(RetentionError, match="must be kept"):
        purge_cutoff(NOW, 365, datetime.date(2025, 1, 1))


def _entry(pool, end_days_ago, name):
    now = timezone.now()
    end = None if end_days_ago is None else now - datetime.timedelta(days=end_days_ago)
    return IPSubnetAssignment.objects.create(
        inet=name, start=now - datetime.timedelta(days=800), end=end, subscription_reference=name
    )


def test_purge_command_deletes_only_entries_ended_before_the_retention(pool_v4, settings):
    settings.IP_HISTORY_RETENTION_DAYS = 365
    _entry(pool_v4, 400, "192.0.2.1/32")
    _entry(pool_v4, 366, "192.0.2.2/32")
    _entry(pool_v4, 364, "192.0.2.3/32")
    _entry(pool_v4, None, "192.0.2.4/32")  # still ongoing, however old its start
    out = io.StringIO()
    call_command("purge_ip_history", "--dry-run", stdout=out)
    assert "2 history" in out.getvalue() and "would be deleted" in out.getvalue()
    assert IPSubnetAssignment.objects.count() == 4
    call_command("purge_ip_history", stdout=out)
    assert sorted(e.subscription_reference for e in IPSubnetAssignment.objects.all()) == [
        "192.0.2.3/32",
        "192.0.2.4/32",
    ]
    out = io.StringIO()
    call_command("purge_ip_history", stdout=out)  # idempotent
    assert "0 history" in out.getvalue()


def test_purge_command_before_a_date(pool_v4):
    _entry(pool_v4, 1000, "192.0.2.1/32")
    _entry(pool_v4, 400, "192.0.2.2/32")
    before = (timezone.now() - datetime.timedelta(days=700)).date()
    call_command("purge_ip_history", "--before", before.isoformat(), stdout=io.StringIO())
    assert [e.subscription_reference for e in IPSubnetAssignment.objects.all()] == ["192.0.2.2/32"]
    with pytest.raises(CommandError, match="must be kept"):
        call_command("purge_ip_history", "--before", timezone.localdate().isoformat())
    with pytest.raises(CommandError, match="not a date"):
        call_command("purge_ip_history", "--before", "yesterday")
