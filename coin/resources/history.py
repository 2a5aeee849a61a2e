"""Retention of the assignment history (who held which address when).

French law requires connection-source data to be kept for one year; keeping it
longer than needed is not allowed either. IP_HISTORY_RETENTION_DAYS sets the
period; ``manage.py purge_ip_history`` (daily, from cron) applies it.
"""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from coin.resources.ip import IPAddress, address_key, parse_address
from coin.resources.models import IPSubnetAssignment


class RetentionError(ValueError):
    """A purge would delete entries that must still be kept."""


def purge_cutoff(
    now: datetime.datetime, retention_days: int, before: datetime.date | None = None
) -> datetime.datetime:
    """Entries ended before the returned moment may be deleted: the retention
    period ago, or the start of ``before`` (local time) if that is earlier. A
    later ``before`` would cut into the retention period and is refused."""
    legal = now - datetime.timedelta(days=retention_days)
    if before is None:
        return legal
    requested = timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))
    if requested > legal:
        raise RetentionError(
            f"{before.isoformat()} is inside the retention period: entries ended after "
            f"{timezone.localtime(legal):%Y-%m-%d %H:%M} must be kept ({retention_days} days)."
        )
    return requested


def purgeable(cutoff: datetime.datetime) -> QuerySet:
    return IPSubnetAssignment.objects.filter(end__isnull=False, end__lt=cutoff)


def purge(cutoff: datetime.datetime, dry_run: bool = False) -> int:
    """Delete the entries ended before ``cutoff``; return how many (would) go."""
    entries = purgeable(cutoff)
    if dry_run:
        return entries.count()
    deleted, _per_model = entries.delete()
    return deleted


def holders_at(address: "str | IPAddress", when: datetime.datetime) -> QuerySet:
    """Assignments covering ``address`` at ``when`` (answering a lawful request)."""
    key = address_key(parse_address(address))
    return (
        IPSubnetAssignment.objects.filter(range_start__lte=key, range_end__gte=key, start__lte=when)
        .exclude(end__lte=when)
        .order_by("start")
    )
