"""Reads for the dashboards, scoped to the viewer first (DESIGN §1, §6).

Committee staff see their region and every region below it, administrators every
region, station staff their own stations. A region at a summarised level (province,
city, county) is read from the daily summary; anything smaller is counted live from the
base tables with the same definitions. Overdue figures are always live: they change
when a day passes, not only when someone acts. A dashboard costs the same handful of
queries however much data lies behind it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import user_scope
from dashboards.measures import Figures, suggestion_aggregates, summary_sums, visit_aggregates
from dashboards.models import DAILY_LEVELS, SUMMARISED_LEVELS, DailyStats, Dimension, Grain, StatsState
from dashboards.periods import Period
from stations.models import Region, Station, VisitChannel, VoterVisit
from suggestions.errors import WorkflowError
from suggestions.models import State, Suggestion

TOP_UNITS = 10
# How long a dashboard read from the summary is kept (its overdue figures are live, so at most this old).
CACHE_SECONDS = 60

MSG_NO_DASHBOARD = gettext_lazy(
    "Dashboards are for committee staff, station staff and administrators. Your account has none to show."
)
MSG_NOT_FOUND = gettext_lazy("This region or station does not exist or is outside the area you work for.")


@dataclass(frozen=True)
class Subject:
    """What a dashboard is about: a region's subtree, or one or more stations."""

    region: Region | None = None
    stations: tuple[Station, ...] = ()

    @property
    def label(self) -> str:
        if self.region is not None:
            return self.region.name
        if len(self.stations) == 1:
            return self.stations[0].name
        return _("My stations")

    def summary_grain(self, period: Period) -> Grain | None:
        """Which summary rows can answer for this subject and period; None means count live."""
        return _grain_for([self.region] if self.region is not None else [], period, trend=True)

    def suggestion_q(self) -> Q:
        if self.region is not None:
            return Q(region__path__startswith=self.region.path)
        return Q(station_id__in=[s.pk for s in self.stations])

    def visit_q(self) -> Q:
        if self.region is not None:
            return Q(station__region__path__startswith=self.region.path)
        return Q(station_id__in=[s.pk for s in self.stations])


@dataclass
class Slice:
    """One row of a breakdown: a category, a channel, a month, a sub-region…"""

    key: str
    label: str
    figures: Figures = field(default_factory=Figures)
    region_code: str = ""
    station_id: int | None = None
    day: dt.date | None = None


@dataclass(frozen=True)
class UnitOverdue:
    unit_id: int | None
    code: str
    name: str
    overdue: int
    reply_overdue: int


@dataclass
class Dashboard:
    subject: Subject
    period: Period
    today: dt.date
    totals: Figures
    categories: list[Slice]
    channels: list[Slice]
    trend: list[Slice]
    children: list[Slice]
    overdue_units: list[UnitOverdue]
    overdue_total: int
    summarised: bool
    refreshed_at: dt.datetime | None
    computed_at: dt.datetime


def _grain_for(regions: list[Region], period: Period, *, trend: bool) -> Grain | None:
    """Monthly rows answer whole months (with a trend per month); daily rows, kept for
    provinces and cities, answer any period; otherwise the figures are counted live."""
    if not regions or not all(r.level in SUMMARISED_LEVELS for r in regions):
        return None
    if period.month_aligned and not (trend and period.daily):
        return Grain.MONTH
    if all(r.level in DAILY_LEVELS for r in regions):
        return Grain.DAY
    return None


# --- Who sees what -----------------------------------------------------------------


def dashboard_allowed(*, user: User | AnonymousUser) -> bool:
    scope = user_scope(user)
    return scope.is_admin or bool(scope.region_paths) or bool(scope.station_ids)


def dashboard_subject(*, user: User | AnonymousUser, region_code: str = "", station_id: int | None = None) -> Subject:
    """The region or stations asked for, if the viewer may see them.

    Raises WorkflowError `not_allowed` (403) for users without dashboards and
    `not_found` (404) for a region or station that does not exist or lies outside the
    viewer's area, so the answer never tells the two apart.
    """
    scope = user_scope(user)
    if not dashboard_allowed(user=user):
        raise WorkflowError("not_allowed", MSG_NO_DASHBOARD, status=403)
    if station_id is not None:
        covered = scope.is_admin or station_id in scope.station_ids
        station = Station.objects.select_related("region").filter(pk=station_id).first()
        if station is not None and not covered:
            covered = scope.covers_region_path(station.region.path)
        if station is None or not covered:
            raise WorkflowError("not_found", MSG_NOT_FOUND, status=404)
        return Subject(stations=(station,))
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None or not scope.covers_region_path(region.path):
            raise WorkflowError("not_found", MSG_NOT_FOUND, status=404)
        return Subject(region=region)
    if scope.region_paths:
        first = Region.objects.filter(path__in=scope.region_paths).order_by("path").first()
        if first is not None:
            return Subject(region=first)
    if scope.is_admin:
        root = Region.objects.filter(parent__isnull=True).order_by("path").first()
        if root is not None:
            return Subject(region=root)
    stations = tuple(Station.objects.filter(pk__in=scope.station_ids).select_related("region").order_by("name", "id"))
    return Subject(stations=stations)


def dashboard_regions(*, user: User | AnonymousUser, subject: Subject) -> tuple[list[Region], list[Region]]:
    """The way up (ancestors within the viewer's area, ending with the region itself)
    and the way down (the region's children) for the region picker."""
    if subject.region is None:
        return [], []
    scope = user_scope(user)
    region = subject.region
    codes = [c for c in region.path.split("/") if c]
    prefixes = ["/".join(codes[: i + 1]) + "/" for i in range(len(codes))]
    visible = [p for p in prefixes if scope.covers_region_path(p)]
    up = list(Region.objects.filter(path__in=visible).order_by("depth"))
    down = list(Region.objects.filter(parent=region).order_by("code"))
    return up, down


def dashboard_stations(*, user: User | AnonymousUser) -> list[Station]:
    """A station staff member's own stations, offered in the picker."""
    scope = user_scope(user)
    if not scope.station_ids:
        return []
    return list(Station.objects.filter(pk__in=scope.station_ids).order_by("name", "id"))


# --- Figures -------------------------------------------------------------------------


def _as_day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _category_label(category_id: int | None, names: Mapping[int, str]) -> str:
    if category_id is None:
        return _("Not categorised")
    return names.get(category_id, str(category_id))


def _channel_label(code: str) -> str:
    return str(VisitChannel(code).label) if code in VisitChannel.values else code


@dataclass
class _Tally:
    """Figures accumulated per key while reading aggregate rows."""

    rows: dict[Any, Figures] = field(default_factory=dict)

    def add(self, key: Any, row: Mapping[str, Any]) -> None:
        self.rows.setdefault(key, Figures()).add_row(row)

    def total(self) -> Figures:
        total = Figures()
        for figures in self.rows.values():
            total.add(figures)
        return total


def _tally_rows(rows: Iterable[Mapping[str, Any]], tallies: _Tallies, *, categories: bool, channels: bool) -> None:
    """Add aggregate rows to the category split, the channel split and the trend (from the channel
    split: every visit and suggestion is in it exactly once)."""
    for row in rows:
        if categories:
            category_id = row.get("category_id")
            if category_id is not None:
                tallies.category_names[category_id] = row["category__name"]
            tallies.categories.add(category_id, row)
        if channels:
            tallies.channels.add(row["channel"], row)
            tallies.trend.add(_as_day(row["bucket"]), row)


@dataclass
class _Tallies:
    categories: _Tally = field(default_factory=_Tally)
    channels: _Tally = field(default_factory=_Tally)
    trend: _Tally = field(default_factory=_Tally)
    category_names: dict[int, str] = field(default_factory=dict)


def _summary_tallies(region: Region, period: Period, grain: Grain) -> _Tallies:
    """One query: the period's summary rows of the region, grouped by split, key and trend point."""
    bucket = F("day") if period.daily or grain == Grain.MONTH else TruncMonth("day")
    rows = (
        DailyStats.objects.filter(region=region, grain=grain, day__gte=period.start, day__lte=period.end)
        .values("dimension", "category_id", "category__name", "channel", bucket=bucket)
        .annotate(**summary_sums())
        .order_by()
    )
    tallies = _Tallies()
    for row in rows:
        by_category = row["dimension"] == Dimension.CATEGORY
        _tally_rows([row], tallies, categories=by_category, channels=not by_category)
    return tallies


def _period_suggestions(subject: Subject, period: Period) -> QuerySet[Suggestion]:
    return Suggestion.objects.filter(
        subject.suggestion_q(), created_at__gte=period.start_at, created_at__lt=period.end_before
    )


def _period_visits(subject: Subject, period: Period) -> QuerySet[VoterVisit]:
    return VoterVisit.objects.filter(
        subject.visit_q(), occurred_at__gte=period.start_at, occurred_at__lt=period.end_before
    )


def _live_tallies(subject: Subject, period: Period) -> _Tallies:
    """Two queries: suggestions and visits of the period, grouped like the summary."""
    tz = timezone.get_default_timezone()
    s_bucket = TruncDate("created_at", tzinfo=tz) if period.daily else TruncMonth("created_at", tzinfo=tz)
    v_bucket = TruncDate("occurred_at", tzinfo=tz) if period.daily else TruncMonth("occurred_at", tzinfo=tz)
    suggestions = (
        _period_suggestions(subject, period)
        .values("category_id", "category__name", "channel", bucket=s_bucket)
        .annotate(**suggestion_aggregates())
        .order_by()
    )
    visits = (
        _period_visits(subject, period).values("channel", bucket=v_bucket).annotate(**visit_aggregates()).order_by()
    )
    tallies = _Tallies()
    _tally_rows(suggestions, tallies, categories=True, channels=True)
    _tally_rows(visits, tallies, categories=False, channels=True)
    return tallies


def _overdue_q(today: dt.date) -> Q:
    # The same rule as the "overdue" queue and filter: acknowledgement or reply late; and, before
    # any unit has it, a stage (梳理, 拟办, 交办) past its limit (those have no unit: one line of their own).
    return (
        Q(state=State.ASSIGNED, ack_due__lt=today)
        | Q(state__in=[State.ASSIGNED, State.IN_PROGRESS], reply_due__lt=today)
        | Q(state__in=[State.RECEIVED, State.SORTED, State.PROPOSED], stage_due__lt=today)
    )


def _overdue_units(subject: Subject, period: Period, today: dt.date) -> list[UnitOverdue]:
    reply_late = Q(state__in=[State.ASSIGNED, State.IN_PROGRESS], reply_due__lt=today)
    rows = (
        _period_suggestions(subject, period)
        .filter(_overdue_q(today))
        .values("lead_unit_id", "lead_unit__code", "lead_unit__name")
        .annotate(overdue=Count("id"), reply_overdue=Count("id", filter=reply_late))
        .order_by("-overdue", "lead_unit__name")
    )
    return [
        UnitOverdue(
            unit_id=row["lead_unit_id"],
            code=row["lead_unit__code"] or "",
            name=row["lead_unit__name"] or _("Not handed over yet"),
            overdue=row["overdue"],
            reply_overdue=row["reply_overdue"],
        )
        for row in rows
    ]


def _children_by_path(children: list[Region], rows: Iterable[tuple[str, Mapping[str, Any]]], tally: _Tally) -> None:
    for path, row in rows:
        for child in children:
            if path.startswith(child.path):
                tally.add(child.code, row)
                break
        else:
            tally.add("", row)  # recorded at the region itself, not below it


def _children(subject: Subject, period: Period, children: list[Region], *, summary_built: bool) -> list[Slice]:
    """One row per sub-region (or per station when looking at several stations)."""
    tally = _Tally()
    if subject.region is None:
        if len(subject.stations) < 2:
            return []
        for row in _period_suggestions(subject, period).values("station_id").annotate(**suggestion_aggregates()):
            tally.add(row["station_id"], row)
        for row in _period_visits(subject, period).values("station_id").annotate(**visit_aggregates()):
            tally.add(row["station_id"], row)
        return [
            Slice(key=str(s.pk), label=s.name, figures=tally.rows.get(s.pk, Figures()), station_id=s.pk)
            for s in subject.stations
        ]
    if not children:
        return []
    grain = _grain_for(children, period, trend=False) if summary_built else None
    if grain is not None:
        rows = (
            DailyStats.objects.filter(
                region__in=children,
                grain=grain,
                dimension=Dimension.CHANNEL,
                day__gte=period.start,
                day__lte=period.end,
            )
            .values("region_id")
            .annotate(**summary_sums())
            .order_by()
        )
        by_id = {child.pk: child.code for child in children}
        for row in rows:
            tally.add(by_id[row["region_id"]], row)
    else:
        s_rows = (
            _period_suggestions(subject, period).values("region__path").annotate(**suggestion_aggregates()).order_by()
        )
        v_rows = (
            _period_visits(subject, period).values("station__region__path").annotate(**visit_aggregates()).order_by()
        )
        _children_by_path(children, ((r["region__path"], r) for r in s_rows), tally)
        _children_by_path(children, ((r["station__region__path"], r) for r in v_rows), tally)
    slices = [
        Slice(key=c.code, label=c.name, figures=tally.rows.get(c.code, Figures()), region_code=c.code) for c in children
    ]
    if "" in tally.rows and subject.region is not None:
        own = _("%(region)s itself") % {"region": subject.region.name}
        slices.append(Slice(key="", label=own, figures=tally.rows[""]))
    return slices


def _cache_key(subject: Subject, period: Period, today: dt.date, token: str) -> str:
    assert subject.region is not None
    parts = [token, subject.region.code, period.kind, period.start, period.end, today, get_language()]
    return "dashboards:board:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def dashboard_get(
    *, subject: Subject, period: Period, children: list[Region] | None = None, today: dt.date | None = None
) -> Dashboard:
    """Every figure of a dashboard. `subject` must come from `dashboard_subject` (it is scoped).

    Dashboards read from the summary are cached for CACHE_SECONDS under the summary's version
    token: a refresh makes every cached one obsolete at once, and the live overdue figures in
    them are at most that old. Live dashboards (small regions, stations) are never cached.
    """
    today = today or timezone.localdate()
    grain = subject.summary_grain(period)
    refreshed_at: dt.datetime | None = None
    token = ""
    if grain is not None or subject.region is not None:
        # The summary is used once it has been built; until then even a province is counted live.
        state = StatsState.objects.filter(pk=1, rebuilt_at__isnull=False).values_list("refreshed_at", "token").first()
        if state is not None:
            refreshed_at, token = state
    summary_built = refreshed_at is not None
    summarised = summary_built and grain is not None
    key = _cache_key(subject, period, today, token) if summarised and token else ""
    if key:
        cached = cache.get(key)
        if isinstance(cached, Dashboard):
            return cached
    board = _dashboard_compute(
        subject=subject,
        period=period,
        children=children or [],
        today=today,
        grain=grain if summarised else None,
        summary_built=summary_built,
        refreshed_at=refreshed_at,
    )
    if key:
        cache.set(key, board, CACHE_SECONDS)
    return board


def _dashboard_compute(
    *,
    subject: Subject,
    period: Period,
    children: list[Region],
    today: dt.date,
    grain: Grain | None,
    summary_built: bool,
    refreshed_at: dt.datetime | None,
) -> Dashboard:
    summarised = grain is not None
    if subject.region is not None and grain is not None:
        tallies = _summary_tallies(subject.region, period, grain)
    else:
        tallies = _live_tallies(subject, period)
    categories, channels, trend = tallies.categories, tallies.channels, tallies.trend
    children_rows = _children(subject, period, children, summary_built=summary_built)
    overdue_units = _overdue_units(subject, period, today)

    # Every row, visit or suggestion, has a channel: the channel split adds up to the whole.
    totals = channels.total()
    totals.reply_overdue = sum(u.reply_overdue for u in overdue_units)

    names = tallies.category_names
    category_slices = sorted(
        (
            Slice(key=str(k or ""), label=_category_label(k, names), figures=f)
            for k, f in categories.rows.items()
            if f.collected or f.merged
        ),
        key=lambda s: (-s.figures.collected, s.label),
    )
    channel_slices = sorted(
        (Slice(key=k, label=_channel_label(k), figures=f) for k, f in channels.rows.items()),
        key=lambda s: (-(s.figures.visits + s.figures.collected), s.label),
    )
    trend_slices = [
        Slice(
            key=b.isoformat(),
            label=b.isoformat() if period.daily else f"{b.year}-{b.month:02d}",
            figures=trend.rows.get(b, Figures()),
            day=b,
        )
        for b in period.buckets()
    ]
    return Dashboard(
        subject=subject,
        period=period,
        today=today,
        totals=totals,
        categories=category_slices,
        channels=channel_slices,
        trend=trend_slices,
        children=children_rows,
        overdue_units=overdue_units[:TOP_UNITS],
        overdue_total=sum(u.overdue for u in overdue_units),
        summarised=summarised,
        refreshed_at=refreshed_at if summarised else None,
        computed_at=timezone.now(),
    )
