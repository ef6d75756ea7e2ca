"""What each dashboard figure means, defined once as ORM aggregates.

The daily summary (`services`) and the live figures for small regions (`selectors`) both
use these definitions, so a number means the same whichever way it was computed.

- Visits count on the day they took place; voters received is the sum over visits.
- Suggestions count on the day they were received, with their progress now:
  collected excludes duplicates merged into an earlier suggestion; replied means
  answered and not being handled again; on time means replied no later than the reply
  deadline in force (after any approved extension); handling time runs from receipt to
  the reply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from suggestions.models import Rating, State

# The summed columns of DailyStats, in a fixed order.
COUNT_MEASURES: tuple[str, ...] = (
    "visits",
    "voters_received",
    "collected",
    "merged",
    "resolved_on_spot",
    "handed_over",
    "replied",
    "replied_with_due",
    "replied_on_time",
    "closed",
    "rated",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
)
MEASURES: tuple[str, ...] = (*COUNT_MEASURES, "handling_time")
VISIT_MEASURES: tuple[str, ...] = ("visits", "voters_received")
SUGGESTION_MEASURES: tuple[str, ...] = tuple(m for m in MEASURES if m not in VISIT_MEASURES)

# Annotation names carry a prefix so they never clash with model fields (Suggestion has
# a `resolved_on_spot` field, DailyStats has a column per measure).
PREFIX = "m_"


def alias(measure: str) -> str:
    return f"{PREFIX}{measure}"


def _zero_duration() -> Value:
    return Value(dt.timedelta(0), output_field=DurationField())


def visit_aggregates() -> dict[str, Any]:
    """Aggregates over VoterVisit rows."""
    return {
        alias("visits"): Count("id"),
        alias("voters_received"): Coalesce(Sum("voters_received"), 0),
    }


def _answered() -> Q:
    # A reply stands while the suggestion is replied or closed; a dissatisfied voter
    # sends it back to in_progress, and it counts as replied again once re-answered.
    return Q(replied_at__isnull=False, state__in=[State.REPLIED, State.CLOSED])


def suggestion_aggregates() -> dict[str, Any]:
    """Aggregates over Suggestion rows."""
    answered = _answered()
    replied_day = TruncDate("replied_at", tzinfo=timezone.get_default_timezone())
    handling = ExpressionWrapper(F("replied_at") - F("created_at"), output_field=DurationField())
    return {
        alias("collected"): Count("id", filter=~Q(state=State.MERGED)),
        alias("merged"): Count("id", filter=Q(state=State.MERGED)),
        alias("resolved_on_spot"): Count("id", filter=Q(resolved_on_spot=True)),
        alias("handed_over"): Count("id", filter=Q(assigned_at__isnull=False)),
        alias("replied"): Count("id", filter=answered),
        alias("replied_with_due"): Count("id", filter=answered & Q(reply_due__isnull=False)),
        alias("replied_on_time"): Count("id", filter=answered & Q(reply_due__gte=replied_day)),
        alias("closed"): Count("id", filter=Q(state=State.CLOSED)),
        alias("rated"): Count("id", filter=~Q(rating="")),
        alias("satisfied"): Count("id", filter=Q(rating=Rating.SATISFIED)),
        alias("basically_satisfied"): Count("id", filter=Q(rating=Rating.BASIC)),
        alias("dissatisfied"): Count("id", filter=Q(rating=Rating.DISSATISFIED)),
        alias("handling_time"): Coalesce(Sum(handling, filter=answered), _zero_duration()),
    }


def zero_aggregates(measures: tuple[str, ...]) -> dict[str, Any]:
    """Constant zeros for the measures a source does not have (visits have no replies)."""
    return {
        alias(m): _zero_duration() if m == "handling_time" else Value(0, output_field=IntegerField()) for m in measures
    }


def summary_sums() -> dict[str, Any]:
    """Aggregates over DailyStats rows: the sum of every measure column."""
    sums: dict[str, Any] = {alias(m): Coalesce(Sum(m), 0) for m in COUNT_MEASURES}
    sums[alias("handling_time")] = Coalesce(Sum("handling_time"), _zero_duration())
    return sums


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Figures:
    """The figures of one slice (a region and period, a category, a month…)."""

    visits: int = 0
    voters_received: int = 0
    collected: int = 0
    merged: int = 0
    resolved_on_spot: int = 0
    handed_over: int = 0
    replied: int = 0
    replied_with_due: int = 0
    replied_on_time: int = 0
    closed: int = 0
    rated: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    handling_time: dt.timedelta = field(default_factory=dt.timedelta)
    # Live, not summarised: open suggestions whose reply deadline has passed.
    reply_overdue: int = 0

    def add_row(self, row: Mapping[str, Any]) -> None:
        """Add an aggregate row keyed by `alias(measure)`; absent measures count as zero."""
        for name in COUNT_MEASURES:
            value = row.get(alias(name))
            if value:
                setattr(self, name, getattr(self, name) + int(value))
        duration = row.get(alias("handling_time"))
        if isinstance(duration, dt.timedelta):
            self.handling_time += duration
        elif isinstance(duration, int) and duration:  # microseconds from a raw SQLite row
            self.handling_time += dt.timedelta(microseconds=duration)

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def satisfaction_rate(self) -> float | None:
        """Satisfied or basically satisfied, of those rated (percent)."""
        return _rate(self.satisfied + self.basically_satisfied, self.rated)

    @property
    def on_time_rate(self) -> float | None:
        """Replied by the deadline, of those replied with a deadline or overdue now (percent)."""
        return _rate(self.replied_on_time, self.replied_with_due + self.reply_overdue)

    @property
    def on_spot_rate(self) -> float | None:
        return _rate(self.resolved_on_spot, self.collected)

    @property
    def reply_rate(self) -> float | None:
        return _rate(self.replied, self.collected)

    @property
    def average_days(self) -> float | None:
        """Average calendar days from receipt to reply."""
        if not self.replied:
            return None
        return round(self.handling_time.total_seconds() / 86400 / self.replied, 1)
