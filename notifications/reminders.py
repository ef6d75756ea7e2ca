"""The deadline sweep (DESIGN §4): reminders before, on and after a deadline, and escalation.

Set-based: for each deadline (acknowledge by `ack_due` while handed over, reply by
`reply_due` while in progress) one INSERT … SELECT writes a reminder delivery for every
(suggestion, contact, channel) that is due, and one more for the committee staff of
overdue items. The key `reminder:<suggestion>:<ack|reply>:<deadline>:<level>` and the
unique (key, channel, recipient) constraint with ON CONFLICT DO NOTHING make a second
sweep, a retried task or two workers at once insert nothing new; RETURNING gives exactly
the rows this sweep created, which are then sent in batches. The number of queries does
not depend on the number of suggestions.

Levels: `soon` (due within REMINDER_DAYS_AHEAD working days), `today`, `overdue`, and
`escalated` (overdue by ESCALATE_AFTER_DAYS working days or more: committee staff of the
suggestion's region and the regions above it are told).
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
from suggestions.deadlines import WorkingCalendar
from suggestions.models import HandlingUnitContact, State, Suggestion

# (deadline kind in the key, the Suggestion field, the state in which it runs)
DEADLINES: tuple[tuple[str, str, str], ...] = (
    ("ack", "ack_due", State.ASSIGNED),
    ("reply", "reply_due", State.IN_PROGRESS),
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
    day, counted = today, 0
    while counted < settings.ESCALATE_AFTER_DAYS:
        if calendar.is_working_day(day):
            counted += 1
        day -= dt.timedelta(days=1)
    escalate_until = min(day, today - dt.timedelta(days=1))  # escalated items are always overdue
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

# Suggestions of one state whose deadline is within the window, with their level.
_UNIT_SUGGESTIONS = """
SELECT id, lead_unit_id, {due_text} AS due_text,
       CASE WHEN {field} < %(today)s THEN 'overdue' WHEN {field} = %(today)s THEN 'today' ELSE 'soon' END AS level
FROM {suggestion}
WHERE state = %(state)s AND {field} <= %(soon_until)s
"""

# Every active contact of a unit, once per channel it can be reached on.
_UNIT_RECIPIENTS = """
SELECT c.unit_id, 'in_app' AS channel, CAST(u.id AS TEXT) AS address, u.id AS user_id
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

_ESCALATED_SUGGESTIONS = """
SELECT s.id, g.path, {due_text} AS due_text, 'escalated' AS level
FROM {suggestion} s JOIN {region} g ON g.id = s.region_id
WHERE s.state = %(state)s AND s.{field} <= %(escalate_until)s
"""

# Committee staff with the region path they work for; a suggestion matches every path that prefixes its own.
_COMMITTEE_RECIPIENTS = """
SELECT g.path, 'in_app' AS channel, CAST(u.id AS TEXT) AS address, u.id AS user_id
  FROM {membership} m JOIN {region} g ON g.id = m.region_id JOIN {user} u ON u.id = m.user_id
 WHERE m.role = %(committee)s AND u.is_active
UNION ALL
SELECT g.path, 'email', LOWER(TRIM(u.email)), u.id
  FROM {membership} m JOIN {region} g ON g.id = m.region_id JOIN {user} u ON u.id = m.user_id
 WHERE m.role = %(committee)s AND u.is_active AND TRIM(u.email) <> ''
UNION ALL
SELECT g.path, 'sms', REPLACE(REPLACE(TRIM(u.phone), ' ', ''), '-', ''), u.id
  FROM {membership} m JOIN {region} g ON g.id = m.region_id JOIN {user} u ON u.id = m.user_id
 WHERE m.role = %(committee)s AND u.is_active AND TRIM(u.phone) <> ''
"""


def _tables() -> dict[str, str]:
    qn = connection.ops.quote_name
    return {
        "delivery": qn(Delivery._meta.db_table),
        "suggestion": qn(Suggestion._meta.db_table),
        "contact": qn(HandlingUnitContact._meta.db_table),
        "user": qn(User._meta.db_table),
        "membership": qn(Membership._meta.db_table),
        "region": qn(Region._meta.db_table),
    }


def _insert(sql: str, params: dict[str, Any]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def reminder_sweep(*, today: dt.date | None = None) -> SweepResult:
    """Create the reminder deliveries due today that no earlier sweep created; returns their ids."""
    today = today or timezone.localdate()
    window = sweep_window(today)
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
        "committee": Role.COMMITTEE_STAFF.value,
    }
    assert {c.value for c in Channel} == {"in_app", "email", "sms"}  # the SQL above spells them out
    created: list[int] = []
    with transaction.atomic():
        for deadline_kind, field, state in DEADLINES:
            fields = {**tables, "field": field}
            params = {**common, "deadline_kind": deadline_kind, "state": state}
            unit_sql = _INSERT.format(
                **tables,
                json=json_fn,
                suggestions=_UNIT_SUGGESTIONS.format(**fields, due_text=date_text.format(field)),
                recipients=_UNIT_RECIPIENTS.format(**tables),
                join="r.unit_id = s.lead_unit_id",
            )
            created += _insert(unit_sql, {**params, "message_kind": MessageKind.REMINDER})
            escalation_sql = _INSERT.format(
                **tables,
                json=json_fn,
                suggestions=_ESCALATED_SUGGESTIONS.format(**fields, due_text=date_text.format(f"s.{field}")),
                recipients=_COMMITTEE_RECIPIENTS.format(**tables),
                # Paths are digits and slashes: no LIKE wildcard can hide in them.
                join="s.path LIKE r.path || '%%'",
            )
            created += _insert(escalation_sql, {**params, "message_kind": MessageKind.ESCALATION})
    return SweepResult(window=window, created_ids=sorted(created))
