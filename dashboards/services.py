"""Writes of the dashboards' summary: set-based, idempotent, one run at a time.

`stats_refresh` recomputes only what can have changed since the last run: the receipt
days of suggestions with a new event (every workflow action writes exactly one) and the
days of newly logged visits, plus today; for the monthly rows, the months those days
fall in. `stats_rebuild` recomputes everything and runs nightly as the safety
net for changes made outside the workflow (admin edits, edited visits, moved regions).
Either way the rows are deleted and re-inserted from the base tables in one statement,
so running twice gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import BigIntegerField, Expression, F, Max, Min, Q, Value
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
from dashboards.models import (
    DAILY_LEVELS,
    SUMMARISED_LEVELS,
    DailyStats,
    Dimension,
    Grain,
    RollupAncestor,
    StatsState,
)
from stations.models import Region, VoterVisit
from suggestions.models import Suggestion, SuggestionEvent

logger = logging.getLogger(__name__)

# Events and visits are re-read this far back by id, so a transaction that committed
# after a later one is still seen by the next run.
ID_MARGIN = 200

Ranges = list[tuple[dt.date, dt.date]] | None  # inclusive day ranges; None = every day


@dataclass(frozen=True)
class RefreshResult:
    full: bool
    days: int
    rows: int
    seconds: float
    # True when another run held the summary: this one did nothing and the next catches up.
    skipped: bool = False


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


def _time_q(field: str, ranges: Ranges) -> Q:
    if ranges is None:
        return Q()
    q = Q(pk__in=[])
    for start, end in ranges:
        q |= Q(**{f"{field}__gte": _local_midnight(start), f"{field}__lt": _local_midnight(end + dt.timedelta(days=1))})
    return q


def _month_end(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1) - dt.timedelta(days=1)


def _month_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The whole months the days fall in, as inclusive day ranges."""
    firsts = {day.replace(day=1) for day in days}
    return _day_ranges(d for first in firsts for d in _days(first, _month_end(first)))


def _days(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    return (start + dt.timedelta(days=i) for i in range((end - start).days + 1))


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
    levels = {Grain.MONTH: SUMMARISED_LEVELS, Grain.DAY: DAILY_LEVELS}
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
        for grain, among in levels.items():
            placeholders = ", ".join(["%s"] * len(among))
            cursor.execute(
                f"INSERT INTO {table} (region_id, ancestor_id, grain) "
                f"SELECT r.id, a.id, %s FROM {region} r JOIN {region} a "
                f"ON SUBSTR(r.path, 1, LENGTH(a.path)) = a.path "
                f"WHERE a.level IN ({placeholders})",
                [grain.value, *among],
            )


@dataclass(frozen=True)
class _Plan:
    """What to recompute: day ranges for the daily rows, whole months for the monthly rows."""

    days: Ranges = None
    months: Ranges = None

    def delete_q(self) -> Q:
        if self.days is None and self.months is None:
            return Q()
        q = Q(pk__in=[])
        for grain, ranges in ((Grain.DAY, self.days), (Grain.MONTH, self.months)):
            for start, end in ranges or []:
                q |= Q(grain=grain, day__gte=start, day__lte=end)
        return q


def _null_id() -> Expression:
    # Typed, so the UNION with the suggestions' category ids agrees on the column type.
    return Cast(Value(None), output_field=BigIntegerField())


def _facts_sql(ranges: Ranges) -> tuple[str, list[Any]]:
    """Stage one: every visit and suggestion of the given days, counted once per (day, region,
    category, channel) with the measure definitions of `dashboards.measures`."""
    tz = timezone.get_default_timezone()
    suggestions = (
        Suggestion.objects.filter(_time_q("created_at", ranges))
        .values(
            day=TruncDate("created_at", tzinfo=tz),
            reg=F("region_id"),
            cat=F("category_id"),
            chan=F("channel"),
            src=Value("s"),
        )
        .annotate(**suggestion_aggregates(), **zero_aggregates(VISIT_MEASURES))
        .order_by()
    )
    visits = (
        VoterVisit.objects.filter(_time_q("occurred_at", ranges))
        .values(
            day=TruncDate("occurred_at", tzinfo=tz),
            reg=F("station__region_id"),
            cat=_null_id(),
            chan=F("channel"),
            src=Value("v"),
        )
        .annotate(**visit_aggregates(), **zero_aggregates(SUGGESTION_MEASURES))
        .order_by()
    )
    names = ", ".join(["day", "reg", "cat", "chan", "src", *(alias(m) for m in MEASURES)])
    s_sql, s_params = suggestions.query.sql_with_params()
    v_sql, v_params = visits.query.sql_with_params()
    return f"SELECT {names} FROM ({s_sql}) AS s UNION ALL SELECT {names} FROM ({v_sql}) AS v", [*s_params, *v_params]


def _month_start_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {column}) AS DATE)"
    return f"DATE({column}, 'start of month')"


def _insert_sql(plan: _Plan) -> tuple[str, list[Any]] | None:
    """The one INSERT … SELECT that writes the summary rows the plan covers (None: nothing to do).

    Stage one (`_facts_sql`) reads each base table once; stage two spreads its rows over the
    summarised ancestors of their region, per day or per month, and splits them by channel
    (all rows) and by category (suggestions only).
    """
    if plan.days == [] and plan.months == []:
        return None
    # The monthly rows need whole months, which cover every dirty day; the daily rows only those days.
    facts, params = _facts_sql(plan.months)
    day_filter = ""
    day_params: list[Any] = []
    if plan.days is not None:
        spans = " OR ".join(["(f.day >= %s AND f.day <= %s)"] * len(plan.days)) or "1 = 0"
        day_filter = f"AND (a.grain = %s OR {spans})"
        day_params = [Grain.MONTH.value, *(d for span in plan.days for d in span)]
    bucket = f"CASE WHEN a.grain = %s THEN f.day ELSE {_month_start_sql('f.day')} END"
    sums = ", ".join(f"SUM(f.{alias(m)})" for m in MEASURES)
    ancestors = RollupAncestor._meta.db_table
    columns = ", ".join(["day", "grain", "region_id", "dimension", "category_id", "channel", *MEASURES])
    sql = (
        f"INSERT INTO {DailyStats._meta.db_table} ({columns}) "
        f"WITH f AS ({facts}) "
        f"SELECT {bucket}, a.grain, a.ancestor_id, %s, NULL, f.chan, {sums} "
        f"FROM f JOIN {ancestors} a ON a.region_id = f.reg WHERE 1 = 1 {day_filter} "
        f"GROUP BY 1, 2, 3, 6 "
        f"UNION ALL "
        f"SELECT {bucket}, a.grain, a.ancestor_id, %s, f.cat, '', {sums} "
        f"FROM f JOIN {ancestors} a ON a.region_id = f.reg WHERE f.src = 's' {day_filter} "
        f"GROUP BY 1, 2, 3, 5 "
        # Written in the order they are read (a region's days), so a year is a few adjacent pages.
        f"ORDER BY 3, 2, 1"
    )
    params = [
        *params,
        Grain.DAY.value,
        Dimension.CHANNEL.value,
        *day_params,
        Grain.DAY.value,
        Dimension.CATEGORY.value,
        *day_params,
    ]
    return sql, params


def _insert(plan: _Plan) -> int:
    statement = _insert_sql(plan)
    if statement is None:
        return 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A batch job: let the aggregation hash in memory rather than sort on disk, and join
            # the facts to the ancestor map by hashing (the planner cannot estimate the CTE and
            # would otherwise loop over it once per region).
            cursor.execute("SET LOCAL work_mem = '128MB'")
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(*statement)
        return max(int(cursor.rowcount), 0)


def _state_locked(*, wait: bool = True) -> StatsState | None:
    """The state row, locked for this run; None when another run holds it and `wait` is off."""
    StatsState.objects.get_or_create(pk=1)
    return StatsState.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()


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
    state.token = secrets.token_hex(16)
    state.save()
    result = RefreshResult(full=full, days=days, rows=rows, seconds=state.last_duration)
    logger.info(
        "dashboard summary %s: %s days, %s rows, %.2fs", "rebuilt" if full else "refreshed", days, rows, result.seconds
    )
    return result


def _data_months() -> list[dt.date]:
    """The first day of every month from the earliest visit or suggestion to the latest."""
    found: list[dt.datetime] = []
    for bounds in (
        Suggestion.objects.aggregate(first=Min("created_at"), last=Max("created_at")),
        VoterVisit.objects.aggregate(first=Min("occurred_at"), last=Max("occurred_at")),
    ):
        found += [moment for moment in bounds.values() if moment is not None]
    if not found:
        return []
    first = timezone.localtime(min(found)).date().replace(day=1)
    last = timezone.localtime(max(found)).date()
    months: list[dt.date] = []
    while first <= last:
        months.append(first)
        first = _month_end(first) + dt.timedelta(days=1)
    return months


def _insert_month_by_month(days: set[dt.date] | None) -> int:
    """Insert the summary rows month by month (every month of data when `days` is None, else
    the months of those days): each statement then holds one month of facts in memory, so a
    province's five years take sixty small steps rather than one that spills to disk."""
    if days is None:
        plans = [_Plan(days=[(m, _month_end(m))], months=[(m, _month_end(m))]) for m in _data_months()]
    else:
        by_month: dict[dt.date, list[dt.date]] = {}
        for day in days:
            by_month.setdefault(day.replace(day=1), []).append(day)
        plans = [
            _Plan(days=_day_ranges(in_month), months=[(month, _month_end(month))])
            for month, in_month in sorted(by_month.items())
        ]
    return sum(_insert(plan) for plan in plans)


def _rebuild(state: StatsState, started: float) -> RefreshResult:
    marks = _watermarks()
    _ancestors_rebuild()
    state.regions_fingerprint = _regions_fingerprint()
    DailyStats.objects.all().delete()
    rows = _insert_month_by_month(None)
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses one row and picks the wrong index.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DailyStats._meta.db_table}")
    days = DailyStats.objects.filter(grain=Grain.DAY).values("day").distinct().count()
    return _finish(state, full=True, days=days, rows=rows, started=started, marks=marks)


def stats_rebuild() -> RefreshResult:
    """Recompute the whole summary from the base tables, then tidy the table up.

    The rebuild replaces every row in one transaction, so readers see the old figures until it
    commits. On PostgreSQL the dead rows are vacuumed right after: until then every read of
    the summary would wade through them.
    """
    started = time.monotonic()
    with transaction.atomic():
        state = _state_locked()
        assert state is not None  # waited for it
        result = _rebuild(state, started)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {DailyStats._meta.db_table}")
    return result


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
    """Bring the summary up to date; a full rebuild the first time or after regions changed.
    Skips (and says so) when another run is busy with the summary."""
    started = time.monotonic()
    # A periodic run does not queue behind a long one (a nightly rebuild): it skips.
    state = _state_locked(wait=False)
    if state is None:
        return RefreshResult(full=False, days=0, rows=0, seconds=0.0, skipped=True)
    if state.rebuilt_at is None or state.regions_fingerprint != _regions_fingerprint():
        return _rebuild(state, started)
    marks = _watermarks()
    dirty = _dirty_days(state, timezone.localdate())
    plan = _Plan(days=_day_ranges(dirty), months=_month_ranges(dirty))
    DailyStats.objects.filter(plan.delete_q()).delete()
    rows = _insert_month_by_month(dirty)
    return _finish(state, full=False, days=len(dirty), rows=rows, started=started, marks=marks)
