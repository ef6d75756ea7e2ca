from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import user_scope
from stations.selectors import station_list
from suggestions.selectors import handling_unit_list, suggestion_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's start page: who they are and what they work for."""
    scope = user_scope(request.user)
    context = {
        "scope": scope,
        "stations": station_list(user=request.user)[:20] if (scope.station_ids or scope.region_paths) else [],
        "units": handling_unit_list(user=request.user).filter(pk__in=scope.unit_ids) if scope.unit_ids else [],
        "recent": suggestion_list(user=request.user)[:10],
    }
    return render(request, "accounts/home.html", context)
