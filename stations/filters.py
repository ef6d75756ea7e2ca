"""Filters for region, station and visit lists (UI and API alike)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from stations.models import Region, RegionLevel, Station, StationKind, VisitChannel, VoterVisit
from stations.selectors import station_list


def _stations(request: HttpRequest | None) -> QuerySet[Station]:
    if request is None:
        return Station.objects.none()
    return station_list(user=request.user)


def _subtree(value: Region) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=value.path)


class RegionFilter(django_filters.FilterSet):
    parent = django_filters.ModelChoiceFilter(
        label=_("Parent region"),
        queryset=Region.objects.all(),
        to_field_name="code",
        widget=forms.TextInput,
        help_text=_("Official code of the parent: its direct children match."),
    )
    within = django_filters.ModelChoiceFilter(
        label=_("Within region"),
        queryset=Region.objects.all(),
        to_field_name="code",
        method="filter_within",
        widget=forms.TextInput,
        help_text=_("Official code of a region: it and every region below it match."),
    )
    level = django_filters.ChoiceFilter(label=_("Level"), choices=RegionLevel.choices)
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains", max_length=64)

    class Meta:
        model = Region
        fields: list[str] = []

    def filter_within(self, queryset: QuerySet[Region], name: str, value: Region | None) -> QuerySet[Region]:
        return queryset if value is None else queryset.filter(path__startswith=value.path)


class StationFilter(django_filters.FilterSet):
    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        queryset=Region.objects.all(),
        to_field_name="code",
        method="filter_region",
        widget=forms.TextInput,
        help_text=_("Official code of a region; the region and every region below it match."),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=StationKind.choices)
    is_active = django_filters.BooleanFilter(label=_("Active"), widget=forms.NullBooleanSelect)
    q = django_filters.CharFilter(label=_("Search"), field_name="name", lookup_expr="icontains", max_length=64)

    class Meta:
        model = Station
        fields: list[str] = []

    def filter_region(self, queryset: QuerySet[Station], name: str, value: Region | None) -> QuerySet[Station]:
        return queryset if value is None else queryset.filter(region__in=_subtree(value).values("id"))


class VisitFilter(django_filters.FilterSet):
    station = django_filters.ModelChoiceFilter(
        label=_("Station"), queryset=_stations, help_text=_("Station id, one of your stations.")
    )
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=VisitChannel.choices)
    occurred = django_filters.DateFromToRangeFilter(
        label=_("Visit dates"),
        field_name="occurred_at",
        help_text=_("Dates of the visit, inclusive: occurred_after and occurred_before (YYYY-MM-DD)."),
    )
    representative = django_filters.NumberFilter(
        label=_("Representative"),
        method="filter_representative",
        help_text=_("Id of a representative who was present."),
    )

    class Meta:
        model = VoterVisit
        fields: list[str] = []

    @extend_schema_field(OpenApiTypes.INT)
    def filter_representative(
        self, queryset: QuerySet[VoterVisit], name: str, value: float | None
    ) -> QuerySet[VoterVisit]:
        if value is None:
            return queryset
        through = VoterVisit.representatives.through
        present = through.objects.filter(votervisit_id=OuterRef("pk"), representative_id=int(value))
        return queryset.filter(Q(Exists(present)))
