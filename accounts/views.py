from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.lockout import lockout_minutes
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


def login_locked(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the lockout page, inside the login layout. The same page whether
    the username, the address or both are locked, and whether the username exists or not."""
    minutes = lockout_minutes()
    if minutes % 60 == 0:
        hours = minutes // 60
        duration = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    else:
        duration = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    contact = settings.LOGIN_LOCKOUT_CONTACT or _(
        "Please contact the information technology administrator of your people's congress standing committee."
    )
    context = {"duration": duration, "contact": contact}
    return render(request, "accounts/locked.html", context, status=429)
