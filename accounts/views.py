from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from accounts.selectors import user_scope
from stations.selectors import visit_list
from suggestions.listing import list_rows, list_values
from suggestions.queues import COUNT_LIMIT, queue_counts
from suggestions.selectors import suggestion_list

RECENT = 10


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's dashboard: each role's work queues with bounded counts, and recent items."""
    user = request.user
    scope = user_scope(user)
    sections: dict[str, list[dict[str, object]]] = {}
    for queue, count in queue_counts(user=user):
        sections.setdefault(queue.role, []).append(
            {"queue": queue, "count": count, "more": count >= COUNT_LIMIT, "display": _bounded(count)}
        )
    context = {
        "scope": scope,
        "roles": scope.roles,
        "station_queues": sections.get(Role.STATION_STAFF.value, []),
        "committee_queues": sections.get(Role.COMMITTEE_STAFF.value, []),
        "unit_queues": sections.get(Role.UNIT_STAFF.value, []),
        "recent": list_rows(list(list_values(suggestion_list(user=user))[:RECENT]), timezone.localdate()),
        "recent_visits": list(visit_list(user=user)[:5]) if (scope.station_ids or scope.is_admin) else [],
        "today": timezone.localdate(),
    }
    return render(request, "accounts/home.html", context)


def _bounded(count: int) -> str:
    return f"{COUNT_LIMIT - 1}+" if count >= COUNT_LIMIT else str(count)
