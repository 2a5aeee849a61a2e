from django_tasks import task

from coin.provisioning.jobs import run_subject


@task()
def run_subject_jobs(subject: str) -> int:
    """Background worker entry point: run the due jobs of one configuration."""
    return run_subject(subject)
