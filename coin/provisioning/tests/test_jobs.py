"""Two workers on one subject: the second leaves it to the first; a real database
error is not mistaken for that. A failed apply() is rolled back but its provisioner's
failed() hook keeps a record."""

import threading

import pytest
from django.db import OperationalError, connection, transaction

from coin.provisioning.base import Provisioner
from coin.provisioning.jobs import run_subject
from coin.provisioning.models import ProvisioningJob


def make_job(configuration) -> ProvisioningJob:
    return ProvisioningJob.objects.create(
        subject=f"configuration:{configuration.pk}",
        configuration=configuration,
        provisioner="tests.no.such.Provisioner",
        action="update",
        payload={},
    )


@pytest.fixture
def configuration(member):
    from coin.offers.models import Offer
    from coin.offers.subscriptions import subscribe

    offer = Offer.objects.create(name="ADSL", reference="DSL", configuration_type="simple_dsl.SimpleDSL")
    return subscribe(member=member, offer=offer).configuration


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_subject_locked_by_another_worker_is_left_to_it(configuration):
    job = make_job(configuration)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                ProvisioningJob.objects.select_for_update().get(pk=job.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    assert locked.wait(10)
    try:
        assert run_subject(job.subject) == 0  # does not wait, does not run it
    finally:
        release.set()
        worker.join(10)
    job.refresh_from_db()
    assert job.attempts == 0 and job.state == ProvisioningJob.State.PENDING


@pytest.mark.django_db
def test_a_database_error_is_not_taken_for_a_locked_subject(configuration, monkeypatch):
    job = make_job(configuration)

    def broken(*args, **kwargs):
        raise OperationalError("the server closed the connection")

    monkeypatch.setattr(ProvisioningJob.objects, "select_for_update", broken)
    with pytest.raises(OperationalError):
        run_subject(job.subject)


def marker(name: str) -> None:
    ProvisioningJob.objects.create(subject=f"marker:{name}", provisioner="-", payload={})


class FailingProvisioner(Provisioner):
    """Writes a marker then fails; its failed() hook writes another (or fails too)."""

    def snapshot(self, configuration, action):
        return {}

    def apply(self, action, payload):
        marker("apply")
        raise RuntimeError("far end down")

    def failed(self, action, payload, error):
        if payload.get("hook_fails"):
            raise RuntimeError("hook broken")
        marker(f"failed: {error}")


@pytest.mark.django_db
@pytest.mark.parametrize("hook_fails", [False, True])
def test_the_failed_hook_writes_after_the_rollback(configuration, hook_fails):
    job = make_job(configuration)
    job.provisioner = f"{__name__}.FailingProvisioner"
    job.payload = {"hook_fails": hook_fails}
    job.save()
    assert run_subject(job.subject) == 0
    job.refresh_from_db()
    assert job.state == ProvisioningJob.State.FAILED and job.last_error == "RuntimeError: far end down"
    markers = ProvisioningJob.objects.filter(subject__startswith="marker:")
    assert list(markers.values_list("subject", flat=True)) == (
        [] if hook_fails else ["marker:failed: far end down"]
    )
