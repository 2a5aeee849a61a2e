"""What Coin's management commands share: a date option and a progress bar."""

import datetime
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from django.core.management.base import CommandError

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
