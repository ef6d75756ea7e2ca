"""The dashboard's filter form: which region or station, and which period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboards.periods import MONTH, QUARTER, RANGE, YEAR, Period

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
MAX_RANGE_DAYS = 366 * 10


class DashboardForm(forms.Form):
    """Read from the query string; every field is optional and defaults to this year."""

    region = forms.CharField(label=_("Region"), required=False, max_length=12)
    station = forms.IntegerField(label=_("Station"), required=False, min_value=1)
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[(YEAR, _("Year")), (QUARTER, _("Quarter")), (MONTH, _("Month")), (RANGE, _("Custom range"))],
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=EARLIEST_YEAR,
        max_value=LATEST_YEAR,
        error_messages={
            "min_value": _("Choose a year from 2000 on."),
            "max_value": _("Choose a year up to 2100."),
            "invalid": _("Enter the year as a number, e.g. 2025."),
        },
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *[(q, str(q)) for q in range(1, 5)]],
    )
    month = forms.TypedChoiceField(
        label=_("Month"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *[(m, str(m)) for m in range(1, 13)]],
    )
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the date as YYYY-MM-DD.")},
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the date as YYYY-MM-DD.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        kind = data.get("period") or YEAR
        year = data.get("year") or today.year
        if kind == RANGE:
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                if "start" not in self.errors and "end" not in self.errors:
                    raise forms.ValidationError(_("Choose both the first and the last day of the range."))
                return data
            if end < start:
                self.add_error("end", _("The last day is before the first day. Swap them or choose again."))
                return data
            if (end - start).days > MAX_RANGE_DAYS or start.year < EARLIEST_YEAR or end.year > LATEST_YEAR:
                self.add_error("end", _("A range may cover at most ten years, between 2000 and 2100."))
                return data
            data["period_obj"] = Period.custom(start, end)
        elif kind == QUARTER:
            data["period_obj"] = Period.quarter(year, data.get("quarter") or (today.month - 1) // 3 + 1)
        elif kind == MONTH:
            data["period_obj"] = Period.month(year, data.get("month") or today.month)
        else:
            data["period_obj"] = Period.year(year)
        return data

    @property
    def period_value(self) -> Period:
        period = self.cleaned_data["period_obj"]
        assert isinstance(period, Period)
        return period

    @staticmethod
    def initial_for(period: Period) -> dict[str, Any]:
        """Query-string values that show `period` again (for links and the form's defaults)."""
        values: dict[str, Any] = {"period": period.kind, "year": period.start.year}
        if period.kind == QUARTER:
            values["quarter"] = (period.start.month - 1) // 3 + 1
        elif period.kind == MONTH:
            values["month"] = period.start.month
        elif period.kind == RANGE:
            values = {"period": RANGE, "start": period.start.isoformat(), "end": period.end.isoformat()}
        return values


def default_period(today: dt.date | None = None) -> Period:
    return Period.year((today or timezone.localdate()).year)
