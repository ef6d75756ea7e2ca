"""The representative's activity form (履职登记). The rules live in `services`; the form only
shows them early and carries the service's answer back to the fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from representatives.models import ActivityKind, Representative
from stations.models import Station


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of activity"), choices=ActivityKind.choices)
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the date as YYYY-MM-DD.")},
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=Decimal(24),
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "max": "24", "inputmode": "decimal"}),
        error_messages={
            "min_value": _("Hours must be more than 0 and at most 24."),
            "max_value": _("Hours must be more than 0 and at most 24."),
            "max_decimal_places": _("Give the hours to one decimal place, for example 1.5."),
            "max_digits": _("Hours must be more than 0 and at most 24."),
            "invalid": _("Enter the hours as a number, for example 1.5."),
        },
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    station = forms.ModelChoiceField(label=_("Station"), queryset=Station.objects.none(), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, representative: Representative, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        station_field = self.fields["station"]
        assert isinstance(station_field, forms.ModelChoiceField)
        station_field.queryset = representative.stations.order_by("name", "id")
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_date(self) -> Any:
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day
