"""The lines of a staff suggestion list: read as plain values and prepared in Python.

A list page shows fifty lines; building fifty model instances with four related ones each,
then rendering eight cells per line through the template engine, cost more than the query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from suggestions.deadlines import WorkingCalendar, stage_limit_days
from suggestions.models import State, Suggestion, SupervisionLevel

# What a line shows; the rest of a suggestion (its text, the voter) stays in the database.
LIST_VALUES = (
    "id",
    "tracking_code",
    "title",
    "state",
    "urgency",
    "supervision_level",
    "ack_due",
    "reply_due",
    "feedback_due",
    "stage_since",
    "stage_due",
    "created_at",
    "category__name",
    "region__name",
    "station__name",
    "lead_unit__name",
)


@dataclass(slots=True)
class ListRow:
    id: int
    tracking_code: str
    url: str
    title: str
    state: str
    state_label: str
    urgent: bool
    supervision_level: int
    supervision_label: str
    category: str
    place: str  # the station, or the region when it came from elsewhere
    lead_unit: str
    due: str  # the deadline that matters in its state, YYYY-MM-DD, or ""
    overdue: bool
    # Replied, and the voter's feedback window has passed: committee staff may close it (办结).
    closable: bool
    # Before the hand-over (梳理, 拟办, 交办): working days in the stage so far and its limit.
    stage_age: int | None
    stage_limit: int | None
    received_iso: str
    received_on: str


def list_values(qs: QuerySet[Suggestion]) -> QuerySet[Suggestion, dict[str, Any]]:
    values: QuerySet[Suggestion, dict[str, Any]] = qs.values(*LIST_VALUES)
    return values


def list_rows(values: list[dict[str, Any]], today: dt.date) -> list[ListRow]:
    """ListRows from `list_values` dicts; labels in the active language."""
    # One reverse() and one pass over the choices per page, not per line.
    prefix = reverse("suggestions:detail", kwargs={"code": "0"})[:-2]
    states = {value: str(label) for value, label in State.choices}
    levels = {value: str(label) for value, label in SupervisionLevel.choices}
    calendar = WorkingCalendar()
    ages: dict[dt.date, int] = {}  # lines that entered their stage on the same day share the count
    rows = []
    for v in values:
        state = v["state"]
        due = None
        stage_age = stage_limit = None
        if v["stage_due"] is not None and (stage_limit := stage_limit_days(state)) is not None:
            due = v["stage_due"]
            since = timezone.localdate(v["stage_since"]) if v["stage_since"] else due
            if since not in ages:
                ages[since] = calendar.working_days_between(since, today)
            stage_age = ages[since]
        elif state == State.ASSIGNED:
            due = min((d for d in (v["ack_due"], v["reply_due"]) if d), default=None)
        elif state == State.IN_PROGRESS:
            due = v["reply_due"]
        elif state == State.REPLIED:
            due = v["feedback_due"]
        received = timezone.localtime(v["created_at"])
        rows.append(
            ListRow(
                id=v["id"],
                tracking_code=v["tracking_code"],
                url=f"{prefix}{v['tracking_code']}/",
                title=v["title"],
                state=state,
                state_label=states.get(state, state),
                urgent=v["urgency"] == "urgent",
                supervision_level=v["supervision_level"],
                supervision_label=levels.get(v["supervision_level"], ""),
                category=v["category__name"] or "",
                place=v["station__name"] or v["region__name"] or "",
                lead_unit=v["lead_unit__name"] or "",
                due=due.isoformat() if due else "",
                overdue=bool(
                    due and due < today and (state in (State.ASSIGNED, State.IN_PROGRESS) or stage_age is not None)
                ),
                closable=state == State.REPLIED and due is not None and due < today,
                stage_age=stage_age,
                stage_limit=stage_limit if stage_age is not None else None,
                received_iso=received.isoformat(timespec="seconds"),
                received_on=received.date().isoformat(),
            )
        )
    return rows
