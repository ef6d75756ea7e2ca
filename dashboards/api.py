"""The dashboards' figures and the unit league table in the REST API, with the same
definitions as the pages and the Excel exports (`dashboards.measures`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboards.forms import DashboardForm
from dashboards.league import UnitStats, unit_league
from dashboards.measures import Figures
from dashboards.selectors import MSG_NO_DASHBOARD, dashboard_allowed, dashboard_get, dashboard_subject
from liaison.rest import error_response
from suggestions.errors import WorkflowError

# The counts a client can recompute every rate from, and the rates themselves.
COUNTS: tuple[str, ...] = (
    "visits",
    "voters_received",
    "collected",
    "merged",
    "resolved_on_spot",
    "handed_over",
    "replied",
    "answered",
    "replied_with_due",
    "replied_on_time",
    "reply_overdue",
    "acks_with_due",
    "acks_on_time",
    "closed",
    "first_rated",
    "first_satisfied",
    "rated",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "rep_rated",
    "rep_satisfied",
    "solved",
    "rehandled",
    "answers_timed",
    "answer_working_days",
)
RATES: tuple[str, ...] = (
    "on_time_rate",
    "ack_on_time_rate",
    "first_satisfaction_rate",
    "satisfaction_rate",
    "rep_satisfaction_rate",
    "solved_rate",
    "rehandle_rate",
    "reply_rate",
    "on_spot_rate",
    "average_working_days",
    "average_days",
)


def figures_json(figures: Figures) -> dict[str, Any]:
    return {
        "counts": {name: getattr(figures, name) for name in COUNTS},
        "rates": {name: getattr(figures, name) for name in RATES},
    }


def _unit_json(row: UnitStats) -> dict[str, Any]:
    return {"unit": row.unit_id, "name": row.name, "region": row.region, "handed_over": row.handed_over} | (
        figures_json(row.figures)
    )


_PARAMS = [
    OpenApiParameter("region", OpenApiTypes.STR, description="Region code (default: the viewer's own region)."),
    OpenApiParameter("station", OpenApiTypes.INT, description="Station id, for station staff."),
    OpenApiParameter("period", OpenApiTypes.STR, enum=["year", "quarter", "month", "range"]),
    OpenApiParameter("year", OpenApiTypes.INT),
    OpenApiParameter("quarter", OpenApiTypes.INT),
    OpenApiParameter("month", OpenApiTypes.INT),
    OpenApiParameter("start", OpenApiTypes.DATE),
    OpenApiParameter("end", OpenApiTypes.DATE),
]


class FiguresView(APIView):
    """A region's (or station's) figures for a period, as on its dashboard: the counts and the
    rates built from them (definitions in the README, "The figures, defined once")."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Figures of a region or station for a period",
        tags=["figures"],
        parameters=_PARAMS,
        responses={200: OpenApiTypes.OBJECT, 400: error_response(400), 403: error_response(403)},
    )
    def get(self, request: Request) -> Response:
        if not dashboard_allowed(user=request.user):
            raise WorkflowError("not_allowed", MSG_NO_DASHBOARD, status=403)
        form = DashboardForm(data=request.query_params)
        if not form.is_valid():
            raise WorkflowError(
                "validation",
                str(next(iter(form.errors.values()))[0]),
                status=400,
                fields={k: [str(m) for m in v] for k, v in form.errors.items()},
            )
        subject = dashboard_subject(
            user=request.user,
            region_code=form.cleaned_data.get("region") or "",
            station_id=form.cleaned_data.get("station"),
        )
        period = form.period_value
        board = dashboard_get(subject=subject, period=period)
        body = {
            "subject": subject.label,
            "region": subject.region.code if subject.region is not None else None,
            "stations": [s.pk for s in subject.stations],
            "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
            "summarised": board.summarised,
        } | figures_json(board.totals)
        return Response(body)


class UnitLeagueView(APIView):
    """The handling units' league table, as published on the voter site."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Handling units' league table", tags=["figures"], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response({"results": [_unit_json(row) for row in unit_league()]})
