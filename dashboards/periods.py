"""Reporting periods: a year, a quarter, a month or a custom range of days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

YEAR, QUARTER, MONTH, RANGE = "year", "quarter", "month", "range"
# Up to this many days the trend is drawn per day, beyond it per month.
DAILY_TREND_MAX_DAYS = 62


def _month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(YEAR, dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first = 3 * (quarter - 1) + 1
        return cls(QUARTER, dt.date(year, first, 1), _month_end(year, first + 2))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(MONTH, dt.date(year, month, 1), _month_end(year, month))

    @classmethod
    def custom(cls, start: dt.date, end: dt.date) -> Period:
        return cls(RANGE, start, end)

    @property
    def start_at(self) -> dt.datetime:
        """The first moment of the period in local time, aware."""
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min), timezone.get_default_timezone())

    @property
    def end_before(self) -> dt.datetime:
        """The first moment after the period, aware (periods are half-open in time)."""
        day_after = self.end + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(day_after, dt.time.min), timezone.get_default_timezone())

    @property
    def month_aligned(self) -> bool:
        """Whole months only: monthly summary rows can answer it."""
        return self.start.day == 1 and self.end == _month_end(self.end.year, self.end.month)

    @property
    def daily(self) -> bool:
        return (self.end - self.start).days < DAILY_TREND_MAX_DAYS

    def buckets(self) -> list[dt.date]:
        """The trend's points: each day for short periods, else the first of each month."""
        if self.daily:
            return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]
        buckets: list[dt.date] = []
        current = self.start.replace(day=1)
        while current <= self.end:
            buckets.append(current)
            current = dt.date(current.year + current.month // 12, current.month % 12 + 1, 1)
        return buckets

    def bucket_of(self, day: dt.date) -> dt.date:
        return day if self.daily else day.replace(day=1)

    @property
    def label(self) -> str:
        if self.kind == YEAR:
            return _("Year %(year)s") % {"year": self.start.year}
        if self.kind == QUARTER:
            return _("Q%(quarter)s %(year)s") % {"quarter": (self.start.month - 1) // 3 + 1, "year": self.start.year}
        if self.kind == MONTH:
            return str(date_format(self.start, "YEAR_MONTH_FORMAT"))
        return _("%(start)s to %(end)s") % {"start": self.start.isoformat(), "end": self.end.isoformat()}
