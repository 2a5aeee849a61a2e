"""What Coin's management commands share: a date option, a progress bar and the
base of the daily reminder commands."""

import datetime
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import TypeVar

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

T = TypeVar("T")


def parse_date_option(value: str | None, default: datetime.date) -> datetime.date:
    if value is None:
        return default
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date: '{value}' is not a date in the form YYYY-MM-DD.") from None


def progress(items: Iterable[T], total: int, label: str, stream=None, enabled: bool = True) -> Iterator[T]:
    """Yield ``items`` while drawing a progress bar on a terminal (nothing otherwise,
    so that cron mails and logs stay clean)."""
    stream = stream or sys.stderr
    show = enabled and total > 0 and hasattr(stream, "isatty") and stream.isatty()
    width = 30
    for index, item in enumerate(items, start=1):
        yield item
        if show and (index == total or index % max(1, total // 100) == 0):
            filled = width * index // total
            stream.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {index}/{total}")
            stream.flush()
    if show:
        stream.write("\n")


class ReminderCommand(BaseCommand, ABC):
    """Base of the daily reminder commands: ``--date`` and ``--dry-run``, a progress
    bar, one failure never stops the others, a summary line, and a non-zero exit
    status when something failed (the next run tries it again).

    Subclasses give ``due(today)``, ``describe(reminder)`` and ``send(reminder,
    today)`` (True when sent, False when another run or a payment made it moot).
    """

    noun = "reminder"
    skipped_meaning = "already sent by another run"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="List the reminders without sending them.")

    @abstractmethod
    def due(self, today: datetime.date) -> Iterable:
        """See the class docstring."""

    @abstractmethod
    def describe(self, reminder) -> str:
        """See the class docstring."""

    @abstractmethod
    def send(self, reminder, today: datetime.date) -> bool:
        """See the class docstring."""

    def handle(self, *args, date=None, dry_run=False, verbosity=1, **options):
        today = parse_date_option(date, timezone.localdate())
        due = list(self.due(today))
        sent = skipped = failed = 0
        for reminder in progress(due, len(due), "Reminders", enabled=verbosity >= 1):
            line = self.describe(reminder)
            if dry_run:
                self.stdout.write(f"would send: {line}")
                continue
            try:
                if self.send(reminder, today):
                    sent += 1
                    if verbosity >= 2:
                        self.stdout.write(f"sent: {line}")
                else:
                    skipped += 1
            except Exception as error:  # one bad address must not stop the others
                failed += 1
                self.stderr.write(f"failed: {line}: {error}")
        if dry_run:
            self.stdout.write(f"{today}: {len(due)} {self.noun}(s) due, none sent (dry run).")
        else:
            self.stdout.write(
                f"{today}: {sent} {self.noun}(s) sent, {skipped} {self.skipped_meaning}, {failed} failed."
            )
        if failed:
            # CommandError, not SystemExit: manage.py still exits with status 1, and
            # callers of call_command (tasks, schedulers) get an ordinary exception.
            raise CommandError(f"{failed} reminder(s) failed: the next run will try them again.")
