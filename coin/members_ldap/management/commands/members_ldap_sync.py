from django.core.management.base import BaseCommand, CommandError

from coin.ldap.commands import connect_or_fail, repair_with_progress, report_repair
from coin.members_ldap import conf, directory, sync


class Command(BaseCommand):
    help = (
        "Compare the members with their LDAP entries (MEMBERS_LDAP_BASE_DN) and repair the drift: add "
        "missing entries, fix changed ones, make the members' group exact. Entries that only LDAP has are "
        "reported, not deleted; members with no LDAP password yet are listed. Safe to run again (daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Show the drift without repairing it.")

    def handle(self, *args, dry_run=False, verbosity=1, **options):
        if not conf.enabled():
            raise CommandError(
                "Members in LDAP are off: set MEMBERS_LDAP_BASE_DN (and LDAP_ACTIVATE not False)."
            )
        connection = connect_or_fail()
        try:
            try:
                wanted = sync.wanted_members(create_accounts=not dry_run)
            except ValueError as error:  # a full MEMBERS_LDAP_ID_RANGE
                raise CommandError(str(error)) from error
            current = directory.read_all(connection)
            drift = sync.compare(wanted, current, directory.group_members(connection))
            for line in drift.describe():
                if line.startswith("only in LDAP") or dry_run or verbosity >= 2:
                    self.stdout.write(
                        ("would repair " if dry_run and not line.startswith("only") else "") + line
                    )
            unhashed = sync.without_hash()
            if unhashed:
                self.stdout.write(
                    f"{len(unhashed)} member(s) have no LDAP password yet (their entry has no userPassword "
                    f"until they set a password, e.g. by a password reset): {', '.join(unhashed)}"
                )
            summary = (
                f"{len(wanted)} member(s), {len(current)} LDAP entries: {len(drift.missing)} missing, "
                f"{len(drift.changed)} changed, {len(drift.extra)} only in LDAP, {drift.unchanged} in sync, "
                f"group: {len(drift.group_to_add)} to add, {len(drift.group_to_remove)} to remove"
            )
            if dry_run:
                self.stdout.write(f"{summary}; nothing repaired (dry run).")
                return
            repaired, failures = repair_with_progress(connection, drift, sync.repair, verbosity)
        finally:
            connection.unbind_s()
        report_repair(self, summary, repaired, failures)
