"""Recording provisioning jobs and running them in order, with retries.

Rules:
- a job is written in the transaction that changes the configuration, so a change
  and its job are saved together or not at all;
- jobs of one subject (one configuration, or another subject such as a member:
  ``schedule_subject``) run one at a time, oldest first; a failed
  job blocks the later ones of its subject until it succeeds, so the far end never
  sees changes out of order;
- a failed job is retried after backoff_delay(attempts), for ever: nothing is lost;
  its writes are rolled back, then its provisioner's ``failed()`` hook may record the
  attempt.
"""

import datetime
import functools
import logging
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import default_task_backend, task

from coin.provisioning.base import Provisioner
from coin.provisioning.models import ProvisioningJob

if TYPE_CHECKING:  # a type only: configuration sits above provisioning
    from django.db.models import QuerySet

    from coin.configuration.models import Configuration

logger = logging.getLogger(__name__)
State = ProvisioningJob.State


def subject_of(configuration: "Configuration") -> str:
    return f"configuration:{configuration.pk}"


def backoff_delay(attempts: int) -> datetime.timedelta:
    """10 s, 20 s, 40 s… doubling after each failed attempt, capped (one hour by default)."""
    base = settings.PROVISIONING_RETRY_BASE_SECONDS
    cap = settings.PROVISIONING_RETRY_MAX_SECONDS
    return datetime.timedelta(seconds=min(int(cap), int(base) * 2 ** max(0, attempts - 1)))


def schedule(configuration: "Configuration", action: str = "update") -> list[ProvisioningJob]:
    """Record one job per provisioner of the configuration's type (none if it has no
    backend) and have the worker run them once the transaction commits."""
    return schedule_subject(
        subject_of(configuration),
        configuration,
        type(configuration).provisioners,
        action,
        configuration=configuration,
    )


def schedule_subject(
    subject: str,
    target: object,
    provisioners: Sequence[str],
    action: str = "update",
    configuration: "Configuration | None" = None,
    skip_if_same_as_last: bool = False,
) -> list[ProvisioningJob]:
    """Record one job per provisioner for any ``subject`` (a stable name such as
    ``member:12``: its jobs run one at a time, oldest first), each provisioner's
    ``snapshot(target, action)`` as payload, and have the worker run them once the
    transaction commits. ``configuration`` links the jobs to a configuration when
    the subject is one. A job identical to the subject's last untried one is
    dropped; with ``skip_if_same_as_last``, also one identical to its last job
    whatever its state (the far end holds, or will hold, that state already)."""
    jobs = []
    for path in provisioners:
        payload = load_provisioner(path).snapshot(target, action)
        if _same_as_last(subject, path, action, payload, any_state=skip_if_same_as_last):
            continue
        jobs.append(
            ProvisioningJob.objects.create(
                subject=subject,
                configuration=configuration,
                provisioner=path,
                action=action,
                payload=payload,
            )
        )
    if jobs:
        _enqueue_on_commit(subject)
    return jobs


def load_provisioner(path: str) -> Provisioner:
    """The provisioner named by its dotted path (a configuration's ``provisioners``)."""
    found: Provisioner = import_string(path)()
    return found


def _same_as_last(
    subject: str, provisioner: str, action: str, payload: dict[str, Any], any_state: bool
) -> bool:
    """A job identical to the subject's last one that has not been tried yet adds
    nothing (e.g. several subnets of one configuration changed in one transaction);
    with ``any_state``, neither does one identical to its last job."""
    last = ProvisioningJob.objects.filter(subject=subject, provisioner=provisioner).order_by("-id").first()
    if last is None or last.action != action or last.payload != payload:
        return False
    return any_state or (last.state == State.PENDING and last.attempts == 0)


def enqueue(subject: str, run_after: datetime.datetime | None = None) -> None:
    """Ask the background worker to run the jobs of ``subject``. Backends that
    cannot defer a task leave retries to ``run_due_jobs`` (manage.py provisioning)."""
    if run_after is not None:
        if not default_task_backend.supports_defer:
            return
        run_subject_jobs.using(run_after=run_after).enqueue(subject)
    else:
        run_subject_jobs.enqueue(subject)


def _next_job(subject: str) -> ProvisioningJob | None:
    """The oldest unfinished job of the subject, locked; None if there is none or if
    another worker holds it (that worker carries on with the subject)."""
    try:
        return (
            ProvisioningJob.objects.select_for_update(nowait=True)
            .filter(subject=subject)
            .exclude(state=State.DONE)
            .order_by("id")
            .first()
        )
    except OperationalError as error:
        if not _is_lock_not_available(error):
            raise
        return None


def _is_lock_not_available(error: OperationalError) -> bool:
    """``NOWAIT`` found the row locked (PostgreSQL's SQLSTATE 55P03); any other
    database error is a real failure and must not pass for "nothing to run"."""
    return getattr(error.__cause__, "pgcode", None) == "55P03"


def run_job(job: ProvisioningJob, now: datetime.datetime) -> bool:
    """Apply one job; record the outcome on it. True when it succeeded."""
    job.attempts += 1
    provisioner = None
    try:
        with transaction.atomic():
            provisioner = load_provisioner(job.provisioner)
            provisioner.apply(job.action, job.payload)
    except Exception as error:
        if provisioner is not None:
            _after_failure(provisioner, job, error)
        job.state = State.FAILED
        job.last_error = "".join(traceback.format_exception_only(error)).strip()
        job.next_attempt_at = now + backoff_delay(job.attempts)
        job.save(update_fields=["attempts", "state", "last_error", "next_attempt_at"])
        logger.warning("Provisioning %s failed (attempt %d): %s", job, job.attempts, job.last_error)
        return False
    job.state = State.DONE
    job.done_at = now
    job.save(update_fields=["attempts", "state", "done_at"])
    return True


def _after_failure(provisioner: Provisioner, job: ProvisioningJob, error: Exception) -> None:
    """The provisioner's ``failed()`` hook, in its own savepoint: if it fails too, the
    job is still marked failed."""
    try:
        with transaction.atomic():
            provisioner.failed(job.action, job.payload, error)
    except Exception:
        logger.exception("Provisioning %s: the failure hook of %s failed", job, job.provisioner)


def _enqueue_on_commit(subject: str, run_after: datetime.datetime | None = None) -> None:
    """``enqueue`` once the current transaction commits."""
    transaction.on_commit(functools.partial(enqueue, subject, run_after))


def run_subject(subject: str, now: datetime.datetime | None = None) -> int:
    """Run the due jobs of one subject in order; return how many succeeded."""
    succeeded = 0
    while True:
        current = now or timezone.now()
        with transaction.atomic():
            job = _next_job(subject)
            if job is None:
                return succeeded
            if job.next_attempt_at > current:
                _enqueue_on_commit(subject, job.next_attempt_at)
                return succeeded
            if not run_job(job, current):
                _enqueue_on_commit(subject, job.next_attempt_at)
                return succeeded
            succeeded += 1


@task()
def run_subject_jobs(subject: str) -> int:
    """Background worker entry point: run the due jobs of one subject. It lives with
    the queue that enqueues it, so that the queue and its task import nothing of
    each other."""
    return run_subject(subject)


def due_subjects(now: datetime.datetime | None = None) -> list[str]:
    now = now or timezone.now()
    return list(
        ProvisioningJob.objects.exclude(state=State.DONE)
        .filter(next_attempt_at__lte=now)
        .order_by("subject")
        .values_list("subject", flat=True)
        .distinct()
    )


def run_due_jobs(now: datetime.datetime | None = None) -> tuple[int, int]:
    """Run every due job (the safety net run from cron or by hand).
    Returns (jobs that succeeded, jobs still unfinished)."""
    succeeded = sum(run_subject(subject, now) for subject in due_subjects(now))
    remaining = ProvisioningJob.objects.exclude(state=State.DONE).count()
    return succeeded, remaining


def retry_now(jobs: "QuerySet[ProvisioningJob]") -> int:
    """Make unfinished jobs due at once (admin action) and wake the worker."""
    unfinished = jobs.exclude(state=State.DONE)
    subjects = set(unfinished.values_list("subject", flat=True))
    count = unfinished.update(next_attempt_at=timezone.now())
    for subject in subjects:
        _enqueue_on_commit(subject)
    return count


def replay(jobs: "QuerySet[ProvisioningJob]") -> int:
    """Push finished jobs again, as new jobs with the same payload (admin action)."""
    copies = [
        ProvisioningJob.objects.create(
            subject=job.subject,
            configuration=job.configuration,
            provisioner=job.provisioner,
            action=job.action,
            payload=job.payload,
        )
        for job in jobs.filter(state=State.DONE).order_by("id")
    ]
    for subject in {job.subject for job in copies}:
        _enqueue_on_commit(subject)
    return len(copies)
