from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from coin.billing.bank_import import FORMATS, BankImportError, import_statement


class Command(BaseCommand):
    help = (
        "Import the credits of a bank statement (CSV per BANK_CSV_FORMAT, CAMT.053 or CAMT.054) as payments, "
        "matched to members by the references in their labels. The whole file or nothing; a file or "
        "line imported before is not imported again. Files larger than BANK_IMPORT_MAX_BYTES are refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The statement file.")
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=FORMATS,
            help="Default: camt053/054 for XML files, else csv.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Show the report, import nothing.")

    def handle(self, *args, file, file_format=None, dry_run=False, verbosity=1, **options):
        path = Path(file)
        try:
            with path.open("rb") as statement:  # read as a stream, never whole in memory
                result = import_statement(statement, path.name, file_format, dry_run=dry_run)
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        except BankImportError as error:
            raise CommandError(f"{path.name}: {' '.join(error.messages)} Nothing was imported.") from None
        report = result.report
        for item in report["unmatched"]:
            where = f"{item['line']}, {item['date']}, {item['amount']}"
            self.stdout.write(f"to assign: {where}: {item['label']} ({item['reason']})")
        for item in report["duplicates"]:
            self.stdout.write(
                f"already imported: {item['line']}, {item['date']}, {item['amount']}: {item['label']}"
            )
        for item in report.get("returns", []):
            found = item["collection"] or "no collection found"
            where = f"{item['line']}, {item['date']}, {item['amount']}"
            self.stdout.write(f"direct debit returned: {where}: {found} ({item['reason']})")
        if verbosity >= 2:
            for item in report["ignored"]:
                self.stdout.write(f"ignored: line {item['line']}: {item['reason']}")
        prefix = "dry run, nothing imported: " if dry_run else ""
        self.stdout.write(prefix + result.summary())
