"""Working-day arithmetic for millions of generated deadlines.

The rules are `suggestions.deadlines.WorkingCalendar`'s (statutory calendar, overrides,
weekdays for unknown years); this table classifies each day of the generated period once
so that a deadline is a list lookup instead of a walk over the days. Days are proleptic
ordinals (`date.toordinal()`), which the generator uses to avoid date objects in its loop.
"""

from __future__ import annotations

import datetime as dt
import json
from bisect import bisect_right

from suggestions.deadlines import (
    SOURCE_OVERRIDE,
    SOURCE_STATUTORY,
    SOURCE_WEEKDAYS,
    DeadlineBasis,
    WorkingCalendar,
)


class WorkdayTable:
    def __init__(self, first: dt.date, last: dt.date) -> None:
        calendar = WorkingCalendar()
        self.first = first.toordinal()
        self.last = last.toordinal()
        self.working: list[int] = []  # ordinals of working days, ascending
        # Running counts of days decided by a weaker source, to name a deadline's weakest source.
        self.override_before: list[int] = [0]
        self.weekdays_before: list[int] = [0]
        for ordinal in range(self.first, self.last + 1):
            working, source = calendar.classify(dt.date.fromordinal(ordinal))
            if working:
                self.working.append(ordinal)
            self.override_before.append(self.override_before[-1] + (source == SOURCE_OVERRIDE))
            self.weekdays_before.append(self.weekdays_before[-1] + (source == SOURCE_WEEKDAYS))
        self._cache: dict[tuple[int, int], tuple[int, dt.date, str]] = {}

    def add(self, start: dt.date, days: int) -> tuple[dt.date, DeadlineBasis]:
        """The `days`-th working day after `start`, and the basis stored with the deadline."""
        due_ordinal = self._due(start.toordinal(), days)
        return dt.date.fromordinal(due_ordinal), self._basis(start.toordinal(), due_ordinal, days)

    def due(self, start: int, days: int) -> tuple[int, dt.date, str]:
        """For ordinal `start`: (due ordinal, due date, the basis as JSON). Cached."""
        key = (start, days)
        hit = self._cache.get(key)
        if hit is None:
            due_ordinal = self._due(start, days)
            hit = (due_ordinal, dt.date.fromordinal(due_ordinal), json.dumps(self._basis(start, due_ordinal, days)))
            self._cache[key] = hit
        return hit

    def _due(self, start: int, days: int) -> int:
        index = bisect_right(self.working, start) + days - 1
        if start < self.first or index >= len(self.working):
            raise ValueError(f"{dt.date.fromordinal(start)} + {days} working days is outside the table")
        return self.working[index]

    def _basis(self, start: int, due: int, days: int) -> DeadlineBasis:
        lo, hi = start + 1 - self.first, due + 1 - self.first
        if self.weekdays_before[hi] - self.weekdays_before[lo]:
            source = SOURCE_WEEKDAYS
        elif self.override_before[hi] - self.override_before[lo]:
            source = SOURCE_OVERRIDE
        else:
            source = SOURCE_STATUTORY
        return {
            "start": dt.date.fromordinal(start).isoformat(),
            "days": days,
            "source": source,
            "provisional": source == SOURCE_WEEKDAYS,
        }
