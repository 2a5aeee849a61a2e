from django.core.management.base import BaseCommand

from coa.accounting import rollup


class Command(BaseCommand):
    help = (
        "Add the traffic that FreeRADIUS's radacct counted since the last run to the daily table "
        "the member and admin pages read. Idempotent; run it every few minutes from cron or a timer."
    )

    def handle(self, *args, **options):
        report = rollup()
        self.stdout.write(
            f"{report.rows_read} radacct row(s) read, {report.days_touched} login-day(s) updated."
        )
