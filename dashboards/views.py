"""Dashboard pages: figures per region (or station) and period, as cards, SVG charts and tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboards.charts import dashboard_charts
from dashboards.exports import dashboard_rows, dashboard_workbook
from dashboards.forms import DashboardForm
from dashboards.selectors import (
    MSG_NO_DASHBOARD,
    Dashboard,
    Subject,
    dashboard_allowed,
    dashboard_get,
    dashboard_regions,
    dashboard_stations,
    dashboard_subject,
)
from exports.views import export_response
from stations.models import Region
from suggestions.errors import WorkflowError
from suggestions.models import ExportKind, ExportPersonalData
from suggestions.personal_data import export_log_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class _Resolved:
    form: DashboardForm
    subject: Subject | None = None
    up: list[Region] | None = None
    down: list[Region] | None = None
    board: Dashboard | None = None
    refusal: HttpResponse | None = None


def _refuse(request: HttpRequest, error: WorkflowError) -> HttpResponse:
    # "Back to your statistics" only for someone who has some: for the others it is this page again.
    context = {"message": error.message, "has_dashboards": dashboard_allowed(user=request.user)}
    return render(request, "dashboards/unavailable.html", context, status=error.status)


def _resolve(request: HttpRequest) -> _Resolved:
    """Parse the query string, check scope, compute the figures; or say why not."""
    form = DashboardForm(data=request.GET)
    resolved = _Resolved(form=form)
    if not dashboard_allowed(user=request.user):
        resolved.refusal = _refuse(request, WorkflowError("not_allowed", MSG_NO_DASHBOARD, status=403))
        return resolved
    if not form.is_valid():
        return resolved
    try:
        subject = dashboard_subject(
            user=request.user,
            region_code=form.cleaned_data.get("region") or "",
            station_id=form.cleaned_data.get("station"),
        )
    except WorkflowError as error:
        resolved.refusal = _refuse(request, error)
        return resolved
    up, down = dashboard_regions(user=request.user, subject=subject)
    resolved.subject, resolved.up, resolved.down = subject, up, down
    resolved.board = dashboard_get(subject=subject, period=form.period_value, children=down)
    return resolved


def _period_query(form: DashboardForm) -> str:
    return urlencode(DashboardForm.initial_for(form.period_value))


def _subject_query(subject: Subject) -> dict[str, Any]:
    if subject.region is not None:
        return {"region": subject.region.code}
    if len(subject.stations) == 1:
        return {"station": subject.stations[0].pk}
    return {}


def _overdue_links(board: Dashboard) -> list[str]:
    """Each unit's bar opens the suggestion list with the same region, period and unit, overdue only."""
    base: dict[str, Any] = {
        "overdue": "true",
        "created_after": board.period.start.isoformat(),
        "created_before": board.period.end.isoformat(),
    }
    if board.subject.region is not None:
        base["region"] = board.subject.region.code
    elif len(board.subject.stations) == 1:
        base["station"] = board.subject.stations[0].pk
    url = reverse("suggestions:list")
    return [f"{url}?{urlencode({**base, 'unit': u.code})}" if u.code else "" for u in board.overdue_units]


@login_required
@require_GET
def dashboard_view(request: HttpRequest) -> HttpResponse:
    resolved = _resolve(request)
    if resolved.refusal is not None:
        return resolved.refusal
    form = resolved.form
    context: dict[str, Any] = {"form": form, "stations": dashboard_stations(user=request.user)}
    if resolved.board is None:
        # The filters were wrong: say so in place, show no figures, change nothing.
        return render(request, "dashboards/index.html", context, status=400)
    board = resolved.board
    period_query = _period_query(form)
    subject_query = urlencode(_subject_query(board.subject))
    context.update(
        board=board,
        totals=board.totals,
        charts=dashboard_charts(board, overdue_hrefs=_overdue_links(board)),
        up=resolved.up,
        down=resolved.down,
        period_query=period_query,
        export_query="&".join(q for q in (subject_query, period_query) if q),
        league_query=subject_query,
        refresh_minutes=settings.STATS_REFRESH_MINUTES,
    )
    return render(request, "dashboards/index.html", context)


@login_required
@require_GET
def dashboard_export(request: HttpRequest) -> HttpResponse:
    resolved = _resolve(request)
    if resolved.refusal is not None:
        return resolved.refusal
    if resolved.board is None:
        context = {"form": resolved.form, "stations": dashboard_stations(user=request.user)}
        return render(request, "dashboards/index.html", context, status=400)
    board = resolved.board
    key = board.subject.region.code if board.subject.region else "stations"
    name = f"dashboard-{key}-{board.period.start:%Y%m%d}-{board.period.end:%Y%m%d}.xlsx"
    workbook = dashboard_workbook(board)
    # Figures, no voter's data; written down all the same, like every export.
    export_log_record(
        user=request.user,
        kind=ExportKind.DASHBOARD,
        query=request.GET.urlencode(),
        row_count=dashboard_rows(board),
        personal_data=ExportPersonalData.NONE,
    )
    response = HttpResponse(workbook, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def league_export(request: HttpRequest) -> HttpResponseBase:
    """The handling units' league table of the dashboard's region as an Excel workbook."""
    return export_response(request, kind=ExportKind.LEAGUE, back=reverse("dashboards:index"))
