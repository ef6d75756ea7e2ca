"""The deadline sweep (DESIGN §4, issue 14 §6): reminders before, on and after a deadline, and escalation.

Set-based: for each deadline one INSERT … SELECT writes a reminder delivery for every
(suggestion, recipient, channel) that is due. The key
`reminder:<suggestion>:<deadline kind>:<deadline>:<level>` and the unique (key, channel,
recipient) constraint with ON CONFLICT DO NOTHING make a second sweep, a retried task or
two workers at once insert nothing new; RETURNING gives exactly the rows this sweep created,
which are then sent in batches. The number of queries does not depend on the number of
suggestions.

Deadlines (`SPECS`), who is told, and whether it is escalated to committee staff:

| kind | deadline | runs while | told | escalated |
|---|---|---|---|---|
| `ack` | `ack_due` | assigned | lead unit's contacts | yes |
| `reply` | `reply_due` | in progress | lead unit's contacts | yes |
| `co` | `Assignment.due` | assigned or in progress, co-unit's opinion not given | that co-unit's contacts | yes |
| `follow_up` | `follow_up_due` | a "B" reply, replied or closed | lead unit's contacts | yes |
| `sort`, `propose` | `stage_due` | received, sorted | station staff (committee staff without a station) | yes |
| `hand_over` | `stage_due` | proposed | committee staff | no (they are told already) |
| `extension` | request day + EXTENSION_DECISION_DAYS | a request pending | committee staff | no |
| `formal` | `formal_reply_due` | closed as a formal suggestion | committee staff | no |
| `feedback` | `feedback_due` passed, no rating | replied | committee staff ("may close") | no |

Levels: `soon` (due within REMINDER_DAYS_AHEAD working days), `today`, `overdue`, and
`escalated` (overdue by ESCALATE_AFTER_DAYS working days or more: committee staff of the
suggestion's region and the regions above it are told). The end of the feedback window has
the one level `overdue`. Committee staff are always those of the suggestion's region and
the regions above it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Membership, Role, User
from notifications.models import Channel, Delivery, DeliveryStatus
from notifications.rendering import MessageKind
from stations.models import Region
from suggestions.deadlines import WorkingCalendar, add_working_days, overdue_until
from suggestions.models import (
    Assignment,
    AssignmentRole,
    ExtensionRequest,
    ExtensionStatus,
    HandlingUnitContact,
    ReplyCategory,
    Route,
    Suggestion,
)


@dataclass(frozen=True)
class SweepWindow:
    today: dt.date
    soon_until: dt.date  # due in (today, soon_until] → "soon"
    escalate_until: dt.date  # due on or before → escalated to committee staff


@dataclass(frozen=True)
class SweepResult:
    window: SweepWindow
    created_ids: list[int]


def sweep_window(today: dt.date, *, calendar: WorkingCalendar | None = None) -> SweepWindow:
    """The dates that split due soon, due today, overdue and escalated, on the statutory calendar."""
    calendar = calendar or WorkingCalendar()
    soon_until = calendar.add_working_days(today, settings.REMINDER_DAYS_AHEAD).due
    # The latest due date with at least ESCALATE_AFTER_DAYS working days in (due, today].
    escalate_until = overdue_until(today, settings.ESCALATE_AFTER_DAYS, calendar=calendar)
    return SweepWindow(today=today, soon_until=soon_until, escalate_until=escalate_until)


def _sql_functions() -> tuple[str, str]:
    """(JSON object builder, date → 'YYYY-MM-DD') for this database."""
    if connection.vendor == "postgresql":
        return "jsonb_build_object", "to_char({}, 'YYYY-MM-DD')"
    return "json_object", "{}"  # SQLite stores dates as ISO text


_INSERT = """
INSERT INTO {delivery} (key, channel, recipient, user_id, suggestion_id, kind, context, language,
                        status, attempts, last_error, created_at)
SELECT 'reminder:' || CAST(s.id AS TEXT) || ':' || %(deadline_kind)s || ':' || s.due_text || ':' || s.level,
       r.channel, r.address, r.user_id, s.id, %(message_kind)s,
       {json}('deadline_kind', %(deadline_kind)s, 'deadline', s.due_text, 'level', s.level),
       %(language)s, %(pending)s, 0, '', %(now)s
FROM ({suggestions}) s
JOIN ({recipients}) r ON {join}
WHERE TRUE
ON CONFLICT (key, channel, recipient) DO NOTHING
RETURNING id
"""

_LEVEL = "CASE WHEN {due} < %(today)s THEN 'overdue' WHEN {due} = %(today)s THEN 'today' ELSE 'soon' END"

# Each deadline's rows: the suggestion, whom it concerns (`target`: a unit id, a station id or
# a region path), the deadline and the level. `{due}` is the deadline's column; `{until}` the
# last date this sweep looks at; `{target}` and `{level}` are filled in per recipient group.
_SUGGESTION_ROWS: dict[str, str] = {
    "ack": "FROM {suggestion} s {region_join} WHERE s.state = 'assigned' AND {due} <= {until}",
    "reply": "FROM {suggestion} s {region_join} WHERE s.state = 'in_progress' AND {due} <= {until}",
    "co": (
        "FROM {assignment} a JOIN {suggestion} s ON s.id = a.suggestion_id {region_join}"
        " WHERE a.role = %(co_role)s AND a.is_active AND a.opinion_at IS NULL AND {due} <= {until}"
        " AND s.state IN ('assigned', 'in_progress')"
    ),
    "follow_up": (
        "FROM {suggestion} s {region_join}"
        " WHERE s.state IN ('replied', 'closed') AND s.reply_category = %(category_b)s AND {due} <= {until}"
    ),
    "sort": "FROM {suggestion} s {region_join} WHERE s.state = 'received' AND {due} <= {until}",
    "propose": "FROM {suggestion} s {region_join} WHERE s.state = 'sorted' AND {due} <= {until}",
    "hand_over": "FROM {suggestion} s {region_join} WHERE s.state = 'proposed' AND {due} <= {until}",
    "formal": (
        "FROM {suggestion} s {region_join}"
        " WHERE s.state = 'closed' AND s.route = %(closed_session)s AND {due} <= {until}"
    ),
    "feedback": "FROM {suggestion} s {region_join} WHERE s.state = 'replied' AND s.rating = '' AND {due} <= {until}",
    # The decision day of each pending request comes from a small table of request days (`{days}`).
    "extension": (
        "FROM {extension} e JOIN {suggestion} s ON s.id = e.suggestion_id {region_join}"
        " JOIN ({days}) d ON e.requested_at >= d.day_from AND e.requested_at < d.day_to"
        " WHERE e.status = %(pending_request)s AND s.state = 'in_progress' AND {due} <= {until}"
    ),
}

# The column each deadline's date is in.
_DUE: dict[str, str] = {
    "ack": "s.ack_due",
    "reply": "s.reply_due",
    "co": "a.due",
    "follow_up": "s.follow_up_due",
    "sort": "s.stage_due",
    "propose": "s.stage_due",
    "hand_over": "s.stage_due",
    "formal": "s.formal_reply_due",
    "feedback": "s.feedback_due",
    "extension": "d.due",
}

# Every active contact of a unit, once per channel it can be reached on.
_UNIT_RECIPIENTS = """
SELECT c.unit_id AS target, 'in_app' AS channel, CAST(u.id AS TEXT) AS address, u.id AS user_id
  FROM {contact} c JOIN {user} u ON u.id = c.user_id
 WHERE c.is_active AND u.is_active
UNION ALL
SELECT c.unit_id, 'email', LOWER(TRIM(c.email)), u.id
  FROM {contact} c LEFT JOIN {user} u ON u.id = c.user_id AND u.is_active
 WHERE c.is_active AND TRIM(c.email) <> ''
UNION ALL
SELECT c.unit_id, 'sms', REPLACE(REPLACE(TRIM(c.phone), ' ', ''), '-', ''), u.id
  FROM {contact} c LEFT JOIN {user} u ON u.id = c.user_id AND u.is_active
 WHERE c.is_active AND TRIM(c.phone) <> ''
"""

# Staff of one role with what they work for (`{target}`: a station id or a region path).
_STAFF_RECIPIENTS = """
SELECT {target} AS target, 'in_app' AS channel, CAST(u.id AS TEXT) AS address, u.id AS user_id
  FROM {membership} m {region_join} JOIN {user} u ON u.id = m.user_id
 WHERE m.role = %({role})s AND u.is_active
UNION ALL
SELECT {target}, 'email', LOWER(TRIM(u.email)), u.id
  FROM {membership} m {region_join} JOIN {user} u ON u.id = m.user_id
 WHERE m.role = %({role})s AND u.is_active AND TRIM(u.email) <> ''
UNION ALL
SELECT {target}, 'sms', REPLACE(REPLACE(TRIM(u.phone), ' ', ''), '-', ''), u.id
  FROM {membership} m {region_join} JOIN {user} u ON u.id = m.user_id
 WHERE m.role = %({role})s AND u.is_active AND TRIM(u.phone) <> ''
"""


@dataclass(frozen=True)
class Group:
    """Who is told of a deadline: the recipients and which suggestions' column they match."""

    target: str  # the suggestions' column matched against the recipients' target
    recipients: str  # "unit", "station" or "committee"
    condition: str = ""  # an extra condition on the suggestions


@dataclass(frozen=True)
class Spec:
    kind: str
    message_kind: str
    groups: tuple[Group, ...]
    escalate: bool = True  # also tell committee staff when overdue ESCALATE_AFTER_DAYS working days
    only_overdue: bool = False  # one level: the deadline has passed


_LEAD = Group("s.lead_unit_id", "unit")
_COMMITTEE = Group("g.path", "committee")
# A suggestion recorded without a station: committee staff of its region act as its station.
_STATION_STAGE = (
    Group("s.station_id", "station", "s.station_id IS NOT NULL"),
    Group("g.path", "committee", "s.station_id IS NULL"),
)

SPECS: tuple[Spec, ...] = (
    Spec("ack", MessageKind.REMINDER, (_LEAD,)),
    Spec("reply", MessageKind.REMINDER, (_LEAD,)),
    Spec("co", MessageKind.REMINDER, (Group("a.unit_id", "unit"),)),
    Spec("follow_up", MessageKind.REMINDER, (_LEAD,)),
    Spec("sort", MessageKind.STAFF_REMINDER, _STATION_STAGE),
    Spec("propose", MessageKind.STAFF_REMINDER, _STATION_STAGE),
    Spec("hand_over", MessageKind.STAFF_REMINDER, (_COMMITTEE,), escalate=False),
    Spec("extension", MessageKind.STAFF_REMINDER, (_COMMITTEE,), escalate=False),
    Spec("formal", MessageKind.STAFF_REMINDER, (_COMMITTEE,), escalate=False),
    Spec("feedback", MessageKind.STAFF_REMINDER, (_COMMITTEE,), escalate=False, only_overdue=True),
)
SPECS_BY_KIND = {spec.kind: spec for spec in SPECS}


def _tables() -> dict[str, str]:
    qn = connection.ops.quote_name
    return {
        "delivery": qn(Delivery._meta.db_table),
        "suggestion": qn(Suggestion._meta.db_table),
        "assignment": qn(Assignment._meta.db_table),
        "extension": qn(ExtensionRequest._meta.db_table),
        "contact": qn(HandlingUnitContact._meta.db_table),
        "user": qn(User._meta.db_table),
        "membership": qn(Membership._meta.db_table),
        "region": qn(Region._meta.db_table),
    }


def _recipients(kind: str, tables: dict[str, str]) -> str:
    if kind == "unit":
        return _UNIT_RECIPIENTS.format(**tables)
    if kind == "station":
        return _STAFF_RECIPIENTS.format(**tables, target="m.station_id", region_join="", role="station")
    return _STAFF_RECIPIENTS.format(
        **tables, target="g.path", region_join=f"JOIN {tables['region']} g ON g.id = m.region_id", role="committee"
    )


def _join(recipients: str) -> str:
    # Paths are digits and slashes: no LIKE wildcard can hide in them.
    return "s.target LIKE r.target || '%%'" if recipients == "committee" else "r.target = s.target"


def _extension_days(window: SweepWindow, calendar: WorkingCalendar) -> tuple[str, dict[str, Any]]:
    """A table (day_from, day_to, due) for each local day on which a pending request was made,
    as SQL with its parameters: one small query for the distinct days, bounded by how long
    requests wait, not by how many there are."""
    from django.db.models.functions import TruncDate

    days = sorted(
        {
            d
            for d in ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING)
            .annotate(day=TruncDate("requested_at"))
            .values_list("day", flat=True)
            .distinct()
            if d is not None
        }
    )
    limit = int(settings.EXTENSION_DECISION_DAYS)
    zone = timezone.get_current_timezone()
    ops = connection.ops
    cast = connection.vendor == "postgresql"
    rows: list[str] = []
    params: dict[str, Any] = {}
    for i, day in enumerate(days):
        start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        params[f"xd{i}f"] = ops.adapt_datetimefield_value(start)
        params[f"xd{i}t"] = ops.adapt_datetimefield_value(end)
        params[f"xd{i}d"] = ops.adapt_datefield_value(add_working_days(day, limit, calendar=calendar).due)
        if cast:
            rows.append(
                f"SELECT %(xd{i}f)s::timestamptz AS day_from, %(xd{i}t)s::timestamptz AS day_to,"
                f" %(xd{i}d)s::date AS due"
            )
        else:
            rows.append(f"SELECT %(xd{i}f)s AS day_from, %(xd{i}t)s AS day_to, %(xd{i}d)s AS due")
    return " UNION ALL ".join(rows), params


def _insert(sql: str, params: dict[str, Any]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def reminder_sweep(*, today: dt.date | None = None) -> SweepResult:
    """Create the reminder deliveries due today that no earlier sweep created; returns their ids."""
    today = today or timezone.localdate()
    calendar = WorkingCalendar()
    window = sweep_window(today, calendar=calendar)
    json_fn, date_text = _sql_functions()
    tables = _tables()
    ops = connection.ops
    common: dict[str, Any] = {
        "language": settings.LANGUAGE_CODE,
        "pending": DeliveryStatus.PENDING.value,
        "now": ops.adapt_datetimefield_value(timezone.now()),
        "today": ops.adapt_datefield_value(window.today),
        "soon_until": ops.adapt_datefield_value(window.soon_until),
        "escalate_until": ops.adapt_datefield_value(window.escalate_until),
        "yesterday": ops.adapt_datefield_value(window.today - dt.timedelta(days=1)),
        "committee": Role.COMMITTEE_STAFF.value,
        "station": Role.STATION_STAFF.value,
        "co_role": AssignmentRole.CO.value,
        "category_b": ReplyCategory.B.value,
        "closed_session": Route.CLOSED_SESSION.value,
        "pending_request": ExtensionStatus.PENDING.value,
    }
    assert {c.value for c in Channel} == {"in_app", "email", "sms"}  # the SQL above spells them out
    region_join = f"JOIN {tables['region']} g ON g.id = s.region_id"
    created: list[int] = []
    with transaction.atomic():
        for spec in SPECS:
            params = {**common, "deadline_kind": spec.kind}
            days_sql = ""
            if spec.kind == "extension":
                days_sql, days_params = _extension_days(window, calendar)
                if not days_sql:
                    continue  # no request is pending
                params.update(days_params)
            due = _DUE[spec.kind]
            rows = _SUGGESTION_ROWS[spec.kind]
            level = "'overdue'" if spec.only_overdue else _LEVEL.format(due=due)
            until = "%(yesterday)s" if spec.only_overdue else "%(soon_until)s"
            runs: list[tuple[Group, str, str, str]] = [(g, level, until, spec.message_kind) for g in spec.groups]
            if spec.escalate:
                runs.append((_COMMITTEE, "'escalated'", "%(escalate_until)s", MessageKind.ESCALATION))
            for group, level_sql, until_sql, message_kind in runs:
                # The region is joined only where committee staff are matched by its path.
                joined = region_join if group.target.startswith("g.") else ""
                where = rows.format(**tables, region_join=joined, due=due, until=until_sql, days=days_sql)
                if group.condition:
                    where += f" AND {group.condition}"
                suggestions = (
                    f"SELECT s.id, {group.target} AS target, {date_text.format(due)} AS due_text, "
                    f"{level_sql} AS level {where}"
                )
                sql = _INSERT.format(
                    **tables,
                    json=json_fn,
                    suggestions=suggestions,
                    recipients=_recipients(group.recipients, tables),
                    join=_join(group.recipients),
                )
                created += _insert(sql, {**params, "message_kind": message_kind})
    return SweepResult(window=window, created_ids=sorted(created))
