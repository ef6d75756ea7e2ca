"""The public league table of handling units (DESIGN §5), with the dashboards' definitions.

Each unit's figures are the same aggregates as a dashboard's (`dashboards.measures`) over the
suggestions it leads, so "on time" and "satisfied" mean the same on the voter site, the staff
dashboards, the exports and the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from dashboards.measures import Figures, suggestion_aggregates
from stations.models import Region
from suggestions.models import HandlingUnit, State, Suggestion

LEAGUE_CACHE_SECONDS = 300


@dataclass(frozen=True)
class UnitStats:
    unit_id: int
    name: str
    region: str
    handed_over: int
    figures: Figures

    @property
    def replied(self) -> int:
        return self.figures.answered

    @property
    def on_time_rate(self) -> float | None:
        return self.figures.on_time_rate

    @property
    def satisfaction_rate(self) -> float | None:
        return self.figures.satisfaction_rate

    @property
    def first_satisfaction_rate(self) -> float | None:
        return self.figures.first_satisfaction_rate

    @property
    def solved_rate(self) -> float | None:
        return self.figures.solved_rate

    @property
    def average_working_days(self) -> float | None:
        return self.figures.average_working_days


def _sort_key(s: UnitStats) -> tuple[float, float, str]:
    return (
        -(s.on_time_rate if s.on_time_rate is not None else -1),
        -(s.satisfaction_rate if s.satisfaction_rate is not None else -1),
        s.name,
    )


def unit_league(*, region: Region | None = None) -> list[UnitStats]:
    """Handling units ranked by on-time rate, then final satisfaction; one aggregate query
    over the suggestions each unit leads, cached briefly."""
    key = f"public:unit_league:v2:{region.pk if region else 'all'}"
    cached: list[UnitStats] | None = cache.get(key)
    if cached is not None:
        return cached
    today = timezone.localdate()
    qs = Suggestion.objects.filter(lead_unit__isnull=False, assigned_at__isnull=False)
    if region is not None:
        qs = qs.filter(lead_unit__region__path__startswith=region.path)
    overdue = Q(state__in=[State.ASSIGNED, State.IN_PROGRESS], reply_due__lt=today)
    rows = (
        qs.values("lead_unit")
        .annotate(handed_over=Count("id"), overdue_now=Count("id", filter=overdue), **suggestion_aggregates())
        .order_by()
    )
    by_unit = {row["lead_unit"]: row for row in rows}
    result: list[UnitStats] = []
    for unit in HandlingUnit.objects.filter(pk__in=by_unit).select_related("region"):
        row = by_unit[unit.pk]
        figures = Figures()
        figures.add_row(row)
        figures.reply_overdue = int(row["overdue_now"])
        result.append(
            UnitStats(
                unit_id=unit.pk,
                name=unit.name,
                region=unit.region.name,
                handed_over=int(row["handed_over"]),
                figures=figures,
            )
        )
    result.sort(key=_sort_key)
    cache.set(key, result, LEAGUE_CACHE_SECONDS)
    return result
