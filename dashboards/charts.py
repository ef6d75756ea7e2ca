"""Chart geometry for server-rendered SVG (no JavaScript, no chart library).

Python works out every coordinate; the templates in templates/dashboards/ only place the
shapes. Colours come from classes in static/css/dashboards.css, so the strict CSP (no
inline styles) holds and the charts print.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from dashboards.selectors import Dashboard

BAR_ROW = 26
BAR_THICKNESS = 18
# Bar charts are narrower than line charts so that they stay legible on a phone.
BAR_CHART_WIDTH = 420
BAR_LABEL_WIDTH = 140
BAR_VALUE_ROOM = 52
CHART_WIDTH = 640
# Room for a label, in half-widths: a Chinese character takes two, a Latin letter one.
LABEL_ROOM = 20


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _short(label: str, room: int = LABEL_ROOM) -> str:
    """The label cut to fit `room` half-widths, with an ellipsis when cut."""
    if sum(_width(c) for c in label) <= room:
        return label
    used, kept = 1, []
    for char in label:
        used += _width(char)
        if used > room:
            break
        kept.append(char)
    return "".join(kept) + "…"


def _nice_step(raw: float) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ step (whole numbers) at least `raw`."""
    if raw <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * exponent >= raw:
            return int(multiple * exponent)
    return int(10 * exponent)  # pragma: no cover - the loop always returns


def _axis(maximum: float, ticks: int = 4) -> tuple[int, int]:
    """(top of the axis, step between ticks) for values up to `maximum`."""
    step = _nice_step(maximum / ticks) if maximum > 0 else 1
    top = max(step, step * math.ceil(maximum / step))
    return top, step


def _number(value: float) -> str:
    return str(number_format(value, force_grouping=True))


@dataclass(frozen=True)
class Bar:
    label: str
    short: str
    text: str
    y: float
    text_y: float
    width: float
    value_x: float
    css: str
    href: str = ""


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per row, longest first as given."""

    title: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    thickness: int = BAR_THICKNESS

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    css: str,
    hrefs: Sequence[str] | None = None,
    percent: bool = False,
) -> BarChart:
    maximum = 100.0 if percent else max((value for _label, value in items), default=0)
    room = BAR_CHART_WIDTH - BAR_LABEL_WIDTH - BAR_VALUE_ROOM
    bars: list[Bar] = []
    for index, (label, value) in enumerate(items):
        width = room * value / maximum if maximum else 0.0
        y = index * BAR_ROW + 4
        bars.append(
            Bar(
                label=label,
                short=_short(label),
                text=f"{value:.1f}%" if percent else _number(value),
                y=y,
                text_y=y + BAR_THICKNESS - 5,
                width=round(max(width, 1.0 if value else 0.0), 1),
                value_x=round(BAR_LABEL_WIDTH + width + 6, 1),
                css=css,
                href=hrefs[index] if hrefs else "",
            )
        )
    return BarChart(
        title=title, bars=bars, width=BAR_CHART_WIDTH, height=len(items) * BAR_ROW + 8, label_width=BAR_LABEL_WIDTH
    )


@dataclass(frozen=True)
class Tick:
    pos: float
    text: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Series:
    name: str
    css: str
    points: list[Point]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass(frozen=True)
class LineChart:
    """Several series over the same time axis and the same scale."""

    title: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[Series] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return all(p.text == "0" for s in self.series for p in s.points)


def _bucket_label(day: dt.date, *, daily: bool, one_year: bool) -> str:
    if daily:
        return f"{day.month}-{day.day}"
    if one_year:
        return str(date_format(day, "M"))
    return f"{day.year}-{day.month:02d}"


def line_chart(
    title: str, buckets: Sequence[dt.date], series: Sequence[tuple[str, str, Sequence[int | None]]], *, daily: bool
) -> LineChart:
    """`None` values (days still to come) are left out of the line rather than drawn as zero."""
    width, height = CHART_WIDTH, 240
    left, right, top, bottom = 48, width - 12, 12, height - 28
    maximum = max((max((v for v in values if v is not None), default=0) for _n, _c, values in series), default=0)
    axis_top, step = _axis(maximum)
    count = len(buckets)
    span = right - left

    def x_at(index: int) -> float:
        return round(left + (span * (index + 0.5) / count if count else 0), 1)

    def y_at(value: float) -> float:
        return round(bottom - (bottom - top) * value / axis_top, 1)

    one_year = len({b.year for b in buckets}) == 1
    every = max(1, math.ceil(count / 12))
    x_ticks = [
        Tick(x_at(i), _bucket_label(b, daily=daily, one_year=one_year)) for i, b in enumerate(buckets) if i % every == 0
    ]
    y_ticks = [Tick(y_at(v), _number(v)) for v in range(0, axis_top + 1, step)]
    lines = [
        Series(name, css, [Point(x_at(i), y_at(v), _number(v)) for i, v in enumerate(values) if v is not None])
        for name, css, values in series
    ]
    return LineChart(title, width, height, left, right, top, bottom, x_ticks, y_ticks, lines)


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    css: str
    label: str
    text: str


@dataclass(frozen=True)
class StackedBar:
    title: str
    width: int
    height: int
    segments: list[Segment]

    @property
    def empty(self) -> bool:
        return not self.segments


def stacked_bar(title: str, parts: Sequence[tuple[str, str, int]]) -> StackedBar:
    total = sum(count for _label, _css, count in parts)
    segments: list[Segment] = []
    x = 0.0
    for label, css, count in parts:
        if not count:
            continue
        width = BAR_CHART_WIDTH * count / total
        share = 100.0 * count / total
        segments.append(Segment(round(x, 1), round(width, 1), css, label, f"{_number(count)} ({share:.1f}%)"))
        x += width
    return StackedBar(title, BAR_CHART_WIDTH, 24, segments)


@dataclass(frozen=True)
class Charts:
    suggestions_trend: LineChart
    visits_trend: LineChart
    categories: BarChart
    channels: BarChart
    overdue: BarChart
    satisfaction: StackedBar


def dashboard_charts(board: Dashboard, *, overdue_hrefs: Sequence[str] | None = None) -> Charts:
    buckets = [s.day for s in board.trend if s.day is not None]
    # Points after today would only ever be zero; the lines stop at today.
    figures = [s.figures if s.day is None or s.day <= board.today else None for s in board.trend]

    def values(name: str) -> list[int | None]:
        return [None if f is None else int(getattr(f, name)) for f in figures]

    daily = board.period.daily
    t = board.totals
    return Charts(
        suggestions_trend=line_chart(
            _("Suggestions collected, replied and resolved on the spot"),
            buckets,
            [
                (_("Collected"), "series-collected", values("collected")),
                (_("Suggestions replied"), "series-replied", values("replied")),
                (_("Resolved on the spot"), "series-on-spot", values("resolved_on_spot")),
            ],
            daily=daily,
        ),
        visits_trend=line_chart(
            _("Visits and voters received"),
            buckets,
            [
                (_("Visits held"), "series-visits", values("visits")),
                (_("Voters received"), "series-voters", values("voters_received")),
            ],
            daily=daily,
        ),
        categories=bar_chart(
            _("Suggestions collected by category"),
            [(c.label, c.figures.collected) for c in board.categories],
            css="bar-collected",
        ),
        channels=bar_chart(
            _("Voters received by channel"),
            [(c.label, c.figures.voters_received) for c in board.channels if c.figures.voters_received],
            css="bar-voters",
        ),
        overdue=bar_chart(
            _("Overdue by handling unit (top 10)"),
            [(u.name, u.overdue) for u in board.overdue_units],
            css="bar-overdue",
            hrefs=overdue_hrefs,
        ),
        satisfaction=stacked_bar(
            _("Voters' ratings"),
            [
                (_("Satisfied"), "seg-satisfied", t.satisfied),
                (_("Basically satisfied"), "seg-basic", t.basically_satisfied),
                (_("Dissatisfied"), "seg-dissatisfied", t.dissatisfied),
            ],
        ),
    )
