from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coin.resources.zonefiles import INCLUDE_FILE, write_zone_files, zone_settings


class Command(BaseCommand):
    help = (
        "Write the reverse DNS zones of the IP pools as BIND zone files (PTR records set by members, "
        "delegations of members' subnets, RFC 2317 for IPv4 blocks smaller than a /24), plus a "
        f"{INCLUDE_FILE} file declaring them for named.conf. Unchanged zones keep their file and "
        "serial; run it from cron, then reload the name server if something changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, help="Folder of the zone files.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would change, write nothing.")

    def handle(self, *args, output: Path, dry_run: bool = False, **options):
        try:
            config = zone_settings()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if output.exists() and not output.is_dir():
            raise CommandError(f"{output} is not a folder.")
        results, include_status = write_zone_files(output, config, timezone.localdate(), dry_run=dry_run)
        prefix = "[dry run] " if dry_run else ""
        changed = 0
        for result in results:
            for warning in result.warnings:
                self.stderr.write(self.style.WARNING(f"{result.zone}: {warning}"))
            if result.status != "unchanged":
                changed += 1
            if result.status != "unchanged" or options["verbosity"] >= 2:
                self.stdout.write(
                    f"{prefix}{result.zone}: {result.status} (serial {result.serial}) {result.path}"
                )
        if include_status != "unchanged":
            self.stdout.write(f"{prefix}{output / INCLUDE_FILE}: {include_status}")
        self.stdout.write(
            self.style.SUCCESS(f"{prefix}{len(results)} reverse zone(s), {changed} changed.")
            if results
            else "No IP pool: no reverse zone to write."
        )
