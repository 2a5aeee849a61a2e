from django.core.management.base import BaseCommand

from coin.provisioning.jobs import due_subjects, run_due_jobs
from coin.provisioning.models import ProvisioningJob


class Command(BaseCommand):
    help = (
        "Run the provisioning jobs that are due (failed ones whose retry time has come, "
        "or any the worker missed). The background worker normally does this; run it "
        "from cron as a safety net, or by hand after an outage."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only list the due jobs.")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            subjects = due_subjects()
            jobs = ProvisioningJob.objects.filter(subject__in=subjects).exclude(
                state=ProvisioningJob.State.DONE
            )
            for job in jobs.order_by("id"):
                self.stdout.write(f"would run: {job} ({job.get_state_display()})")
            self.stdout.write(f"{jobs.count()} job(s) due, none run (dry run).")
            return
        succeeded, remaining = run_due_jobs()
        self.stdout.write(f"{succeeded} job(s) done, {remaining} still unfinished.")
