import secrets

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from coin.apps import has_module
from coin.members.models import Member


class Command(BaseCommand):
    help = (
        "Fill a fresh database with a small demo ISP: an admin account (its password is "
        "printed), members, fees and the ISP's identity. Each installed app adds its own "
        "part from its demo.load() function. Does nothing if demo data is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-admin-password",
            action="store_true",
            help="Give the 'admin' account a new random password and print it.",
        )

    def handle(self, *args, reset_admin_password=False, **options):
        with transaction.atomic():
            admin = Member.objects.filter(username="admin").first()
            password = None
            if admin is None:
                password = secrets.token_urlsafe(12)
                Member.objects.create_superuser(
                    "admin",
                    "admin@isp.example",
                    password,
                    first_name="Admin",
                    last_name="Coin",
                    status=Member.Status.NOT_MEMBER,
                )
                self.load_apps()
            elif reset_admin_password:
                password = secrets.token_urlsafe(12)
                admin.set_password(password)
                admin.save(update_fields=["password"])
            else:
                self.stdout.write("Demo data already loaded; nothing to do.")
        if password:
            self.stdout.write(
                self.style.SUCCESS(
                    "\nCoin demo: http://127.0.0.1:8000/  (admin: http://127.0.0.1:8000/admin/)\n"
                    f"  login: admin   password: {password}\n"
                    "  demo members log in with their username and the password 'demo-member-pw'\n"
                )
            )

    def load_apps(self) -> None:
        for config in apps.get_app_configs():
            if has_module(f"{config.name}.demo"):
                import_string(f"{config.name}.demo.load")(self.stdout)
