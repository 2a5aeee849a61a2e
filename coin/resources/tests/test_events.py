"""subnet_event(): after commit, once per change and configuration."""

import pytest
from django.db import transaction
from django.urls import reverse

from coin.resources.allocation import allocate_subnet
from coin.resources.models import IPSubnet

pytestmark = pytest.mark.django_db


def test_event_fires_after_commit_not_before(
    pool_v4, configuration, subnet_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        allocate_subnet(pool_v4, configuration=configuration)
        assert subnet_events == []  # not yet: the transaction is not committed
    assert subnet_events == [configuration.pk]


def test_several_changes_in_one_transaction_make_one_event(
    pool_v4, pool_v6, configuration, subnet_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            first = allocate_subnet(pool_v4, configuration=configuration)
            allocate_subnet(pool_v6, configuration=configuration)
            first.inet = "192.0.2.200/32"
            first.save()
    assert subnet_events == [configuration.pk]


def test_add_modify_and_delete_each_fire(
    pool_v4, configuration, subnet_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subnet = allocate_subnet(pool_v4, configuration=configuration)
    with django_capture_on_commit_callbacks(execute=True):
        subnet.inet = "192.0.2.9/32"
        subnet.save()
    with django_capture_on_commit_callbacks(execute=True):
        subnet.delete()
    assert subnet_events == [configuration.pk] * 3


def test_saving_unchanged_fires_nothing(
    pool_v4, configuration, subnet_events, django_capture_on_commit_callbacks
):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    with django_capture_on_commit_callbacks(execute=True):
        IPSubnet.objects.get(pk=subnet.pk).save()
    assert subnet_events == []


def test_moving_a_subnet_tells_both_configurations(
    pool_v4, configuration, other_configuration, subnet_events, django_capture_on_commit_callbacks
):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    with django_capture_on_commit_callbacks(execute=True):
        subnet.configuration = other_configuration
        subnet.save()
    assert sorted(subnet_events) == sorted([configuration.pk, other_configuration.pk])


def test_unassigned_subnets_fire_nothing(pool_v4, subnet_events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        allocate_subnet(pool_v4).delete()
    assert subnet_events == []


def test_a_rolled_back_change_fires_nothing(
    pool_v4, configuration, subnet_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                allocate_subnet(pool_v4, configuration=configuration)
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert subnet_events == []
    assert not IPSubnet.objects.exists()


def test_queryset_delete_fires_once_per_configuration(
    pool_v4, configuration, other_configuration, subnet_events, django_capture_on_commit_callbacks
):
    for _ in range(3):
        allocate_subnet(pool_v4, configuration=configuration)
    allocate_subnet(pool_v4, configuration=other_configuration)
    with django_capture_on_commit_callbacks(execute=True):
        IPSubnet.objects.all().delete()
    assert sorted(subnet_events) == sorted([configuration.pk, other_configuration.pk])


def test_bulk_delete_from_the_admin_fires_events(
    admin_client,
    pool_v4,
    configuration,
    other_configuration,
    subnet_events,
    django_capture_on_commit_callbacks,
):
    subnets = [allocate_subnet(pool_v4, configuration=configuration) for _ in range(3)]
    subnets.append(allocate_subnet(pool_v4, configuration=other_configuration))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:resources_ipsubnet_changelist"),
            {"action": "delete_selected", "_selected_action": [s.pk for s in subnets], "post": "yes"},
        )
    assert response.status_code == 302
    assert not IPSubnet.objects.exists()
    assert sorted(subnet_events) == sorted([configuration.pk, other_configuration.pk])


def test_deleting_a_configuration_detaches_its_subnets_quietly(
    pool_v4, configuration, subnet_events, django_capture_on_commit_callbacks
):
    subnet = allocate_subnet(pool_v4, configuration=configuration)
    with django_capture_on_commit_callbacks(execute=True):
        configuration.offersubscription.delete()
    subnet.refresh_from_db()
    assert subnet.configuration_id is None  # still allocated, free to reassign
    assert subnet_events == []


def test_a_failing_event_does_not_break_the_change(
    pool_v4, configuration, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from coin.configuration.models import Configuration

    def broken(self):
        raise ConnectionError("backend down")

    monkeypatch.setattr(Configuration, "subnet_event", broken)
    with django_capture_on_commit_callbacks(execute=True):
        subnet = allocate_subnet(pool_v4, configuration=configuration)
    assert IPSubnet.objects.filter(pk=subnet.pk).exists()
    assert "backend down" in caplog.text


def test_subnet_changes_record_the_push_in_their_own_transaction(
    pool_v4, pool_v6, make_offer, make_subscription, django_capture_on_commit_callbacks
):
    """coin_fiber's provisioner snapshots configuration.ip_subnet. The jobs are
    written before the commit (no after-commit callback runs here), so a crash
    right after the commit cannot lose them; the last one lists both subnets."""
    from coin.provisioning.models import ProvisioningJob

    offer = make_offer("coin_fiber.FiberLine", pools=[pool_v4, pool_v6])
    with django_capture_on_commit_callbacks(execute=False):
        subscription = make_subscription(offer)
    jobs = list(ProvisioningJob.objects.filter(configuration=subscription.configuration).order_by("id"))
    assert jobs[0].payload["subnets"] == []  # the configuration's creation
    assert jobs[-1].payload["subnets"] == ["192.0.2.0/32", "2001:db8::/56"]
    assert all(job.state == ProvisioningJob.State.PENDING for job in jobs)
