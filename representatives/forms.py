"""The representative's activity form (履职登记). The rules live in `services`; the form only
shows them early and carries the service's answer back to the fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from representatives.models import ActivityKind, Representative
from stations.forms import MAX_SUGGESTIONS_PER_VISIT, BaseSuggestionEntryFormSet, SuggestionEntryForm, VisitForm
from stations.models import FIELD_WORK_CHANNELS, Station, VisitChannel


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


class FieldVisitForm(VisitForm):
    """Station staff's visit screen for a representative's field work (出站访选民, 夜谈夜访,
    service booths). It offers only the representative's stations and the field channels; any
    other station or channel that is posted reaches `visit_record`, which refuses it with its
    own message (403 for a station they are not assigned to), so the rule lives in one place."""

    def __init__(
        self, *args: Any, stations: QuerySet[Station], representatives: QuerySet[Representative], **kwargs: Any
    ) -> None:
        super().__init__(*args, stations=stations, representatives=representatives, **kwargs)
        station: forms.ModelChoiceField[Station] = self.fields["station"]  # type: ignore[assignment]
        station.queryset = Station.objects.filter(is_active=True)
        station.widget.choices = [(s.pk, s.name) for s in stations]
        channel: forms.ChoiceField = self.fields["channel"]  # type: ignore[assignment]
        channel.widget.choices = [(value, VisitChannel(value).label) for value in FIELD_WORK_CHANNELS]
        channel.initial = VisitChannel.OUTREACH
        present = self.fields["representatives"]
        present.label = _("Other representatives present")


class FieldSuggestionEntryForm(SuggestionEntryForm):
    """A suggestion heard in the field: the representative recording it is its receiving representative."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["representative"]


FieldSuggestionEntryFormSet: type[BaseSuggestionEntryFormSet] = formset_factory(  # type: ignore[assignment]
    FieldSuggestionEntryForm,
    formset=BaseSuggestionEntryFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_SUGGESTIONS_PER_VISIT,
    validate_max=True,
    absolute_max=MAX_SUGGESTIONS_PER_VISIT,
)
