"""Writes of the daily summary: set-based, idempotent, one run at a time.

`stats_refresh` recomputes only the days that can have changed since the last run: the
receipt days of suggestions with a new event (every workflow action writes exactly one)
and the days of newly logged visits, plus today. `stats_rebuild` recomputes everything
and runs nightly as the safety net for changes made outside the workflow (admin edits,
edited visits, moved regions). Either way a day is deleted and re-inserted from the base
tables in one statement, so running twice gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import BigIntegerField, F, Max, Q, QuerySet, Value
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from dashboards.measures import (
    MEASURES,
    SUGGESTION_MEASURES,
    VISIT_MEASURES,
    alias,
    suggestion_aggregates,
    visit_aggregates,
    zero_aggregates,
)
from dashboards.models import SUMMARISED_LEVELS, DailyStats, RollupAncestor, StatsState
from stations.models import Region, VoterVisit
from suggestions.models import Suggestion, SuggestionEvent

logger = logging.getLogger(__name__)

# Events and visits are re-read this far back by id, so a transaction that committed
# after a later one is still seen by the next run.
ID_MARGIN = 1000


@dataclass(frozen=True)
class RefreshResult:
    full: bool
    days: int
    rows: int
    seconds: float


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def _day_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days folded into inclusive ranges."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + dt.timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def _time_q(field: str, ranges: list[tuple[dt.date, dt.date]] | None) -> Q:
    if ranges is None:
        return Q()
    q = Q(pk__in=[])
    for start, end in ranges:
        q |= Q(**{f"{field}__gte": _local_midnight(start), f"{field}__lt": _local_midnight(end + dt.timedelta(days=1))})
    return q


def _regions_fingerprint() -> str:
    """Changes when a region is added, removed or moved (its path changes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(depth), 0), COALESCE(SUM(LENGTH(path)), 0) "
            f"FROM {Region._meta.db_table}"
        )
        row = cursor.fetchone()
    return ":".join(str(v) for v in row) if row else ""


def _ancestors_rebuild() -> None:
    table = RollupAncestor._meta.db_table
    region = Region._meta.db_table
    placeholders = ", ".join(["%s"] * len(SUMMARISED_LEVELS))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} (region_id, ancestor_id) "
            f"SELECT r.id, a.id FROM {region} r JOIN {region} a "
            f"ON SUBSTR(r.path, 1, LENGTH(a.path)) = a.path "
            f"WHERE a.level IN ({placeholders})",
            [str(level) for level in SUMMARISED_LEVELS],
        )


def _visit_rows(ranges: list[tuple[dt.date, dt.date]] | None) -> QuerySet[Any, Any]:
    tz = timezone.get_default_timezone()
    return (
        VoterVisit.objects.filter(_time_q("occurred_at", ranges), station__region__rollup_nodes__isnull=False)
        .values(
            day=TruncDate("occurred_at", tzinfo=tz),
            node=F("station__region__rollup_nodes__ancestor_id"),
            # Typed, so the UNION with the suggestions' category ids agrees on the column type.
            cat=Cast(Value(None), output_field=BigIntegerField()),
            chan=F("channel"),
        )
        .annotate(**visit_aggregates(), **zero_aggregates(SUGGESTION_MEASURES))
        .order_by()
    )


def _suggestion_rows(ranges: list[tuple[dt.date, dt.date]] | None) -> QuerySet[Any, Any]:
    tz = timezone.get_default_timezone()
    return (
        Suggestion.objects.filter(_time_q("created_at", ranges), region__rollup_nodes__isnull=False)
        .values(
            day=TruncDate("created_at", tzinfo=tz),
            node=F("region__rollup_nodes__ancestor_id"),
            cat=F("category_id"),
            chan=F("channel"),
        )
        .annotate(**suggestion_aggregates(), **zero_aggregates(VISIT_MEASURES))
        .order_by()
    )


def _insert(ranges: list[tuple[dt.date, dt.date]] | None) -> int:
    """Insert the summary rows of the given days (all days when None) in one statement."""
    columns = ["day", "region_id", "category_id", "channel", *MEASURES]
    names = ["day", "node", "cat", "chan", *(alias(m) for m in MEASURES)]
    branch = ", ".join(names)
    sums = ", ".join(f"SUM({alias(m)})" for m in MEASURES)
    visit_sql, visit_params = _visit_rows(ranges).query.sql_with_params()
    sugg_sql, sugg_params = _suggestion_rows(ranges).query.sql_with_params()
    sql = (
        f"INSERT INTO {DailyStats._meta.db_table} ({', '.join(columns)}) "
        f"SELECT day, node, cat, chan, {sums} FROM ("
        f"SELECT {branch} FROM ({visit_sql}) v UNION ALL SELECT {branch} FROM ({sugg_sql}) s"
        f") u GROUP BY day, node, cat, chan"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*visit_params, *sugg_params])
        return max(int(cursor.rowcount), 0)


def _state_locked() -> StatsState:
    StatsState.objects.get_or_create(pk=1)
    return StatsState.objects.select_for_update().get(pk=1)


def _watermarks() -> tuple[int, int]:
    event_max = SuggestionEvent.objects.aggregate(m=Max("id"))["m"] or 0
    visit_max = VoterVisit.objects.aggregate(m=Max("id"))["m"] or 0
    return int(event_max), int(visit_max)


def _finish(
    state: StatsState, *, full: bool, days: int, rows: int, started: float, marks: tuple[int, int]
) -> RefreshResult:
    now = timezone.now()
    state.last_event_id, state.last_visit_id = marks
    state.refreshed_at = now
    if full:
        state.rebuilt_at = now
    state.last_duration = round(time.monotonic() - started, 3)
    state.last_days = days
    state.save()
    result = RefreshResult(full=full, days=days, rows=rows, seconds=state.last_duration)
    logger.info(
        "dashboard summary %s: %s days, %s rows, %.2fs", "rebuilt" if full else "refreshed", days, rows, result.seconds
    )
    return result


def _rebuild(state: StatsState, started: float) -> RefreshResult:
    marks = _watermarks()
    _ancestors_rebuild()
    state.regions_fingerprint = _regions_fingerprint()
    DailyStats.objects.all().delete()
    rows = _insert(None)
    days = DailyStats.objects.values("day").distinct().count()
    return _finish(state, full=True, days=days, rows=rows, started=started, marks=marks)


@transaction.atomic
def stats_rebuild() -> RefreshResult:
    """Recompute the whole summary from the base tables."""
    started = time.monotonic()
    return _rebuild(_state_locked(), started)


def _dirty_days(state: StatsState, today: dt.date) -> set[dt.date]:
    days = {today}
    received = (
        SuggestionEvent.objects.filter(id__gt=state.last_event_id - ID_MARGIN)
        .values_list("suggestion__created_at", flat=True)
        .distinct()
    )
    visited = VoterVisit.objects.filter(id__gt=state.last_visit_id - ID_MARGIN).values_list("occurred_at", flat=True)
    for moment in (*received, *visited):
        days.add(timezone.localtime(moment).date())
    return days


@transaction.atomic
def stats_refresh() -> RefreshResult:
    """Bring the summary up to date; a full rebuild the first time or after regions changed."""
    started = time.monotonic()
    state = _state_locked()
    if state.rebuilt_at is None or state.regions_fingerprint != _regions_fingerprint():
        return _rebuild(state, started)
    marks = _watermarks()
    ranges = _day_ranges(_dirty_days(state, timezone.localdate()))
    day_q = Q(pk__in=[])
    for start, end in ranges:
        day_q |= Q(day__gte=start, day__lte=end)
    DailyStats.objects.filter(day_q).delete()
    rows = _insert(ranges)
    days = sum((end - start).days + 1 for start, end in ranges)
    return _finish(state, full=False, days=days, rows=rows, started=started, marks=marks)
