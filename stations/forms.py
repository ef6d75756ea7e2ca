"""The one-screen entry of a voter visit and the suggestions raised in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from representatives.models import Representative
from stations.models import Station, VisitChannel
from suggestions.forms import PhoneField
from suggestions.models import Urgency

# A visit logged a few minutes "ahead" is a clock difference between the laptop and the server, not the future.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
MAX_SUGGESTIONS_PER_VISIT = 50


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class VisitForm(forms.Form):
    station = forms.ModelChoiceField(label=_("Station"), queryset=Station.objects.none(), empty_label=None)
    channel = forms.ChoiceField(label=_("Channel"), choices=VisitChannel.choices, initial=VisitChannel.RECEPTION)
    occurred_at = forms.DateTimeField(
        label=_("Time of visit"),
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        error_messages={"invalid": _("Enter the date and time of the visit, for example 2025-03-20 09:30.")},
    )
    representatives = forms.ModelMultipleChoiceField(
        label=_("Representatives present"),
        queryset=Representative.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # No count filled in: a click on "save" must not log a visit of one voter that never was.
    voters_received = forms.IntegerField(
        label=_("Voters received"),
        min_value=0,
        max_value=10000,
        required=False,
        help_text=_("How many voters came; a visit records voters, a suggestion or a note."),
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=255)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args: Any,
        stations: QuerySet[Station],
        representatives: QuerySet[Representative],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        station_field: forms.ModelChoiceField[Station] = self.fields["station"]  # type: ignore[assignment]
        station_field.queryset = stations
        reps: forms.ModelMultipleChoiceField[Representative] = self.fields["representatives"]  # type: ignore[assignment]
        reps.queryset = representatives
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))
            first = stations.first()
            if first is not None:
                self.initial.setdefault("station", first.pk)

    def clean_occurred_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["occurred_at"]
        if value > timezone.now() + CLOCK_TOLERANCE:
            raise forms.ValidationError(_("The visit cannot be in the future."), code="visit_in_future")
        return value


class VisitCorrectionForm(forms.Form):
    """A logged visit corrected by its station's staff (within VISIT_EDIT_HOURS)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=VisitChannel.choices)
    occurred_at = forms.DateTimeField(
        label=_("Time of visit"),
        widget=DateTimeLocalInput(),
        input_formats=VisitForm.base_fields["occurred_at"].input_formats,  # type: ignore[attr-defined]
        error_messages={"invalid": _("Enter the date and time of the visit, for example 2025-03-20 09:30.")},
    )
    voters_received = forms.IntegerField(label=_("Voters received"), min_value=0, max_value=10000)
    representatives = forms.ModelMultipleChoiceField(
        label=_("Representatives present"),
        queryset=Representative.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=255)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, representatives: QuerySet[Representative], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reps: forms.ModelMultipleChoiceField[Representative] = self.fields["representatives"]  # type: ignore[assignment]
        reps.queryset = representatives

    def clean_occurred_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["occurred_at"]
        if value > timezone.now() + CLOCK_TOLERANCE:
            raise forms.ValidationError(_("The visit cannot be in the future."), code="visit_in_future")
        return value


class SuggestionEntryForm(forms.Form):
    """One suggestion raised during the visit."""

    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={"required": _("Enter a title for the suggestion.")},
    )
    content = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        help_text=_("Leave empty if the title says it all."),
    )
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False, empty_value=None)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    region = forms.TypedChoiceField(
        label=_("Region of the problem"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Leave as it is when the problem lies in the station's own region."),
    )
    address = forms.CharField(label=_("Where the problem is"), required=False, max_length=255)
    submitter_name = forms.CharField(label=_("Voter's name"), required=False, max_length=64)
    submitter_phone = PhoneField(label=_("Voter's phone"), required=False)
    submitter_address = forms.CharField(label=_("Voter's address"), required=False, max_length=255)
    consent_to_publish = forms.BooleanField(label=_("The voter agrees to publication"), required=False)
    representative = forms.TypedChoiceField(
        label=_("Receiving representative"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        category_choices: list[tuple[int, str]] | None = None,
        representative_choices: list[tuple[int, str]] | None = None,
        region_choices: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        # Choices come evaluated once for the whole formset, not one query per row.
        super().__init__(*args, **kwargs)
        region: forms.TypedChoiceField = self.fields["region"]  # type: ignore[assignment]
        region.choices = [("", _("The station's own region")), *(region_choices or [])]
        region.error_messages["invalid_choice"] = _("Choose a region in the station's area.")
        category: forms.TypedChoiceField = self.fields["category"]  # type: ignore[assignment]
        rep: forms.TypedChoiceField = self.fields["representative"]  # type: ignore[assignment]
        category.choices = [("", _("Not sorted yet")), *(category_choices or [])]
        rep.choices = [("", _("None")), *(representative_choices or [])]


class BaseSuggestionEntryFormSet(BaseFormSet[SuggestionEntryForm]):
    def add_fields(self, form: SuggestionEntryForm, index: int | None) -> None:
        super().add_fields(form, index)
        form.fields["DELETE"].label = _("Remove this suggestion")

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        titles = [
            f.cleaned_data["title"].strip()
            for f in self.forms
            if f.has_changed() and f.cleaned_data.get("title") and not self.is_removed(f)
        ]
        if len(titles) != len(set(titles)):
            raise forms.ValidationError(
                _("Two suggestions have the same title; merge them or tell them apart."), code="duplicate_title"
            )

    def is_removed(self, form: SuggestionEntryForm) -> bool:
        return bool(self.can_delete and form.cleaned_data.get("DELETE"))

    def entry_forms(self) -> list[SuggestionEntryForm]:
        """The filled-in, not removed suggestion rows, in order."""
        return [form for form in self.forms if form.has_changed() and form.cleaned_data and not self.is_removed(form)]

    def entries(self) -> list[dict[str, Any]]:
        """Cleaned data of the rows to record, in order."""
        return [form.cleaned_data for form in self.entry_forms()]


SuggestionEntryFormSet: type[BaseSuggestionEntryFormSet] = formset_factory(  # type: ignore[assignment]
    SuggestionEntryForm,
    formset=BaseSuggestionEntryFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_SUGGESTIONS_PER_VISIT,
    validate_max=True,
    absolute_max=MAX_SUGGESTIONS_PER_VISIT,
)
