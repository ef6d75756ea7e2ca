"""The dashboard's tables as an Excel workbook (openpyxl), one sheet per table; and the
handling units' league table, exported through exports/ like the lists."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from io import BytesIO
from typing import IO

from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from accounts.models import User
from dashboards.league import unit_league
from dashboards.measures import Figures
from dashboards.selectors import Dashboard, Slice, dashboard_subject
from exports.sources import Column, ExportRefused, Percent, Progress, Source, write_sheet
from suggestions.errors import WorkflowError
from suggestions.export import Exported
from suggestions.models import ExportKind, ExportPersonalData

PERCENT = "0.0%"


def _rate(value: float | None) -> float | None:
    return None if value is None else value / 100


def _header(sheet: Worksheet, titles: Sequence[str]) -> None:
    sheet.append(list(titles))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)


def _slice_columns(*, visits: bool) -> list[str]:
    return [
        *([_("Visits held"), _("Voters received")] if visits else []),
        _("Suggestions collected"),
        _("Resolved on the spot"),
        _("Suggestions replied"),
        _("Suggestions closed"),
        _("On-time rate"),
        _("First-round satisfaction"),
        _("Final satisfaction"),
        _("Average handling days"),
    ]


def _slice_values(f: Figures, *, visits: bool) -> list[object]:
    return [
        *([f.visits, f.voters_received] if visits else []),
        f.collected,
        f.resolved_on_spot,
        f.replied,
        f.closed,
        _rate(f.on_time_rate),
        _rate(f.first_satisfaction_rate),
        _rate(f.satisfaction_rate),
        f.average_days,
    ]


def _slice_sheet(book: Workbook, title: str, first: str, slices: Sequence[Slice], *, visits: bool = True) -> None:
    """One row per slice; categories have no visits (a visit has no category), so no visit columns."""
    sheet = book.create_sheet(title)
    _header(sheet, [first, *_slice_columns(visits=visits)])
    first_rate = 8 if visits else 6
    for s in slices:
        sheet.append([s.label, *_slice_values(s.figures, visits=visits)])
        for column in range(first_rate, first_rate + 3):
            sheet.cell(row=sheet.max_row, column=column).number_format = PERCENT
    sheet.column_dimensions["A"].width = 24


def dashboard_rows(board: Dashboard) -> int:
    """The rows of the workbook's tables (the summary sheet aside), for the export log."""
    return (
        len(board.categories)
        + len(board.channels)
        + len(board.trend)
        + len(board.children or [])
        + len(board.overdue_units)
    )


def dashboard_workbook(board: Dashboard) -> bytes:
    t = board.totals
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = _("Summary")
    summary.append([_("Region or station"), board.subject.label])
    summary.append([_("Period"), board.period.label])
    summary.append([_("From"), board.period.start])
    summary.append([_("To"), board.period.end])
    as_of = board.refreshed_at or board.computed_at
    summary.append([_("Figures as of"), timezone.localtime(as_of).replace(tzinfo=None)])
    summary.append([])
    _header(summary, [_("Figure"), _("Value")])
    rows: list[tuple[str, object, bool]] = [
        (_("Visits held"), t.visits, False),
        (_("Voters received"), t.voters_received, False),
        (_("Suggestions collected"), t.collected, False),
        (_("Merged as duplicates"), t.merged, False),
        (_("Resolved on the spot"), t.resolved_on_spot, False),
        (_("Handed over"), t.handed_over, False),
        (_("Suggestions replied"), t.replied, False),
        (_("Suggestions closed"), t.closed, False),
        (_("On-time rate"), _rate(t.on_time_rate), True),
        (_("Acknowledged on time"), _rate(t.ack_on_time_rate), True),
        (_("First-round satisfaction"), _rate(t.first_satisfaction_rate), True),
        (_("Final satisfaction"), _rate(t.satisfaction_rate), True),
        (_("Representatives' satisfaction"), _rate(t.rep_satisfaction_rate), True),
        (_("Success rate"), _rate(t.solved_rate), True),
        (_("Re-handling rate"), _rate(t.rehandle_rate), True),
        (_("Average working days"), t.average_working_days, False),
        (_("Average handling days"), t.average_days, False),
        (_("Overdue now"), board.overdue_total, False),
    ]
    for label, value, percent in rows:
        summary.append([label, value])
        if percent:
            summary.cell(row=summary.max_row, column=2).number_format = PERCENT
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 20

    _slice_sheet(book, _("By category"), _("Category"), board.categories, visits=False)
    _slice_sheet(book, _("By channel"), _("Channel"), board.channels)
    _slice_sheet(book, _("Trend"), _("Day") if board.period.daily else _("Month"), board.trend)
    if board.children:
        _slice_sheet(book, _("Sub-regions"), _("Region or station"), board.children)

    overdue = book.create_sheet(_("Overdue by unit"))
    _header(overdue, [_("Handling unit"), _("Overdue now"), _("Reply overdue")])
    for unit in board.overdue_units:
        overdue.append([unit.name, unit.overdue, unit.reply_overdue])
    overdue.column_dimensions["A"].width = 30

    out = BytesIO()
    book.save(out)
    return out.getvalue()


# --- The handling units' league table (dashboards.league) --------------------------------------

LEAGUE_COLUMNS = (
    Column(gettext_lazy("Rank"), 6),
    Column(gettext_lazy("Handling unit"), 30),
    Column(gettext_lazy("Region"), 14),
    Column(gettext_lazy("Handed over"), 10),
    Column(gettext_lazy("Suggestions replied"), 10),
    Column(gettext_lazy("On-time rate"), 10),
    Column(gettext_lazy("First-round satisfaction"), 10),
    Column(gettext_lazy("Final satisfaction"), 10),
    Column(gettext_lazy("Success rate"), 10),
    Column(gettext_lazy("Average working days"), 10),
    Column(gettext_lazy("Reply overdue"), 10),
)


def league_export_source(user: User | AnonymousUser, query: QueryDict) -> Source:
    """The league of the units in the viewer's dashboard region (`region`, as the dashboard
    takes it; the whole league, as the public page shows it, for a station's dashboard)."""
    station = query.get("station") or ""
    if station and not (station.isdigit() and len(station) < 19):
        raise ExportRefused(_("Correct the filters before exporting."), drop=("station",))
    try:
        subject = dashboard_subject(
            user=user, region_code=(query.get("region") or "")[:32], station_id=int(station) if station else None
        )
    except WorkflowError as error:
        # Back to the viewer's own dashboard: the one asked for would be refused the same way.
        raise ExportRefused(error.message, drop=("region", "station")) from error
    rows = unit_league(region=subject.region)

    def lines() -> Iterator[list[object]]:
        for rank, unit in enumerate(rows, start=1):
            yield [
                rank,
                unit.name,
                unit.region,
                unit.handed_over,
                unit.replied,
                Percent(unit.on_time_rate),
                Percent(unit.first_satisfaction_rate),
                Percent(unit.satisfaction_rate),
                Percent(unit.solved_rate),
                unit.average_working_days,
                unit.figures.reply_overdue,
            ]

    def write(out: IO[bytes], progress: Progress) -> Exported:
        count = write_sheet(out, title=_("League table"), columns=LEAGUE_COLUMNS, rows=lines(), progress=progress)
        # Figures about units: no voter's data, logged all the same.
        return Exported(rows=count, personal_data=ExportPersonalData.NONE)

    key = subject.region.code if subject.region is not None else "all"
    return Source(kind=ExportKind.LEAGUE, stem=f"league-{key}", count=lambda limit: min(len(rows), limit), write=write)
