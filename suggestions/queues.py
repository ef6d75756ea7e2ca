"""Work queues per role (DESIGN §6): reads, scoped to the viewer first.

A queue is a named filter on top of `suggestion_list(user=...)`, restricted to what the
viewer does in that role: station staff's queues cover their stations, committee staff's
their regions, unit staff's what their unit leads (or co-handles). Counts are bounded
("99+") so a dashboard never counts a whole table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from accounts.selectors import Scope, user_scope
from suggestions.models import (
    Assignment,
    AssignmentRole,
    ExtensionRequest,
    ExtensionStatus,
    ReplyCategory,
    State,
    Suggestion,
    SuggestionEvent,
)
from suggestions.selectors import suggestion_list

COUNT_LIMIT = 100  # counts above 99 show as "99+"


@dataclass(frozen=True)
class Queue:
    code: str
    label: str | Promise
    role: str
    description: str | Promise
    condition: Callable[[Scope, dt.date], Q]
    urgent: bool = False


def _station_q(scope: Scope) -> Q:
    return Q() if scope.is_admin else Q(station_id__in=scope.station_ids)


def _region_q(scope: Scope) -> Q:
    return Q() if scope.is_admin else scope.region_q("region")


def _lead_q(scope: Scope) -> Q:
    return Q() if scope.is_admin else Q(lead_unit_id__in=scope.unit_ids)


def _overdue_q(today: dt.date) -> Q:
    from suggestions.filters import overdue_q

    return overdue_q(today)


def _due_soon_q(today: dt.date) -> Q:
    from suggestions.deadlines import add_working_days

    horizon = add_working_days(today, settings.REMINDER_DAYS_AHEAD).due
    return Q(state=State.ASSIGNED, ack_due__gte=today, ack_due__lte=horizon) | Q(
        state__in=[State.ASSIGNED, State.IN_PROGRESS], reply_due__gte=today, reply_due__lte=horizon
    )


def _returned() -> Q:
    return Q(Exists(SuggestionEvent.objects.filter(suggestion=OuterRef("pk"), action="suggestion.returned")))


def _pending_extension() -> Q:
    return Q(
        Exists(ExtensionRequest.objects.filter(suggestion=OuterRef("pk"), status=ExtensionStatus.PENDING)),
        state=State.IN_PROGRESS,
    )


def _co_unit_q(scope: Scope) -> Q:
    co = Assignment.objects.filter(suggestion=OuterRef("pk"), role=AssignmentRole.CO, is_active=True, opinion="")
    if not scope.is_admin:
        co = co.filter(unit_id__in=scope.unit_ids)
    return Q(Exists(co), state__in=[State.ASSIGNED, State.IN_PROGRESS])


STATION, COMMITTEE, UNIT = Role.STATION_STAFF.value, Role.COMMITTEE_STAFF.value, Role.UNIT_STAFF.value

QUEUES: tuple[Queue, ...] = (
    Queue(
        "to_sort",
        _("To sort"),
        STATION,
        _("Received at your stations, not sorted yet."),
        lambda s, t: _station_q(s) & Q(state=State.RECEIVED),
    ),
    Queue(
        "to_propose",
        _("To propose"),
        STATION,
        _("Sorted, waiting for your proposal on how to handle them."),
        lambda s, t: _station_q(s) & Q(state=State.SORTED),
    ),
    Queue(
        "to_hand_over",
        _("To hand over"),
        COMMITTEE,
        _("Proposed by a station, waiting for you to hand them over or decline them."),
        lambda s, t: _region_q(s) & Q(state=State.PROPOSED) & ~_returned(),
    ),
    Queue(
        "returned",
        _("Returned"),
        COMMITTEE,
        _("Returned by a handling unit; hand them over again."),
        lambda s, t: _region_q(s) & Q(state=State.PROPOSED) & _returned(),
        urgent=True,
    ),
    Queue(
        "extension_requests",
        _("Extension requests"),
        COMMITTEE,
        _("Units asking for more time."),
        lambda s, t: _region_q(s) & _pending_extension(),
        urgent=True,
    ),
    Queue(
        "committee_overdue",
        _("Overdue"),
        COMMITTEE,
        _("Not acknowledged or not answered in time, whenever received."),
        lambda s, t: _region_q(s) & _overdue_q(t),
        urgent=True,
    ),
    Queue(
        "awaiting_feedback",
        _("Replied, awaiting feedback"),
        COMMITTEE,
        _("Replied by the unit; record the voter's rating or close them."),
        lambda s, t: _region_q(s) & Q(state=State.REPLIED),
    ),
    Queue(
        "to_acknowledge",
        _("To acknowledge"),
        UNIT,
        _("Handed over to your unit, not acknowledged yet."),
        lambda s, t: _lead_q(s) & Q(state=State.ASSIGNED),
    ),
    Queue(
        "in_progress",
        _("In progress"),
        UNIT,
        _("Acknowledged, not answered yet."),
        lambda s, t: _lead_q(s) & Q(state=State.IN_PROGRESS),
    ),
    Queue(
        "due_soon",
        _("Due soon"),
        UNIT,
        _("Deadline within the next few working days."),
        lambda s, t: _lead_q(s) & _due_soon_q(t),
    ),
    Queue(
        "unit_overdue",
        _("Overdue"),
        UNIT,
        _("Past the deadline to acknowledge or reply."),
        lambda s, t: _lead_q(s) & _overdue_q(t),
        urgent=True,
    ),
    Queue(
        "co_handling",
        _("Opinions owed"),
        UNIT,
        _("Your unit co-handles these and owes the lead unit its opinion."),
        lambda s, t: _co_unit_q(s),
    ),
    Queue(
        "follow_ups",
        _("Follow-up reports"),
        UNIT,
        _("Answered “being solved”: report progress until solved."),
        lambda s, t: _lead_q(s) & Q(reply_category=ReplyCategory.B, follow_up_due__isnull=False),
    ),
)
QUEUES_BY_CODE = {q.code: q for q in QUEUES}


def _has_role(scope: Scope, role: str) -> bool:
    if role == STATION:
        return bool(scope.station_ids)
    if role == COMMITTEE:
        return bool(scope.region_paths) or scope.is_admin
    if role == UNIT:
        return bool(scope.unit_ids)
    return False


def queues_for(*, user: User | AnonymousUser) -> list[Queue]:
    """The queues this user works, in display order."""
    scope = user_scope(user)
    return [q for q in QUEUES if _has_role(scope, q.role)]


def queue_get(*, user: User | AnonymousUser, code: str) -> Queue | None:
    queue = QUEUES_BY_CODE.get(code)
    if queue is None or not _has_role(user_scope(user), queue.role):
        return None
    return queue


def queue_suggestions(*, user: User | AnonymousUser, queue: Queue) -> QuerySet[Suggestion]:
    """The queue's suggestions, newest first; never more than the user may see."""
    scope = user_scope(user)
    return suggestion_list(user=user).filter(queue.condition(scope, timezone.localdate()))


def queue_counts(*, user: User | AnonymousUser, limit: int = COUNT_LIMIT) -> list[tuple[Queue, int]]:
    """Each queue with its size, counted up to `limit` (one bounded query per queue)."""
    result = []
    for queue in queues_for(user=user):
        qs = queue_suggestions(user=user, queue=queue).order_by().values("pk")[:limit]
        result.append((queue, qs.count()))
    return result
