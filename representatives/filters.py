"""Filters for representative and duty-shift lists (UI and API alike)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from representatives.models import CongressLevel, DutyShift, Mandate, Representative
from stations.models import Station


class RepresentativeFilter(django_filters.FilterSet):
    station = django_filters.ModelChoiceFilter(
        label=_("Station"),
        queryset=Station.objects.all(),
        method="filter_station",
        help_text=_("Station id: representatives assigned to it."),
    )
    level = django_filters.ChoiceFilter(
        label=_("Congress level"),
        choices=CongressLevel.choices,
        method="filter_level",
        help_text=_("Representatives holding a seat at this level."),
    )
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=forms.NullBooleanSelect)
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains", max_length=64)

    class Meta:
        model = Representative
        fields: list[str] = []

    def filter_station(
        self, queryset: QuerySet[Representative], name: str, value: Station | None
    ) -> QuerySet[Representative]:
        if value is None:
            return queryset
        through = Representative.stations.through
        return queryset.filter(Q(Exists(through.objects.filter(representative_id=OuterRef("pk"), station=value))))

    def filter_level(self, queryset: QuerySet[Representative], name: str, value: str) -> QuerySet[Representative]:
        if not value:
            return queryset
        return queryset.filter(Q(Exists(Mandate.objects.filter(representative_id=OuterRef("pk"), level=value))))


class DutyShiftFilter(django_filters.FilterSet):
    station = django_filters.ModelChoiceFilter(label=_("Station"), queryset=Station.objects.all())
    representative = django_filters.ModelChoiceFilter(label=_("Representative"), queryset=Representative.objects.all())
    starts = django_filters.DateFromToRangeFilter(
        label=_("Shift dates"),
        field_name="starts_at",
        help_text=_("Dates the shift starts, inclusive: starts_after and starts_before (YYYY-MM-DD)."),
    )

    class Meta:
        model = DutyShift
        fields: list[str] = []
