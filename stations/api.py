"""REST endpoints for regions, stations and voter visits (DESIGN §7).

Reads go through `stations.selectors`, scoped to the caller before any filter; a
visit is written by `stations.services.visit_record`, which records the suggestions
raised in it through the workflow, all or nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from liaison.rest import CodeRelatedField
from representatives.models import Representative
from stations.filters import RegionFilter, StationFilter, VisitFilter
from stations.models import Region, Station, StationFeature, VisitChannel, VoterVisit
from stations.selectors import station_list, visit_list
from stations.services import SuggestionEntry, visit_record
from suggestions.api import PhoneField
from suggestions.models import Category, Suggestion, Urgency

MAX_SUGGESTIONS_PER_VISIT = 50


# --- Serializers ---------------------------------------------------------------------


class RegionSerializer(serializers.ModelSerializer[Region]):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "path", "depth"]
        read_only_fields = fields

    # "parent" would shadow Field.parent as a class attribute, so it is added here.
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["parent"] = serializers.SlugRelatedField(
            slug_field="code", read_only=True, allow_null=True, help_text="Code of the parent region."
        )
        return fields


class StationSerializer(serializers.ModelSerializer[Station]):
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Code of the station's region."
    )
    region_name = serializers.CharField(source="region.name", read_only=True)
    features: serializers.SlugRelatedField[StationFeature] = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True
    )

    class Meta:
        model = Station
        fields = [
            "id",
            "name",
            "kind",
            "region",
            "region_name",
            "address",
            "phone",
            "opening_hours",
            "star_rating",
            "features",
            "description",
            "latitude",
            "longitude",
            "is_active",
        ]
        read_only_fields = fields


class VisitSerializer(serializers.ModelSerializer[VoterVisit]):
    station_name = serializers.CharField(source="station.name", read_only=True)
    representatives: serializers.PrimaryKeyRelatedField[Representative] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    recorded_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = VoterVisit
        fields = [
            "id",
            "station",
            "station_name",
            "channel",
            "occurred_at",
            "representatives",
            "voters_received",
            "place",
            "notes",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class VisitSuggestionInputSerializer(serializers.Serializer[dict[str, Any]]):
    """One suggestion raised during the visit."""

    title = serializers.CharField(max_length=200)
    content = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    category = CodeRelatedField(
        slug_field="code",
        queryset=Category.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="Category code.",
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    submitter_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    submitter_phone = PhoneField(required=False, allow_blank=True, default="")
    submitter_address = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    consent_to_publish = serializers.BooleanField(default=False)
    representative = serializers.PrimaryKeyRelatedField(
        queryset=Representative.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the receiving representative.",
    )


class VisitCreateSerializer(serializers.Serializer[dict[str, Any]]):
    station = serializers.PrimaryKeyRelatedField(queryset=Station.objects.filter(is_active=True))
    channel = serializers.ChoiceField(choices=VisitChannel.choices)
    occurred_at = serializers.DateTimeField()
    representatives = serializers.PrimaryKeyRelatedField(
        queryset=Representative.objects.filter(is_active=True), many=True, required=False, default=list
    )
    voters_received = serializers.IntegerField(
        min_value=0,
        max_value=10000,
        required=False,
        allow_null=True,
        default=None,
        help_text="Voters received; left out: 1 with suggestions, else 0. A visit with no voter, no suggestion "
        "and no notes is refused (400 visit_empty).",
    )
    place = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    suggestions = VisitSuggestionInputSerializer(many=True, required=False, default=list)

    def validate_suggestions(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(value) > MAX_SUGGESTIONS_PER_VISIT:
            raise serializers.ValidationError(
                _("At most %(count)s suggestions can be recorded with one visit.")
                % {"count": MAX_SUGGESTIONS_PER_VISIT}
            )
        return value


class VisitSuggestionOutputSerializer(serializers.ModelSerializer[Suggestion]):
    class Meta:
        model = Suggestion
        fields = ["tracking_code", "title", "state", "version"]
        read_only_fields = fields


class VisitCreatedSerializer(serializers.Serializer[dict[str, Any]]):
    visit = VisitSerializer()
    suggestions = VisitSuggestionOutputSerializer(many=True)


# --- Views ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List regions", tags=["regions"]),
    retrieve=extend_schema(summary="Get a region by its official code", tags=["regions"]),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet[Region]):
    """The region tree: reference data every signed-in user may read."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z]{1,12}"
    cursor_ordering = ("path",)

    def get_queryset(self) -> QuerySet[Region]:
        return Region.objects.select_related("parent").order_by("path")


@extend_schema_view(
    list=extend_schema(summary="List the stations you work with", tags=["stations"]),
    retrieve=extend_schema(summary="Get a station", tags=["stations"]),
)
class StationViewSet(viewsets.ReadOnlyModelViewSet[Station]):
    serializer_class = StationSerializer
    filterset_class = StationFilter
    cursor_ordering = ("id",)

    def get_queryset(self) -> QuerySet[Station]:
        return station_list(user=self.request.user).prefetch_related("features")


@extend_schema_view(
    list=extend_schema(summary="List voter visits", tags=["visits"]),
    retrieve=extend_schema(summary="Get a voter visit", tags=["visits"]),
    create=extend_schema(
        summary="Log a voter visit with the suggestions raised in it",
        description="All or nothing: if any suggestion is refused, neither the visit nor any suggestion is saved. "
        "Station staff log visits for their own stations. A representative logs field work (channel outreach, "
        "night_talk or booth) for a station they are assigned to: they are listed as present and are the "
        "receiving representative of each suggestion; another station is 403 not_allowed, another channel "
        "400 channel_not_field_work.",
        tags=["visits"],
        request=VisitCreateSerializer,
        responses={201: VisitCreatedSerializer},
    ),
)
class VisitViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[VoterVisit]):
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    cursor_ordering = ("-occurred_at", "-id")

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return VisitCreateSerializer if self.action == "create" else VisitSerializer

    def get_queryset(self) -> QuerySet[VoterVisit]:
        return visit_list(user=self.request.user).prefetch_related("representatives").select_related("recorded_by")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = VisitCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entries: list[SuggestionEntry] = [SuggestionEntry(**entry) for entry in data["suggestions"]]  # type: ignore[typeddict-item]
        user: User = request.user  # type: ignore[assignment]
        visit, suggestions = visit_record(
            actor=user,
            station=data["station"],
            channel=data["channel"],
            occurred_at=data["occurred_at"],
            representatives=data["representatives"],
            voters_received=data["voters_received"],
            place=data["place"],
            notes=data["notes"],
            suggestions=entries,
        )
        body = VisitCreatedSerializer(
            {"visit": visit, "suggestions": suggestions}, context=self.get_serializer_context()
        )
        return Response(body.data, status=status.HTTP_201_CREATED)
