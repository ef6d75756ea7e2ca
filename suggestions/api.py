"""REST endpoints for suggestions, their events, categories, handling units and every
workflow action (DESIGN §3, §7).

Reads go through `suggestions.selectors` (scope first, then the shared `SuggestionFilter`);
writes call the same workflow functions as the staff UI. Each action is
`POST /api/v1/suggestions/{code}/<action>/` with an optional `expected_version`: when
someone else changed the suggestion since the client read it, the answer is 409
`stale_version` and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from liaison.rest import CodeRelatedField, blank_choice_field, error_response
from representatives.models import Representative
from stations.models import Region, Station, VisitChannel, VoterVisit
from suggestions import workflow
from suggestions.filters import HandlingUnitFilter, SuggestionFilter
from suggestions.forms import phone_normalize
from suggestions.models import (
    Assignment,
    AssignmentRole,
    Attachment,
    Category,
    CoOpinion,
    ExtensionRequest,
    ExtensionStatus,
    Feedback,
    FeedbackParty,
    FeedbackVia,
    FollowUpReport,
    HandlingUnit,
    PublicationScope,
    Rating,
    Reply,
    ReplyCategory,
    Route,
    State,
    Suggestion,
    SuggestionEvent,
    Urgency,
)
from suggestions.selectors import (
    CaseFile,
    case_file,
    event_data_for,
    personal_data_visible,
    suggestion_get,
    suggestion_list,
)
from suggestions.tracking import tracking_code_normalize

TRACKING_CODE_REGEX = r"[0-9A-Za-z\-]{1,20}"

# --- Fields --------------------------------------------------------------------------


class PhoneField(serializers.CharField):
    """A Chinese mobile or landline number, normalised (full-width digits, spaces, +86 accepted)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return phone_normalize(super().to_internal_value(data))


@extend_schema_field(OpenApiTypes.STR)
class TrackingCodeField(serializers.RelatedField[Suggestion, str, str]):
    """A suggestion named by its tracking code, among those the caller may see."""

    default_error_messages = {
        "does_not_exist": _("No suggestion with this tracking code is within your scope."),
        "invalid": _("Enter a tracking code."),
    }

    def get_queryset(self) -> QuerySet[Suggestion]:
        request = self.context.get("request")
        if request is None:
            return Suggestion.objects.none()
        return suggestion_list(user=request.user)

    def to_internal_value(self, data: Any) -> Suggestion:
        if not isinstance(data, str):
            self.fail("invalid")
        code = tracking_code_normalize(data)
        found = self.get_queryset().filter(tracking_code=code).first() if code else None
        if found is None:
            self.fail("does_not_exist")
        assert found is not None
        return found

    def to_representation(self, value: Any) -> str:
        return str(value.tracking_code)


# --- Reference data ----------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ["code", "name", "description", "order", "is_active"]
        read_only_fields = fields


class HandlingUnitSerializer(serializers.ModelSerializer[HandlingUnit]):
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Code of the unit's region."
    )
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = HandlingUnit
        fields = ["code", "name", "kind", "region", "region_name", "phone", "is_active"]
        read_only_fields = fields


# --- Suggestions: output -------------------------------------------------------------


def _datetime(value: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    """As DRF's DateTimeField writes it (ISO 8601 in the current zone, UTC as Z)."""
    if not value:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _list_row(s: Suggestion, tz: dt.tzinfo) -> dict[str, Any]:
    """One row of SuggestionListSerializer, built directly (the fields' order and formats)."""
    category, region, station, unit = s.category, s.region, s.station, s.lead_unit
    return {
        "tracking_code": s.tracking_code,
        "title": s.title,
        "state": s.state,
        "version": s.version,
        "category": category.code if category else None,
        "category_name": category.name if category else None,
        "urgency": s.urgency,
        "region": region.code,
        "region_name": region.name,
        "station": s.station_id,
        "station_name": station.name if station else None,
        "channel": s.channel,
        "lead_unit": unit.code if unit else None,
        "lead_unit_name": unit.name if unit else None,
        "supervision_level": s.supervision_level,
        "ack_due": s.ack_due.isoformat() if s.ack_due else None,
        "reply_due": s.reply_due.isoformat() if s.reply_due else None,
        "created_at": _datetime(s.created_at, tz),
        "updated_at": _datetime(s.updated_at, tz),
    }


class SuggestionRowsSerializer(serializers.ListSerializer[Suggestion]):
    """A page of the list: the same output as serialising field by field (a test holds them
    equal), in a fraction of the time; DRF's per-field machinery was a fifth of a page."""

    def to_representation(self, data: Any) -> list[Any]:
        rows = data.all() if hasattr(data, "all") else data
        tz = timezone.get_current_timezone()
        return [_list_row(s, tz) for s in rows]


class SuggestionListSerializer(serializers.ModelSerializer[Suggestion]):
    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    category_name = serializers.CharField(source="category.name", read_only=True, allow_null=True, default=None)
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    station_name = serializers.CharField(source="station.name", read_only=True, allow_null=True, default=None)
    lead_unit: serializers.SlugRelatedField[HandlingUnit] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Suggestion
        fields = [
            "tracking_code",
            "title",
            "state",
            "version",
            "category",
            "category_name",
            "urgency",
            "region",
            "region_name",
            "station",
            "station_name",
            "channel",
            "lead_unit",
            "lead_unit_name",
            "supervision_level",
            "ack_due",
            "reply_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = SuggestionRowsSerializer


class AssignmentSerializer(serializers.ModelSerializer[Assignment]):
    unit: serializers.SlugRelatedField[HandlingUnit] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["unit", "unit_name", "role", "due", "opinion", "opinion_at", "is_active", "created_at"]
        read_only_fields = fields


class ExtensionRequestSerializer(serializers.ModelSerializer[ExtensionRequest]):
    class Meta:
        model = ExtensionRequest
        fields = ["id", "days", "reason", "requested_at", "status", "decided_at", "decision_note"]
        read_only_fields = fields


# --- The case file 督办档案 (issue 14): every round, nothing overwritten ---------------------


def _person(user: User | None) -> str | None:
    return str(user) if user is not None else None


class CaseFileRatingSerializer(serializers.ModelSerializer[Feedback]):
    """One rating of one answer: the voter's (选民评) or the receiving representative's (代表评)."""

    party = serializers.ChoiceField(choices=FeedbackParty.choices, read_only=True)
    via = serializers.ChoiceField(choices=FeedbackVia.choices, read_only=True)
    rating = serializers.ChoiceField(choices=Rating.choices, read_only=True)
    recorded_by = serializers.SerializerMethodField(help_text="Who recorded it; null for the voter's own link.")

    class Meta:
        model = Feedback
        fields = ["party", "via", "rating", "text", "outcome", "given_at", "recorded_by"]
        read_only_fields = fields

    def get_recorded_by(self, obj: Feedback) -> str | None:
        return _person(obj.actor)


class CaseFileFollowUpSerializer(serializers.ModelSerializer[FollowUpReport]):
    round = serializers.SerializerMethodField(help_text="The round of the answer this report follows.")
    reported_by = serializers.SerializerMethodField()

    class Meta:
        model = FollowUpReport
        fields = ["round", "text", "solved", "due", "next_due", "late", "reported_at", "reported_by"]
        read_only_fields = fields

    def get_round(self, obj: FollowUpReport) -> int | None:
        rounds: dict[int, int] = self.context.get("rounds_by_reply", {})
        return rounds.get(obj.reply_id) if obj.reply_id is not None else None

    def get_reported_by(self, obj: FollowUpReport) -> str | None:
        return _person(obj.actor)


class CaseFileRoundSerializer(serializers.ModelSerializer[Reply]):
    """One answer (a unit's reply or an on-the-spot resolution) with its two ratings."""

    unit: serializers.SlugRelatedField[HandlingUnit] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True, allow_null=True, default=None)
    category = serializers.ChoiceField(choices=ReplyCategory.choices, read_only=True)
    text = serializers.CharField(read_only=True, help_text="Empty when `text_lost`.")
    text_lost = serializers.BooleanField(
        read_only=True, help_text="The text of this round was overwritten before the case file existed."
    )
    replied_by = serializers.SerializerMethodField()
    resolved_by: serializers.PrimaryKeyRelatedField[Representative] = serializers.PrimaryKeyRelatedField(
        source="representative",
        read_only=True,
        allow_null=True,
        help_text="On the spot: id of the station's representative who resolved it.",
    )
    resolved_by_name = serializers.CharField(
        source="representative.name", read_only=True, allow_null=True, default=None
    )
    attachments = serializers.SerializerMethodField(help_text="Ids of the files sent with this answer.")
    voter_rating = serializers.SerializerMethodField(help_text="选民评, or null while the voter has not rated.")
    representative_rating = serializers.SerializerMethodField(help_text="代表评, or null.")

    class Meta:
        model = Reply
        fields = [
            "round",
            "unit",
            "unit_name",
            "resolved_on_spot",
            "resolved_by",
            "resolved_by_name",
            "category",
            "text",
            "text_lost",
            "replied_at",
            "replied_by",
            "due",
            "on_time",
            "started_on",
            "working_days",
            "follow_up_due",
            "attachments",
            "voter_rating",
            "representative_rating",
        ]
        read_only_fields = fields

    def _round(self, obj: Reply) -> Any:
        return self.context["rounds"][obj.pk]

    def get_replied_by(self, obj: Reply) -> str | None:
        return _person(obj.actor)

    def get_attachments(self, obj: Reply) -> list[int]:
        files: dict[int, list[int]] = self.context.get("files_by_event", {})
        return files.get(obj.event_id or 0, [])

    @extend_schema_field(CaseFileRatingSerializer(allow_null=True))
    def get_voter_rating(self, obj: Reply) -> dict[str, Any] | None:
        found = self._round(obj).voter
        return dict(CaseFileRatingSerializer(found).data) if found is not None else None

    @extend_schema_field(CaseFileRatingSerializer(allow_null=True))
    def get_representative_rating(self, obj: Reply) -> dict[str, Any] | None:
        found = self._round(obj).representative
        return dict(CaseFileRatingSerializer(found).data) if found is not None else None


class CaseFileCoOpinionSerializer(serializers.ModelSerializer[CoOpinion]):
    """Each version of a co-unit's opinion, oldest first."""

    unit: serializers.SlugRelatedField[HandlingUnit] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    given_by = serializers.SerializerMethodField()

    class Meta:
        model = CoOpinion
        fields = ["unit", "unit_name", "text", "due", "late", "given_at", "given_by"]
        read_only_fields = fields

    def get_given_by(self, obj: CoOpinion) -> str | None:
        return _person(obj.actor)


class CaseFileExtensionSerializer(serializers.ModelSerializer[ExtensionRequest]):
    """An extension request and its decision: days asked, granted or refused, by whom, why."""

    requested_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=ExtensionStatus.choices, read_only=True)

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "days",
            "reason",
            "requested_at",
            "requested_by",
            "status",
            "decided_at",
            "decided_by",
            "decision_note",
        ]
        read_only_fields = fields

    def get_requested_by(self, obj: ExtensionRequest) -> str | None:
        return _person(obj.requested_by)

    def get_decided_by(self, obj: ExtensionRequest) -> str | None:
        return _person(obj.decided_by)


LIST_COLUMNS = (
    "tracking_code",
    "title",
    "state",
    "version",
    "urgency",
    "station",
    "channel",
    "supervision_level",
    "ack_due",
    "reply_due",
    "created_at",
    "updated_at",
    "category__code",
    "category__name",
    "region__code",
    "region__name",
    "station__name",
    "lead_unit__code",
    "lead_unit__name",
)


class SuggestionDetailSerializer(SuggestionListSerializer):
    representative_name = serializers.CharField(
        source="representative.name", read_only=True, allow_null=True, default=None
    )
    proposed_unit: serializers.SlugRelatedField[HandlingUnit] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    merged_into: serializers.SlugRelatedField[Suggestion] = serializers.SlugRelatedField(
        slug_field="tracking_code", read_only=True, allow_null=True
    )
    submitter_email = serializers.CharField(read_only=True, help_text="E-mail address, or empty.")
    route = blank_choice_field(Route.choices)
    reply_category = blank_choice_field(ReplyCategory.choices)
    rating = blank_choice_field(Rating.choices)
    publication_scope = blank_choice_field(PublicationScope.choices)
    assignments = serializers.SerializerMethodField()
    extension_requests = serializers.SerializerMethodField()
    rounds = serializers.SerializerMethodField(help_text="Every answer, oldest first, with its ratings (督办档案).")
    co_opinions = serializers.SerializerMethodField(help_text="Every version of each co-unit's opinion.")
    follow_ups = serializers.SerializerMethodField(help_text="Every progress report after a B answer.")
    extensions = serializers.SerializerMethodField(help_text="Every extension request and its decision.")
    allowed_actions = serializers.SerializerMethodField()

    class Meta(SuggestionListSerializer.Meta):
        fields = [
            *SuggestionListSerializer.Meta.fields,
            "content",
            "address",
            "latitude",
            "longitude",
            "submitter_name",
            "submitter_phone",
            "submitter_email",
            "submitter_address",
            "consent_to_publish",
            "visit",
            "representative",
            "representative_name",
            "route",
            "route_note",
            "proposed_unit",
            "assigned_at",
            "acknowledged_at",
            "feedback_due",
            "follow_up_due",
            "stage_due",
            "formal_reply_due",
            "deadline_basis",
            "extension_days",
            "reply_category",
            "reply_text",
            "replied_at",
            "resolved_on_spot",
            "rating",
            "feedback_text",
            "feedback_at",
            "rehandle_count",
            "closed_at",
            "close_note",
            "is_published",
            "published_at",
            "publication_scope",
            "public_title",
            "public_content",
            "public_reply",
            "merged_into",
            "formal_reference",
            "escalated_to",
            "assignments",
            "extension_requests",
            "rounds",
            "co_opinions",
            "follow_ups",
            "extensions",
            "allowed_actions",
        ]
        read_only_fields = fields
        list_serializer_class = serializers.ListSerializer  # type: ignore[assignment]

    def _assignments(self, obj: Suggestion) -> list[Assignment]:
        cached: dict[int, list[Assignment]] = self.context.setdefault("_assignments", {})
        if obj.pk not in cached:
            cached[obj.pk] = list(Assignment.objects.filter(suggestion=obj).select_related("unit").order_by("id"))
        return cached[obj.pk]

    def _case_file(self, obj: Suggestion) -> CaseFile:
        """Read once per suggestion for the five fields that show it, whatever the rounds; the
        tables that can hold no row yet (no answer given, no co-unit opinion) are not read."""
        cached: dict[int, CaseFile] = self.context.setdefault("_case_files", {})
        if obj.pk not in cached:
            cached[obj.pk] = case_file(
                suggestion=obj,
                read_rounds=obj.answers > 0 or obj.replied_at is not None,
                read_co_opinions=any(
                    a.role == AssignmentRole.CO and a.opinion_at is not None for a in self._assignments(obj)
                ),
            )
        return cached[obj.pk]

    @extend_schema_field(CaseFileRoundSerializer(many=True))
    def get_rounds(self, obj: Suggestion) -> list[dict[str, Any]]:
        dossier = self._case_file(obj)
        replies = [r.reply for r in dossier.rounds]
        event_ids = [r.event_id for r in replies if r.event_id is not None]
        files: dict[int, list[int]] = {}
        if event_ids:
            rows = Attachment.objects.filter(event_id__in=event_ids).order_by("id").values_list("event_id", "id")
            for event_id, pk in rows:
                files.setdefault(event_id, []).append(pk)
        context = {"rounds": {r.reply.pk: r for r in dossier.rounds}, "files_by_event": files}
        return list(CaseFileRoundSerializer(replies, many=True, context=context).data)

    @extend_schema_field(CaseFileCoOpinionSerializer(many=True))
    def get_co_opinions(self, obj: Suggestion) -> list[dict[str, Any]]:
        return list(CaseFileCoOpinionSerializer(self._case_file(obj).co_opinions, many=True).data)

    @extend_schema_field(CaseFileFollowUpSerializer(many=True))
    def get_follow_ups(self, obj: Suggestion) -> list[dict[str, Any]]:
        dossier = self._case_file(obj)
        reports = [p for r in dossier.rounds for p in r.follow_ups] + dossier.loose_follow_ups
        reports.sort(key=lambda p: (p.reported_at, p.pk))
        context = {"rounds_by_reply": {r.reply.pk: r.reply.round for r in dossier.rounds}}
        return list(CaseFileFollowUpSerializer(reports, many=True, context=context).data)

    @extend_schema_field(CaseFileExtensionSerializer(many=True))
    def get_extensions(self, obj: Suggestion) -> list[dict[str, Any]]:
        return list(CaseFileExtensionSerializer(self._case_file(obj).extensions, many=True).data)

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_assignments(self, obj: Suggestion) -> list[dict[str, Any]]:
        return list(AssignmentSerializer(self._assignments(obj), many=True).data)

    @extend_schema_field(ExtensionRequestSerializer(many=True))
    def get_extension_requests(self, obj: Suggestion) -> list[dict[str, Any]]:
        # The same rows as `extensions` (kept for existing clients), read once.
        rows = sorted(self._case_file(obj).extensions, key=lambda r: r.pk)
        return list(ExtensionRequestSerializer(rows, many=True).data)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=workflow.ACTIONS)))
    def get_allowed_actions(self, obj: Suggestion) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return workflow.allowed_actions(suggestion=obj, user=request.user)


class SuggestionEventSerializer(serializers.ModelSerializer[SuggestionEvent]):
    from_state = blank_choice_field(State.choices)
    to_state = blank_choice_field(State.choices)

    class Meta:
        model = SuggestionEvent
        fields = ["id", "action", "from_state", "to_state", "actor", "actor_label", "created_at", "note", "data"]
        read_only_fields = fields


# --- Suggestions: input --------------------------------------------------------------


class SuggestionCreateSerializer(serializers.Serializer[dict[str, Any]]):
    """A suggestion recorded by staff (hotline, letter, a visit logged earlier)."""

    title = serializers.CharField(max_length=200)
    content = serializers.CharField(max_length=10000)
    region = CodeRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Code of the region where the problem is; defaults to the station's region.",
    )
    station = serializers.PrimaryKeyRelatedField(
        queryset=Station.objects.all(), required=False, allow_null=True, default=None
    )
    visit = serializers.PrimaryKeyRelatedField(
        queryset=VoterVisit.objects.all(), required=False, allow_null=True, default=None
    )
    category = CodeRelatedField(
        slug_field="code", queryset=Category.objects.all(), required=False, allow_null=True, default=None
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    submitter_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    submitter_phone = PhoneField(required=False, allow_blank=True, default="")
    submitter_email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    submitter_address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    consent_to_publish = serializers.BooleanField(default=False)
    representative = serializers.PrimaryKeyRelatedField(
        queryset=Representative.objects.all(), required=False, allow_null=True, default=None
    )
    channel = serializers.ChoiceField(choices=VisitChannel.choices, default=VisitChannel.RECEPTION)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["region"] is None:
            station: Station | None = attrs["station"]
            if station is None:
                raise serializers.ValidationError({"region": [_("Give the region, or the station that received it.")]})
            attrs["region"] = station.region
        return attrs


class ActionSerializer(serializers.Serializer[dict[str, Any]]):
    """Every action accepts the version the client last read; a different current version → 409."""

    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="The suggestion's `version` as you last read it. If it has changed since, nothing is done "
        "and the answer is 409 `stale_version`. Leave out to skip the check.",
    )

    def to_kwargs(self, suggestion: Suggestion) -> dict[str, Any]:
        """The keyword arguments of the workflow function, from the validated input."""
        return dict(self.validated_data)


def _unit_field(**kwargs: Any) -> CodeRelatedField:
    return CodeRelatedField(slug_field="code", queryset=HandlingUnit.objects.all(), **kwargs)


class SortSerializer(ActionSerializer):
    category = CodeRelatedField(
        slug_field="code",
        queryset=Category.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Category code; required unless merging.",
    )
    urgency = serializers.ChoiceField(
        choices=Urgency.choices, required=False, help_text="Defaults to the suggestion's current urgency."
    )
    region = CodeRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Code of a corrected region, if the problem lies elsewhere.",
    )
    merge_into = TrackingCodeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Tracking code of an earlier suggestion this one duplicates: merges it (→ merged).",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def to_kwargs(self, suggestion: Suggestion) -> dict[str, Any]:
        kwargs = super().to_kwargs(suggestion)
        kwargs.setdefault("urgency", suggestion.urgency)
        return kwargs


class ResolveOnSpotSerializer(ActionSerializer):
    reply_text = serializers.CharField(allow_blank=True, max_length=10000, help_text="The reply given on the spot.")
    category = serializers.ChoiceField(
        choices=[(c, ReplyCategory(c).label) for c in workflow.ON_SPOT_CATEGORIES],
        default=ReplyCategory.A,
        help_text="Reply category of the answer on the spot: A solved, C cannot be solved now, D kept for reference "
        "(B needs a unit: propose it instead).",
    )
    representative = serializers.PrimaryKeyRelatedField(
        queryset=Representative.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the station's representative who resolved it; defaults to the receiving representative "
        "when they are one of the station's.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ProposeSerializer(ActionSerializer):
    route = serializers.ChoiceField(choices=Route.choices)
    unit = _unit_field(
        required=False, allow_null=True, default=None, help_text="Code of the proposed unit (route `unit` only)."
    )
    co_units = _unit_field(
        many=True,
        required=False,
        default=list,
        help_text="Codes of proposed co-units beside the proposed lead `unit`; the hand-over starts from them.",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Required for `not_accepted`: the reason.",
    )


class HandOverSerializer(ActionSerializer):
    lead_unit = _unit_field(help_text="Code of the lead unit.")
    co_units = _unit_field(many=True, required=False, default=list, help_text="Codes of the co-units.")
    co_due = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Co-units' opinion deadline; computed if left out."
    )
    reply_due = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Reply deadline; computed in working days if left out."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class DeclineSerializer(ActionSerializer):
    note = serializers.CharField(allow_blank=True, max_length=2000, help_text="The reason (required).")
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="Number of the closed-session suggestion, or the congress it was escalated to.",
    )


class AcknowledgeSerializer(ActionSerializer):
    pass


class ReturnSerializer(ActionSerializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000, help_text="Why the unit returns it (required).")


class CoOpinionSerializer(ActionSerializer):
    text = serializers.CharField(allow_blank=True, max_length=10000, help_text="The co-unit's opinion for the lead.")


class RequestExtensionSerializer(ActionSerializer):
    days = serializers.IntegerField(min_value=1, max_value=365, help_text="Working days asked for.")
    reason = serializers.CharField(allow_blank=True, max_length=2000)


class DecideExtensionSerializer(ActionSerializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SuperviseSerializer(ActionSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReplySerializer(ActionSerializer):
    category = serializers.ChoiceField(choices=ReplyCategory.choices)
    text = serializers.CharField(allow_blank=True, max_length=10000)
    follow_up_due = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Required for a B reply: next progress report."
    )


class ReportFollowUpSerializer(ActionSerializer):
    text = serializers.CharField(allow_blank=True, max_length=10000)
    solved = serializers.BooleanField(default=False)
    next_due = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Next report date, unless solved."
    )


class FeedbackSerializer(ActionSerializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RateAsRepresentativeSerializer(ActionSerializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CloseSerializer(ActionSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PublishSerializer(ActionSerializer):
    facts_only = serializers.BooleanField(
        default=False,
        help_text="Publish the facts only (category, region, unit, times, status, result, rating), without the "
        "voter's words. Required when the voter did not consent: otherwise 409 `consent_missing`.",
    )
    public_title = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text="Edited public title; empty: the recorded one.",
    )
    public_content = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=10000,
        help_text="Edited public content; empty: the recorded one.",
    )
    public_reply = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=10000,
        help_text="Edited public reply; empty: the recorded one.",
    )


class WithdrawPublicationSerializer(ActionSerializer):
    reason = serializers.CharField(allow_blank=True, max_length=2000, help_text="Why it is withdrawn (required).")


@dataclass(frozen=True)
class WorkflowAction:
    name: str  # as in workflow.allowed_actions
    path: str  # URL segment
    serializer: type[ActionSerializer]
    service: Callable[..., Suggestion]
    summary: str
    conflicts: str  # the 409 codes this action can answer with


WORKFLOW_ACTIONS: tuple[WorkflowAction, ...] = (
    WorkflowAction(
        "sort",
        "sort",
        SortSerializer,
        workflow.suggestion_sort,
        "Sort a received suggestion, or merge it into an earlier duplicate (station staff)",
        "invalid_state, stale_version",
    ),
    WorkflowAction(
        "resolve_on_spot",
        "resolve-on-spot",
        ResolveOnSpotSerializer,
        workflow.suggestion_resolve_on_spot,
        "Record that it was resolved on the spot (station staff)",
        "invalid_state, stale_version",
    ),
    WorkflowAction(
        "propose",
        "propose",
        ProposeSerializer,
        workflow.suggestion_propose,
        "Propose a handling route (station staff)",
        "invalid_state, stale_version",
    ),
    WorkflowAction(
        "hand_over",
        "hand-over",
        HandOverSerializer,
        workflow.suggestion_hand_over,
        "Hand over to a lead unit and co-units (committee staff)",
        "invalid_state, stale_version",
    ),
    WorkflowAction(
        "decline",
        "decline",
        DeclineSerializer,
        workflow.suggestion_decline,
        "Decline, convert to a closed-session suggestion or escalate, as proposed (committee staff)",
        "invalid_state, stale_version",
    ),
    WorkflowAction(
        "acknowledge",
        "acknowledge",
        AcknowledgeSerializer,
        workflow.suggestion_acknowledge,
        "Acknowledge a hand-over (lead unit)",
        "invalid_state, stale_version",
    ),
    WorkflowAction(
        "return",
        "return",
        ReturnSerializer,
        workflow.suggestion_return,
        "Return a hand-over with a reason (lead unit)",
        "invalid_state, stale_version",
    ),
    WorkflowAction(
        "co_opinion",
        "co-opinion",
        CoOpinionSerializer,
        workflow.suggestion_co_opinion,
        "Give the co-unit's opinion (co-unit)",
        "invalid_state, stale_version",
    ),
    WorkflowAction(
        "request_extension",
        "request-extension",
        RequestExtensionSerializer,
        workflow.suggestion_request_extension,
        "Ask for more working days before the reply deadline (lead unit)",
        "invalid_state, stale_version, deadline_passed, extension_pending",
    ),
    WorkflowAction(
        "decide_extension",
        "decide-extension",
        DecideExtensionSerializer,
        workflow.suggestion_decide_extension,
        "Approve or reject the pending extension request (committee staff)",
        "invalid_state, stale_version, extension_not_pending",
    ),
    WorkflowAction(
        "supervise",
        "supervise",
        SuperviseSerializer,
        workflow.suggestion_supervise,
        "Raise the supervision level: urge, then key supervision (committee staff)",
        "invalid_state, stale_version, supervision_at_maximum",
    ),
    WorkflowAction(
        "reply",
        "reply",
        ReplySerializer,
        workflow.suggestion_reply,
        "Reply with category A–D and text (lead unit)",
        "invalid_state, stale_version",
    ),
    WorkflowAction(
        "report_follow_up",
        "report-follow-up",
        ReportFollowUpSerializer,
        workflow.suggestion_report_follow_up,
        "Report progress after a B reply (lead unit)",
        "invalid_state, stale_version, no_follow_up_due",
    ),
    WorkflowAction(
        "feedback",
        "feedback",
        FeedbackSerializer,
        workflow.suggestion_feedback,
        "Record the voter's rating of the reply: the voter's call-back (station or committee staff)",
        "invalid_state, stale_version, feedback_already_given",
    ),
    WorkflowAction(
        "rate_as_representative",
        "rate-as-representative",
        RateAsRepresentativeSerializer,
        workflow.suggestion_rate_as_representative,
        "Rate the latest answer as the receiving representative (代表评; does not move the case)",
        "invalid_state, stale_version, representative_rating_given",
    ),
    WorkflowAction(
        "close",
        "close",
        CloseSerializer,
        workflow.suggestion_close,
        "Close a replied suggestion (committee staff)",
        "invalid_state, stale_version, feedback_pending",
    ),
    WorkflowAction(
        "publish",
        "publish",
        PublishSerializer,
        workflow.suggestion_publish,
        "Put a closed suggestion on the public board, whole or its facts only (committee staff)",
        "invalid_state, stale_version, already_published, consent_missing",
    ),
    WorkflowAction(
        "withdraw_publication",
        "withdraw-publication",
        WithdrawPublicationSerializer,
        workflow.suggestion_withdraw_publication,
        "Take a published suggestion off the public board and Open311, with a reason (committee staff)",
        "invalid_state, stale_version, not_published",
    ),
)


def _view_name(name: str) -> str:
    """The method name DRF gives the action (``return`` is a Python keyword)."""
    return name if name != "return" else "return_"


# By view action name (as DRF names the methods below).
INPUT_SERIALIZERS: dict[str, type[ActionSerializer]] = {
    _view_name(spec.name): spec.serializer for spec in WORKFLOW_ACTIONS
}
# By workflow action name: the view methods below pick their spec by name, never by position.
ACTION_SPECS: dict[str, WorkflowAction] = {spec.name: spec for spec in WORKFLOW_ACTIONS}

# --- Views ---------------------------------------------------------------------------

CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Tracking code, as stored (K7MQ3X9PRT) or grouped for reading aloud (K7MQ3-X9PRT).",
)


@extend_schema_view(
    list=extend_schema(summary="List categories", tags=["reference"]),
    retrieve=extend_schema(summary="Get a category by its code", tags=["reference"]),
)
class CategoryViewSet(viewsets.ReadOnlyModelViewSet[Category]):
    """Suggestion categories (Open311's services): reference data every signed-in user may read."""

    serializer_class = CategorySerializer
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,32}"
    cursor_ordering = ("id",)
    filterset_class = None

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.all()


@extend_schema_view(
    list=extend_schema(summary="List handling units", tags=["reference"]),
    retrieve=extend_schema(summary="Get a handling unit by its code", tags=["reference"]),
)
class HandlingUnitViewSet(viewsets.ReadOnlyModelViewSet[HandlingUnit]):
    """Handling units: public bodies, listed on the public league table too, so every signed-in
    user may read them (station staff need them to propose a unit)."""

    serializer_class = HandlingUnitSerializer
    filterset_class = HandlingUnitFilter
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,32}"
    cursor_ordering = ("id",)

    def get_queryset(self) -> QuerySet[HandlingUnit]:
        return HandlingUnit.objects.select_related("region")


def _action_view(spec: WorkflowAction) -> Any:
    def view(self: SuggestionViewSet, request: Request, code: str | None = None) -> Response:
        return self.perform_workflow_action(request, spec)

    view.__name__ = _view_name(spec.name)
    view.__qualname__ = f"SuggestionViewSet.{view.__name__}"
    view.__doc__ = spec.service.__doc__
    decorated = action(detail=True, methods=["post"], url_path=spec.path, url_name=spec.path)(view)
    return extend_schema(
        summary=spec.summary,
        tags=["workflow"],
        parameters=[CODE_PARAMETER],
        request=spec.serializer,
        responses={
            200: SuggestionDetailSerializer,
            409: error_response(409, f"Conflict; `code` is one of: {spec.conflicts}."),
        },
    )(decorated)


@extend_schema_view(
    list=extend_schema(summary="List suggestions", tags=["suggestions"]),
    retrieve=extend_schema(summary="Get a suggestion by its tracking code", tags=["suggestions"]),
    create=extend_schema(
        summary="Record a suggestion",
        description="Station staff record for their stations, committee staff for their region.",
        tags=["suggestions"],
        request=SuggestionCreateSerializer,
        responses={201: SuggestionDetailSerializer},
        examples=[
            OpenApiExample(
                "Hotline call",
                value={
                    "title": "小区路灯不亮",
                    "content": "晚上路灯不亮，老人出行不便。",
                    "station": 1,
                    "channel": "hotline",
                    "submitter_name": "张三",
                    "submitter_phone": "13812345678",
                },
                request_only=True,
            )
        ],
    ),
)
class SuggestionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Suggestion]):
    """Suggestions within the caller's scope, addressed by tracking code."""

    filterset_class = SuggestionFilter
    lookup_field = "tracking_code"
    lookup_url_kwarg = "code"
    lookup_value_regex = TRACKING_CODE_REGEX
    cursor_ordering = ("-id",)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        # What the browsable API shows as the form of a write; reads use the output serializers.
        if self.action == "create":
            return SuggestionCreateSerializer
        if self.action in INPUT_SERIALIZERS:
            return INPUT_SERIALIZERS[self.action]
        return SuggestionListSerializer if self.action == "list" else SuggestionDetailSerializer

    def get_queryset(self) -> QuerySet[Suggestion]:
        qs = suggestion_list(user=self.request.user)
        if self.action == "list":
            # Only the list's columns: the text, the voter and the related rows' other columns stay.
            qs = qs.only(*LIST_COLUMNS)
        return qs

    def get_object(self) -> Suggestion:
        code = tracking_code_normalize(str(self.kwargs.get(self.lookup_url_kwarg, "")))
        if code is None:
            raise NotFound()
        try:
            return suggestion_get(user=self.request.user, tracking_code=code)
        except Suggestion.DoesNotExist:
            raise NotFound() from None

    @extend_schema(parameters=[CODE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = SuggestionCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        suggestion = workflow.suggestion_record(actor=user, **serializer.validated_data)
        body = SuggestionDetailSerializer(suggestion, context=self.get_serializer_context())
        return Response(body.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A suggestion's timeline: every event, oldest first",
        tags=["suggestions"],
        parameters=[CODE_PARAMETER],
        responses={200: SuggestionEventSerializer(many=True)},
        filters=False,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request: Request, code: str | None = None) -> Response:
        suggestion = self.get_object()
        events = list(SuggestionEvent.objects.filter(suggestion=suggestion).order_by("created_at", "id"))
        # A correction's old and new values of the voter's data, masked for units and representatives.
        personal = personal_data_visible(user=request.user, suggestion=suggestion)
        for event in events:
            event.data = event_data_for(event=event, personal=personal)
        return Response(SuggestionEventSerializer(events, many=True).data)

    def perform_workflow_action(self, request: Request, spec: WorkflowAction) -> Response:
        suggestion = self.get_object()
        context = self.get_serializer_context()
        serializer = spec.serializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        updated = spec.service(suggestion=suggestion, actor=user, **serializer.to_kwargs(suggestion))
        return Response(SuggestionDetailSerializer(updated, context=context).data)

    sort = _action_view(ACTION_SPECS["sort"])
    resolve_on_spot = _action_view(ACTION_SPECS["resolve_on_spot"])
    propose = _action_view(ACTION_SPECS["propose"])
    hand_over = _action_view(ACTION_SPECS["hand_over"])
    decline = _action_view(ACTION_SPECS["decline"])
    acknowledge = _action_view(ACTION_SPECS["acknowledge"])
    return_ = _action_view(ACTION_SPECS["return"])
    co_opinion = _action_view(ACTION_SPECS["co_opinion"])
    request_extension = _action_view(ACTION_SPECS["request_extension"])
    decide_extension = _action_view(ACTION_SPECS["decide_extension"])
    supervise = _action_view(ACTION_SPECS["supervise"])
    reply = _action_view(ACTION_SPECS["reply"])
    report_follow_up = _action_view(ACTION_SPECS["report_follow_up"])
    feedback = _action_view(ACTION_SPECS["feedback"])
    rate_as_representative = _action_view(ACTION_SPECS["rate_as_representative"])
    close = _action_view(ACTION_SPECS["close"])
    publish = _action_view(ACTION_SPECS["publish"])
    withdraw_publication = _action_view(ACTION_SPECS["withdraw_publication"])


# Every declared action has its endpoint, and every endpoint its declaration: a spec added to
# WORKFLOW_ACTIONS without a line above fails at import, not silently at request time.
_UNBOUND = {_view_name(spec.name) for spec in WORKFLOW_ACTIONS} - {
    name for name, member in vars(SuggestionViewSet).items() if hasattr(member, "mapping")
}
if _UNBOUND:
    raise ImproperlyConfigured(f"Workflow actions without an API endpoint: {sorted(_UNBOUND)}")
