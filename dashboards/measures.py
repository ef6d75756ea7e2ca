"""What each dashboard figure means, defined once as ORM aggregates.

The daily summary (`services`) and the live figures for small regions (`selectors`) both
use these definitions, so a number means the same whichever way it was computed.

- Visits count on the day they took place; voters received is the sum over visits.
- Suggestions count on the day they were received, with their progress now:
  collected excludes duplicates merged into an earlier suggestion; replied means
  answered and not being handled again; handling time runs from receipt to the reply.
- Everything about rounds comes from the case facts (`suggestions.casefile`), which are
  derived from the case file's rows: on-time counts every answer against the deadline in
  force when it was given (a late first reply stays late after re-handling); first-round
  satisfaction rates the first answer, final satisfaction the latest; the representative's
  rating (代表评) is its own figure; 办成率 is the share of answered cases whose latest answer
  is "A: solved"; the re-handling rate is the share of answered cases sent back at least once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce

from suggestions.models import Rating, ReplyCategory, State

# Ratings that count as satisfied in every satisfaction rate.
SATISFIED = (Rating.SATISFIED, Rating.BASIC)

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
    "answered",
    "acks_with_due",
    "acks_on_time",
    "answers_timed",
    "answer_working_days",
    "first_rated",
    "first_satisfied",
    "rep_rated",
    "rep_satisfied",
    "solved",
    "rehandled",
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
    handling = ExpressionWrapper(F("replied_at") - F("created_at"), output_field=DurationField())
    return {
        alias("collected"): Count("id", filter=~Q(state=State.MERGED)),
        alias("merged"): Count("id", filter=Q(state=State.MERGED)),
        alias("resolved_on_spot"): Count("id", filter=Q(resolved_on_spot=True)),
        alias("handed_over"): Count("id", filter=Q(assigned_at__isnull=False)),
        alias("replied"): Count("id", filter=answered),
        # Answers of every round, against the deadline in force when each was given.
        alias("replied_with_due"): Coalesce(Sum("answers_with_due"), 0),
        alias("replied_on_time"): Coalesce(Sum("answers_on_time"), 0),
        alias("closed"): Count("id", filter=Q(state=State.CLOSED)),
        alias("rated"): Count("id", filter=~Q(rating="")),
        alias("satisfied"): Count("id", filter=Q(rating=Rating.SATISFIED)),
        alias("basically_satisfied"): Count("id", filter=Q(rating=Rating.BASIC)),
        alias("dissatisfied"): Count("id", filter=Q(rating=Rating.DISSATISFIED)),
        alias("handling_time"): Coalesce(Sum(handling, filter=answered), _zero_duration()),
        alias("answered"): Count("id", filter=Q(answers__gt=0)),
        alias("acks_with_due"): Coalesce(Sum("acks_with_due"), 0),
        alias("acks_on_time"): Coalesce(Sum("acks_on_time"), 0),
        alias("answers_timed"): Coalesce(Sum("answers_timed"), 0),
        alias("answer_working_days"): Coalesce(Sum("answer_working_days"), 0),
        alias("first_rated"): Count("id", filter=~Q(first_rating="")),
        alias("first_satisfied"): Count("id", filter=Q(first_rating__in=SATISFIED)),
        alias("rep_rated"): Count("id", filter=~Q(rep_rating="")),
        alias("rep_satisfied"): Count("id", filter=Q(rep_rating__in=SATISFIED)),
        alias("solved"): Count("id", filter=Q(answers__gt=0, reply_category=ReplyCategory.A)),
        alias("rehandled"): Count("id", filter=Q(answers__gt=0, rehandle_count__gt=0)),
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
    answered: int = 0
    acks_with_due: int = 0
    acks_on_time: int = 0
    answers_timed: int = 0
    answer_working_days: int = 0
    first_rated: int = 0
    first_satisfied: int = 0
    rep_rated: int = 0
    rep_satisfied: int = 0
    solved: int = 0
    rehandled: int = 0
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
        """Final satisfaction: the voter satisfied or basically satisfied with the latest
        answer, of the cases whose latest answer the voter rated (percent)."""
        return _rate(self.satisfied + self.basically_satisfied, self.rated)

    @property
    def first_satisfaction_rate(self) -> float | None:
        """First-round satisfaction: the voter satisfied or basically satisfied with the first
        answer, of the cases whose first answer the voter rated (percent)."""
        return _rate(self.first_satisfied, self.first_rated)

    @property
    def rep_satisfaction_rate(self) -> float | None:
        """The receiving representatives' satisfaction (代表评) with the latest answer (percent)."""
        return _rate(self.rep_satisfied, self.rep_rated)

    @property
    def on_time_rate(self) -> float | None:
        """Answers given by the deadline in force then, of all answers with a deadline plus the
        cases whose reply is overdue now (percent); every round counts."""
        return _rate(self.replied_on_time, self.replied_with_due + self.reply_overdue)

    @property
    def ack_on_time_rate(self) -> float | None:
        """Hand-overs acknowledged by their deadline, of those acknowledged (percent)."""
        return _rate(self.acks_on_time, self.acks_with_due)

    @property
    def solved_rate(self) -> float | None:
        """办成率: answered cases whose latest answer is "A: solved" (percent)."""
        return _rate(self.solved, self.answered)

    @property
    def rehandle_rate(self) -> float | None:
        """Answered cases the voter sent back for re-handling at least once (percent)."""
        return _rate(self.rehandled, self.answered)

    @property
    def average_working_days(self) -> float | None:
        """Average working days a unit's answer took, from the hand-over (or the rating that
        reopened the case) to the answer, on the statutory calendar."""
        if not self.answers_timed:
            return None
        return round(self.answer_working_days / self.answers_timed, 1)

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
