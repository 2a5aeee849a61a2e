"""Sessions and traffic from FreeRADIUS's radacct, and their daily rollup.

- ``rollup()`` (``manage.py radius_rollup``, every few minutes from cron or a timer)
  adds to ``RadiusTrafficDay`` what each radacct row's octet counters grew by since
  it last looked (``RadiusSessionMark``), on the day (local time) of the row's
  acctupdatetime. It reads only rows updated since the previous run (minus a margin
  for late packets), and is idempotent: reading a row twice counts nothing twice.
- Pages read the rollup (one row per login and day) and the open session, so their
  cost does not grow with radacct.
- A session is stale when it is open and had no update for RADIUS_STALE_SESSION_MINUTES;
  ``close_sessions()`` closes such rows (acctterminatecause "Stale-Session").
- ``purge()`` (``manage.py purge_radius_accounting``) removes connection data past the
  legal retention (RADIUS_ACCOUNTING_RETENTION_DAYS).
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from coa.conf import setting

#: Rows updated up to this long before the last run's latest update are read again
#: (BNGs send late or buffered packets; reading twice counts nothing twice).
LATE_MARGIN = datetime.timedelta(hours=1)
ROLLUP_STATE = "radacct"
STALE_CAUSE = "Stale-Session"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def _alias() -> str:
    return setting("RADIUS_DATABASE")


@dataclass
class RollupReport:
    rows_read: int = 0
    days_touched: int = 0


def counter_delta(current: int | None, counted: int) -> int:
    """What a counter grew by since ``counted`` (a counter that went down, e.g. a
    session restarted under the same id, counts from zero)."""
    current = current or 0
    return current - counted if current >= counted else current


def rollup(batch_size: int = 5000) -> RollupReport:
    """Add radacct's new octets to the daily table (see the module docstring)."""
    from coa.models import RadAcct, RadiusRollupState, RadiusSessionMark, RadiusTrafficDay

    alias = _alias()
    report = RollupReport()
    with transaction.atomic(using=alias):
        state, _ = RadiusRollupState.objects.using(alias).get_or_create(
            name=ROLLUP_STATE, defaults={"value": EPOCH}
        )
        state = RadiusRollupState.objects.using(alias).select_for_update().get(pk=state.pk)
        latest = state.value
        rows = (
            RadAcct.objects.using(alias)
            .filter(acctupdatetime__gte=state.value - LATE_MARGIN)
            .order_by("acctupdatetime", "radacctid")
            .values_list("radacctid", "username", "acctupdatetime", "acctinputoctets", "acctoutputoctets")
        )
        chunk: list[tuple] = []
        touched: set[tuple[str, datetime.date]] = set()
        for row in rows.iterator(chunk_size=batch_size):
            chunk.append(row)
            if len(chunk) >= batch_size:
                touched |= _rollup_chunk(chunk, alias, RadiusSessionMark, RadiusTrafficDay)
                chunk = []
            latest = max(latest, row[2] or latest)  # never NULL: the filter above excludes them
            report.rows_read += 1
        if chunk:
            touched |= _rollup_chunk(chunk, alias, RadiusSessionMark, RadiusTrafficDay)
        state.value = latest
        state.save(using=alias)
    report.days_touched = len(touched)
    return report


def _rollup_chunk(chunk: list[tuple], alias: str, Mark: Any, Day: Any) -> set[tuple[str, datetime.date]]:
    marks = Mark.objects.using(alias).in_bulk([row[0] for row in chunk])
    added: dict[tuple[str, datetime.date], list[int]] = {}
    new_marks, changed_marks = [], []
    for radacctid, username, updated, input_octets, output_octets in chunk:
        mark = marks.get(radacctid)
        counted = (mark.input_octets, mark.output_octets) if mark else (0, 0)
        d_in = counter_delta(input_octets, counted[0])
        d_out = counter_delta(output_octets, counted[1])
        if not (d_in or d_out):
            continue
        if mark is None:
            mark = marks[radacctid] = Mark(radacctid=radacctid)
            new_marks.append(mark)
        else:
            changed_marks.append(mark)
        mark.input_octets, mark.output_octets = input_octets or 0, output_octets or 0
        key = (username or "", timezone.localtime(updated).date())
        totals = added.setdefault(key, [0, 0])
        totals[0] += d_in
        totals[1] += d_out
    Mark.objects.using(alias).bulk_create(new_marks)
    Mark.objects.using(alias).bulk_update(changed_marks, ["input_octets", "output_octets"])
    if added:
        existing = {
            (day.username, day.day): day
            for day in Day.objects.using(alias).filter(
                username__in={u for u, _ in added}, day__in={d for _, d in added}
            )
        }
        create, update = [], []
        for (username, day), (d_in, d_out) in added.items():
            row = existing.get((username, day))
            if row is None:
                create.append(Day(username=username, day=day, input_octets=d_in, output_octets=d_out))
            else:
                row.input_octets += d_in
                row.output_octets += d_out
                update.append(row)
        Day.objects.using(alias).bulk_create(create)
        Day.objects.using(alias).bulk_update(update, ["input_octets", "output_octets"])
    return set(added)


def current_session(login: str) -> Any:
    """The login's open session (the latest one when a BNG left several open), or None."""
    from coa.models import RadAcct

    return (
        RadAcct.objects.using(_alias())
        .filter(username=login, acctstoptime__isnull=True)
        .order_by("-acctstarttime")
        .first()
    )


@dataclass
class TrafficPoint:
    label: str
    start: datetime.date
    download: int  # octets to the subscriber (radacct's output)
    upload: int  # octets from the subscriber (radacct's input)

    @property
    def total(self) -> int:
        return self.download + self.upload


def traffic_per_day(login: str, today: datetime.date, days: int = 30) -> list[TrafficPoint]:
    """The last ``days`` days up to ``today``, zeros where nothing was counted."""
    from coa.models import RadiusTrafficDay

    first = today - datetime.timedelta(days=days - 1)
    stored = {
        day: (out, inp)
        for day, inp, out in RadiusTrafficDay.objects.using(_alias())
        .filter(username=login, day__gte=first, day__lte=today)
        .values_list("day", "input_octets", "output_octets")
    }
    points = []
    for n in range(days):
        day = first + datetime.timedelta(days=n)
        download, upload = stored.get(day, (0, 0))
        points.append(TrafficPoint(label=day.strftime("%d/%m"), start=day, download=download, upload=upload))
    return points


def _month_start(day: datetime.date, back: int) -> datetime.date:
    month = day.year * 12 + day.month - 1 - back
    return datetime.date(month // 12, month % 12 + 1, 1)


def traffic_per_month(login: str, today: datetime.date, months: int = 12) -> list[TrafficPoint]:
    """The last ``months`` calendar months up to ``today``'s, from the daily rollup."""
    from coa.models import RadiusTrafficDay

    starts = [_month_start(today, back) for back in range(months - 1, -1, -1)]
    totals = {start: [0, 0] for start in starts}
    for day, inp, out in (
        RadiusTrafficDay.objects.using(_alias())
        .filter(username=login, day__gte=starts[0], day__lte=today)
        .values_list("day", "input_octets", "output_octets")
    ):
        bucket = totals[day.replace(day=1)]
        bucket[0] += out
        bucket[1] += inp
    return [
        TrafficPoint(label=start.strftime("%m/%Y"), start=start, download=d, upload=u)
        for start, (d, u) in totals.items()
    ]


def open_sessions() -> QuerySet:
    from coa.models import RadAcct

    return RadAcct.objects.using(_alias()).filter(acctstoptime__isnull=True)


def stale_before(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(minutes=setting("RADIUS_STALE_SESSION_MINUTES"))


def stale_sessions(now: datetime.datetime) -> QuerySet:
    """Open sessions with no accounting update for RADIUS_STALE_SESSION_MINUTES."""
    cutoff = stale_before(now)
    return open_sessions().filter(
        Q(acctupdatetime__lt=cutoff) | Q(acctupdatetime__isnull=True, acctstarttime__lt=cutoff)
    )


def close_sessions(sessions: QuerySet, now: datetime.datetime) -> int:
    """Close open sessions as FreeRADIUS would on a Stop: at their last update (or now),
    cause "Stale-Session". Returns how many were closed."""
    from django.db.models import F

    with transaction.atomic(using=_alias()):
        return sessions.filter(acctstoptime__isnull=True).update(
            acctstoptime=Coalesce(F("acctupdatetime"), F("acctstarttime"), now),
            acctterminatecause=STALE_CAUSE,
        )


@dataclass
class PurgeReport:
    sessions: int = 0
    days: int = 0


def purge(cutoff: datetime.datetime, dry_run: bool = False) -> PurgeReport:
    """Delete sessions that ended before ``cutoff`` (and their marks) and the daily
    traffic of days before it. Open sessions are kept, whatever their age."""
    from coa.models import RadAcct, RadiusSessionMark, RadiusTrafficDay

    alias = _alias()
    sessions = RadAcct.objects.using(alias).filter(acctstoptime__isnull=False, acctstoptime__lt=cutoff)
    days = RadiusTrafficDay.objects.using(alias).filter(day__lt=timezone.localtime(cutoff).date())
    if dry_run:
        return PurgeReport(sessions=sessions.count(), days=days.count())
    with transaction.atomic(using=alias):
        ids = sessions.values("radacctid")
        RadiusSessionMark.objects.using(alias).filter(radacctid__in=ids).delete()
        n_sessions, _ = sessions.delete()
        n_days, _ = days.delete()
    return PurgeReport(sessions=n_sessions, days=n_days)


def traffic_totals(login: str) -> dict[str, int]:
    """All counted octets of a login (the admin's summary)."""
    from coa.models import RadiusTrafficDay

    totals = (
        RadiusTrafficDay.objects.using(_alias())
        .filter(username=login)
        .aggregate(download=Coalesce(Sum("output_octets"), 0), upload=Coalesce(Sum("input_octets"), 0))
    )
    return {"download": totals["download"], "upload": totals["upload"]}
