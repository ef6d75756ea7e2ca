"""Working days on China's statutory calendar (DESIGN §3).

A day is classified, in this order:

1. a `HolidayOverride` row for that date wins (administrators correct or extend the calendar);
2. otherwise the `chinese_calendar` package decides, for the years it knows;
3. otherwise, if an administrator has declared the year's overrides complete (`CalendarYear`),
   Monday to Friday are working days and the result is definite;
4. otherwise Monday to Friday are working days and the result is *provisional*: the page says
   so, and the deadline is recalculated when the year's overrides arrive.

Nothing here raises for an unknown year: a deadline can always be computed.

`add_working_days(start, n)` returns the n-th working day after `start` (the start day itself
never counts), together with how it was computed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

import chinese_calendar
from chinese_calendar.constants import holidays as _package_holidays
from django.conf import settings
from django.utils.translation import gettext as _

from suggestions.models import CalendarYear, HolidayOverride

# Where a deadline's working days came from, weakest last. A deadline takes the weakest
# source of all the days it counted.
SOURCE_STATUTORY = "statutory"  # the chinese_calendar package only
SOURCE_OVERRIDE = "override"  # at least one day decided by an administrator's override or complete year
SOURCE_WEEKDAYS = "weekdays"  # at least one day in a year nobody has described yet: provisional
SOURCE_MANUAL = "manual"  # a date chosen by a person; never recalculated

_STRENGTH = {SOURCE_STATUTORY: 0, SOURCE_OVERRIDE: 1, SOURCE_WEEKDAYS: 2}

PACKAGE_YEARS = range(min(_package_holidays).year, max(_package_holidays).year + 1)

# The working-day limit of each stage before the hand-over, by the state it runs in (a setting's
# name): 梳理 (received → sorted), 拟办 (sorted → proposed), 交办 (proposed → handed over).
STAGE_LIMITS: dict[str, str] = {
    "received": "SORT_LIMIT_DAYS",
    "sorted": "PROPOSE_LIMIT_DAYS",
    "proposed": "HANDOVER_LIMIT_DAYS",
}


def stage_limit_days(state: str) -> int | None:
    """Working days allowed for the stage that runs in `state`, or None when no stage does."""
    name = STAGE_LIMITS.get(state)
    return None if name is None else int(getattr(settings, name))


# The longest span we will walk; far beyond any legal limit, it only stops runaway input.
MAX_WORKING_DAYS = 2000


class DeadlineBasis(TypedDict, total=False):
    """How one deadline was computed, stored in `Suggestion.deadline_basis[<field>]`."""

    start: str  # ISO date the count started from (not itself counted)
    days: int  # working days counted
    source: str
    provisional: bool


@dataclass(frozen=True)
class DeadlineResult:
    due: dt.date
    source: str
    provisional: bool

    def basis(self, *, start: dt.date, days: int) -> DeadlineBasis:
        return {"start": start.isoformat(), "days": days, "source": self.source, "provisional": self.provisional}


class WorkingCalendar:
    """Classifies days; reads overrides and complete years once per instance.

    Create one per request or per recalculation sweep: the reads are cached for its
    lifetime, so it must not outlive a change of the override table.
    """

    def __init__(self) -> None:
        self._overrides: dict[dt.date, bool] = {}
        self._loaded_years: set[int] = set()
        self._complete_years: set[int] | None = None

    def _load_year(self, year: int) -> None:
        if year in self._loaded_years:
            return
        self._loaded_years.add(year)
        for day, working in HolidayOverride.objects.filter(date__year=year).values_list("date", "is_working_day"):
            self._overrides[day] = working

    def _complete(self) -> set[int]:
        if self._complete_years is None:
            self._complete_years = set(
                CalendarYear.objects.filter(overrides_complete=True).values_list("year", flat=True)
            )
        return self._complete_years

    def classify(self, day: dt.date) -> tuple[bool, str]:
        """(is this a working day, which source decided it)."""
        self._load_year(day.year)
        override = self._overrides.get(day)
        if override is not None:
            return override, SOURCE_OVERRIDE
        if day.year in PACKAGE_YEARS:
            try:
                return bool(chinese_calendar.is_workday(day)), SOURCE_STATUTORY
            except NotImplementedError:  # the package's data has a gap; treat like an unknown year
                pass
        weekday = day.weekday() < 5
        if day.year in self._complete():
            return weekday, SOURCE_OVERRIDE
        return weekday, SOURCE_WEEKDAYS

    def is_working_day(self, day: dt.date) -> bool:
        return self.classify(day)[0]

    def add_working_days(self, start: dt.date, days: int) -> DeadlineResult:
        if days < 0 or days > MAX_WORKING_DAYS:
            raise ValueError(f"working days must be between 0 and {MAX_WORKING_DAYS}, got {days}")
        weakest = SOURCE_STATUTORY
        day = start
        counted = 0
        while counted < days:
            try:
                day += dt.timedelta(days=1)
            except OverflowError:  # past year 9999: cannot happen with the cap above, but never crash
                break
            working, source = self.classify(day)
            if _STRENGTH[source] > _STRENGTH[weakest]:
                weakest = source
            if working:
                counted += 1
        return DeadlineResult(due=day, source=weakest, provisional=weakest == SOURCE_WEEKDAYS)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; 0 when end is not after start."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def add_working_days(start: dt.date, days: int, *, calendar: WorkingCalendar | None = None) -> DeadlineResult:
    """The `days`-th working day after `start`, with the calendar source and whether it is provisional."""
    return (calendar or WorkingCalendar()).add_working_days(start, days)


def overdue_until(today: dt.date, days: int, *, calendar: WorkingCalendar | None = None) -> dt.date:
    """The latest due date that is overdue by at least `days` working days on `today`: at least
    `days` working days lie in (due, today]. Always before today (overdue means past)."""
    calendar = calendar or WorkingCalendar()
    day, counted = today, 0
    while counted < days:
        if calendar.is_working_day(day):
            counted += 1
        day -= dt.timedelta(days=1)
    return min(day, today - dt.timedelta(days=1))


def is_working_day(day: dt.date) -> bool:
    return WorkingCalendar().is_working_day(day)


def add_months(start: dt.date, months: int) -> dt.date:
    """Calendar months (statutory limits for formal suggestions), clamped to the month's last day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def unknown_years(years: Iterable[int]) -> list[int]:
    """Years among `years` that neither the package nor a complete override year covers."""
    complete = set(CalendarYear.objects.filter(overrides_complete=True).values_list("year", flat=True))
    return sorted({y for y in years if y not in PACKAGE_YEARS and y not in complete})


def basis_description(basis: dict[str, Any] | None) -> str:
    """One sentence for the suggestion page explaining how a deadline was computed."""
    if not basis:
        return ""
    source = basis.get("source", "")
    if source == SOURCE_MANUAL:
        return _("Date set by committee staff on %(start)s.") % {"start": basis.get("start", "")}
    params = {"days": basis.get("days", 0), "start": basis.get("start", "")}
    if basis.get("manual_due"):
        # A date typed by staff, then extended: the extension's working days are counted from it.
        params["start"] = basis["manual_due"]
        if source == SOURCE_STATUTORY:
            return (
                _(
                    "%(days)s working days after %(start)s, a date set by committee staff, "
                    "on the statutory holiday calendar."
                )
                % params
            )
        if source == SOURCE_OVERRIDE:
            return (
                _(
                    "%(days)s working days after %(start)s, a date set by committee staff, on the statutory holiday "
                    "calendar, including days set by administrators."
                )
                % params
            )
        return (
            _(
                "%(days)s working days after %(start)s, a date set by committee staff, counting Monday to Friday "
                "because the official holidays of a year it reaches are not known yet; provisional until "
                "administrators enter them."
            )
            % params
        )
    if source == SOURCE_STATUTORY:
        return _("%(days)s working days after %(start)s on the statutory holiday calendar.") % params
    if source == SOURCE_OVERRIDE:
        return (
            _(
                "%(days)s working days after %(start)s on the statutory holiday calendar, "
                "including days set by administrators."
            )
            % params
        )
    return (
        _(
            "%(days)s working days after %(start)s, counting Monday to Friday because the official holidays "
            "of a year it reaches are not known yet; provisional until administrators enter them."
        )
        % params
    )
