from django.core.management.base import BaseCommand

from coin.members.mailing import member_emails


class Command(BaseCommand):
    help = (
        "Print the email address of every member (status 'member'), one per line, for mailing-list software."
    )

    def handle(self, *args, **options):
        for email in member_emails():
            self.stdout.write(email)
