"""A far end that is down loses nothing: saves succeed, jobs wait and retry in
order, and the far end ends up in the right state."""

import datetime

import pytest
from django.utils import timezone

from coin.offers.subscriptions import subscribe
from coin.provisioning.jobs import backoff_delay, retry_now, run_due_jobs
from coin.provisioning.models import ProvisioningJob

pytestmark = pytest.mark.django_db
State = ProvisioningJob.State


def change_outlet(line, outlet, capture):
    with capture(execute=True):
        line.optical_outlet = outlet
        line.save()


def test_far_end_down_then_up(member, fiber_offer, inventory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscribe(member=member, offer=fiber_offer)
    line = subscription.configuration
    change_outlet(line, "PTO-1", django_capture_on_commit_callbacks)
    change_outlet(line, "PTO-2", django_capture_on_commit_callbacks)

    jobs = list(ProvisioningJob.objects.order_by("id"))
    assert [job.payload["outlet"] for job in jobs] == ["", "PTO-1", "PTO-2"]
    assert jobs[0].state == State.FAILED and "Connection refused" in jobs[0].last_error
    assert jobs[0].attempts == 1
    # Later jobs wait behind the failed one instead of overtaking it.
    assert [job.state for job in jobs[1:]] == [State.PENDING, State.PENDING]
    assert all(job.attempts == 0 for job in jobs[1:])

    # Still down at the retry: one more attempt, and a longer wait.
    later = timezone.now() + datetime.timedelta(hours=2)
    assert run_due_jobs(now=later) == (0, 3)
    jobs[0].refresh_from_db()
    assert jobs[0].attempts == 2
    assert jobs[0].next_attempt_at == later + backoff_delay(2)

    inventory.up()
    assert run_due_jobs(now=later + datetime.timedelta(hours=2)) == (3, 0)
    assert [(method, body["outlet"]) for method, _line, body in inventory.requests] == [
        ("PUT", ""),
        ("PUT", "PTO-1"),
        ("PUT", "PTO-2"),
    ]
    assert inventory.lines[str(line.pk)]["outlet"] == "PTO-2"
    assert set(ProvisioningJob.objects.values_list("state", flat=True)) == {State.DONE}


def test_far_end_up_runs_at_once_and_delete_is_pushed(
    member, fiber_offer, inventory, django_capture_on_commit_callbacks
):
    inventory.up()
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscribe(member=member, offer=fiber_offer)
    line_id = str(subscription.configuration.pk)
    assert line_id in inventory.lines
    with django_capture_on_commit_callbacks(execute=True):
        subscription.configuration.delete()
    assert line_id not in inventory.lines
    assert inventory.requests[-1][:2] == ("DELETE", line_id)
    deletion = ProvisioningJob.objects.get(action="delete")
    assert deletion.state == State.DONE and deletion.configuration is None


def test_deleting_the_subscription_pushes_the_deletion_of_its_configuration(
    member, fiber_offer, inventory, django_capture_on_commit_callbacks
):
    """The cascade from the subscription never calls Configuration.delete(): the
    delete job is recorded all the same, once, detached from the deleted row."""
    inventory.up()
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscribe(member=member, offer=fiber_offer)
    line_id = str(subscription.configuration.pk)
    with django_capture_on_commit_callbacks(execute=True):
        subscription.delete()
    assert line_id not in inventory.lines
    assert inventory.requests[-1][:2] == ("DELETE", line_id)
    [deletion] = ProvisioningJob.objects.filter(action="delete")
    assert deletion.state == State.DONE and deletion.configuration is None
    assert deletion.subject == f"configuration:{line_id}"


def test_a_bulk_delete_of_configurations_pushes_each_deletion(
    member, other_member, fiber_offer, inventory, django_capture_on_commit_callbacks
):
    """``QuerySet.delete()`` (the admin's bulk action) records a delete job per
    configuration, as ``delete()`` does."""
    from coin.configuration.models import Configuration

    inventory.up()
    with django_capture_on_commit_callbacks(execute=True):
        lines = [subscribe(member=owner, offer=fiber_offer).configuration for owner in (member, other_member)]
    with django_capture_on_commit_callbacks(execute=True):
        Configuration.objects.filter(pk__in=[line.pk for line in lines]).delete()
    assert inventory.lines == {}
    deletions = ProvisioningJob.objects.filter(action="delete").order_by("subject")
    assert sorted(job.subject for job in deletions) == sorted(f"configuration:{line.pk}" for line in lines)
    assert {(job.state, job.configuration_id) for job in deletions} == {(State.DONE, None)}


def test_jobs_of_one_configuration_never_overtake_each_other_across_configurations(
    member, other_member, fiber_offer, inventory, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = subscribe(member=member, offer=fiber_offer).configuration
    inventory.up()
    # The first configuration's job failed while the far end was down; a second
    # configuration is independent and goes through at once.
    with django_capture_on_commit_callbacks(execute=True):
        second = subscribe(member=other_member, offer=fiber_offer).configuration
    assert str(second.pk) in inventory.lines and str(first.pk) not in inventory.lines
    # A new change of the first one waits behind its failed job…
    change_outlet(first, "PTO-9", django_capture_on_commit_callbacks)
    assert str(first.pk) not in inventory.lines
    # …until an admin retries now.
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_now(ProvisioningJob.objects.all()) == 2
    assert inventory.lines[str(first.pk)]["outlet"] == "PTO-9"


def test_admin_shows_state_and_error_and_retries(
    admin_client, member, fiber_offer, inventory, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(member=member, offer=fiber_offer)
    page = admin_client.get(
        "/admin/provisioning/provisioningjob/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "failed, will retry" in page and "Connection refused" in page
    inventory.up()
    job = ProvisioningJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/provisioning/provisioningjob/",
            {"action": "retry_selected_now", "_selected_action": [job.pk]},
        )
    job.refresh_from_db()
    assert job.state == State.DONE
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/provisioning/provisioningjob/",
            {"action": "replay_selected", "_selected_action": [job.pk]},
        )
    assert ProvisioningJob.objects.filter(state=State.DONE).count() == 2
    assert len(inventory.requests) == 2


def test_backoff_doubles_and_is_capped(settings):
    settings.PROVISIONING_RETRY_BASE_SECONDS = 10
    settings.PROVISIONING_RETRY_MAX_SECONDS = 3600
    assert [backoff_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff_delay(30).total_seconds() == 3600


def test_provisioning_command_dry_run_and_run(
    member, fiber_offer, inventory, django_capture_on_commit_callbacks
):
    from io import StringIO

    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=True):
        subscribe(member=member, offer=fiber_offer)
    ProvisioningJob.objects.update(next_attempt_at=timezone.now())
    out = StringIO()
    call_command("provisioning", "--dry-run", stdout=out)
    assert "1 job(s) due, none run (dry run)." in out.getvalue()
    assert not inventory.requests
    inventory.up()
    out = StringIO()
    call_command("provisioning", stdout=out)
    assert "1 job(s) done, 0 still unfinished." in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_and_defers_retries(member, fiber_offer, inventory, settings):
    """With the production backend (django-tasks-db), a change is queued in the
    database, the worker (manage.py db_worker) pushes it, and a failure is queued
    again for later instead of being lost."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    line = subscribe(member=member, offer=fiber_offer).configuration
    assert DBTaskResult.objects.count() == 1  # queued, nothing pushed yet
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job = ProvisioningJob.objects.get()
    assert job.state == State.FAILED
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == job.next_attempt_at

    inventory.up()
    # Time passes: the retry becomes due.
    ProvisioningJob.objects.update(next_attempt_at=timezone.now())
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.state == State.DONE
    assert inventory.lines[str(line.pk)]["outlet"] == ""


def test_an_identical_unstarted_job_is_not_recorded_twice(member, fiber_offer):
    line = subscribe(member=member, offer=fiber_offer).configuration
    line.save()  # nothing changed: the pending job already says it all
    assert ProvisioningJob.objects.count() == 1
    line.optical_outlet = "PTO-3"
    line.save()
    line.save()
    assert [job.payload["outlet"] for job in ProvisioningJob.objects.order_by("id")] == ["", "PTO-3"]


def test_a_provisioner_must_implement_snapshot_and_apply():
    from coin.provisioning.base import Provisioner

    class Incomplete(Provisioner):
        def snapshot(self, configuration, action):
            return {}

    with pytest.raises(TypeError, match="apply"):
        Incomplete()
