"""REST endpoints for representatives and their duty shifts, read through the scoped selectors."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from liaison.rest import blank_choice_field
from representatives.filters import DutyShiftFilter, RepresentativeFilter
from representatives.models import DutyShift, Mandate, Representative
from representatives.selectors import duty_shift_list, representative_list
from stations.models import Region, Station


class MandateSerializer(serializers.ModelSerializer[Mandate]):
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Mandate
        fields = ["level", "region", "region_name", "term", "constituency"]
        read_only_fields = fields


class RepresentativeSerializer(serializers.ModelSerializer[Representative]):
    gender = blank_choice_field(Representative._meta.get_field("gender").choices)
    stations: serializers.PrimaryKeyRelatedField[Station] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of assigned stations."
    )
    mandates = MandateSerializer(many=True, read_only=True)

    class Meta:
        model = Representative
        fields = ["id", "name", "gender", "phone", "occupation", "bio", "is_active", "stations", "mandates"]
        read_only_fields = fields


class DutyShiftSerializer(serializers.ModelSerializer[DutyShift]):
    representative_name = serializers.CharField(source="representative.name", read_only=True)
    station_name = serializers.CharField(source="station.name", read_only=True)

    class Meta:
        model = DutyShift
        fields = [
            "id",
            "representative",
            "representative_name",
            "station",
            "station_name",
            "starts_at",
            "ends_at",
            "note",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="List representatives you work with", tags=["representatives"]),
    retrieve=extend_schema(summary="Get a representative", tags=["representatives"]),
)
class RepresentativeViewSet(viewsets.ReadOnlyModelViewSet[Representative]):
    serializer_class = RepresentativeSerializer
    filterset_class = RepresentativeFilter
    cursor_ordering = ("id",)

    def get_queryset(self) -> QuerySet[Representative]:
        return representative_list(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List duty shifts at your stations", tags=["representatives"]),
    retrieve=extend_schema(summary="Get a duty shift", tags=["representatives"]),
)
class DutyShiftViewSet(viewsets.ReadOnlyModelViewSet[DutyShift]):
    serializer_class = DutyShiftSerializer
    filterset_class = DutyShiftFilter
    cursor_ordering = ("starts_at", "id")

    def get_queryset(self) -> QuerySet[DutyShift]:
        return duty_shift_list(user=self.request.user)
