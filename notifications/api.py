"""REST endpoints for the caller's own in-app notifications: list them, mark them read.

A user only ever sees their own notifications (`notifications.selectors`), newest first,
keyset-paginated on the id the selector is indexed for.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from accounts.models import User
from notifications.models import Notification
from notifications.selectors import notification_list
from notifications.services import notification_mark_read
from suggestions.models import Suggestion


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    suggestion: serializers.SlugRelatedField[Suggestion] = serializers.SlugRelatedField(
        slug_field="tracking_code", read_only=True, allow_null=True, help_text="Tracking code, if about a suggestion."
    )
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "suggestion", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationQuerySerializer(serializers.Serializer[dict[str, Any]]):
    before = serializers.IntegerField(
        required=False, min_value=1, help_text="Position: only notifications older than this id (from `next`)."
    )
    unread = serializers.BooleanField(required=False, default=False, help_text="Only unread notifications.")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200, default=30)


@extend_schema_serializer(many=False)  # one page object, not a list of them
class NotificationPageSerializer(serializers.Serializer[dict[str, Any]]):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null on the last page.")
    results = NotificationSerializer(many=True)


class MarkReadSerializer(serializers.Serializer[dict[str, Any]]):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="Notification ids; leave out to mark all read.",
    )


class MarkedSerializer(serializers.Serializer[dict[str, Any]]):
    marked = serializers.IntegerField(help_text="How many notifications were unread and are now read.")


class NotificationViewSet(viewsets.GenericViewSet[Notification]):
    serializer_class = NotificationSerializer
    pagination_class = None
    filterset_class = None

    def get_queryset(self) -> Any:
        return Notification.objects.none()  # every read goes through notification_list

    @extend_schema(
        summary="Your notifications, newest first",
        tags=["notifications"],
        parameters=[NotificationQuerySerializer],
        responses={200: NotificationPageSerializer},
    )
    def list(self, request: Request) -> Response:
        query = NotificationQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit: int = query.validated_data["page_size"]
        rows = notification_list(
            user=request.user,
            before=query.validated_data.get("before"),
            unread_only=query.validated_data["unread"],
            limit=limit,
        )
        page, more = rows[:limit], len(rows) > limit
        next_url = replace_query_param(request.build_absolute_uri(), "before", page[-1].pk) if more else None
        return Response({"next": next_url, "results": NotificationSerializer(page, many=True).data})

    @extend_schema(
        summary="Mark your notifications read",
        description="The ids given, or every unread notification when `ids` is left out. Ids that are not "
        "yours are ignored.",
        tags=["notifications"],
        request=MarkReadSerializer,
        responses={200: MarkedSerializer},
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request: Request) -> Response:
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        marked = notification_mark_read(actor=user, ids=serializer.validated_data.get("ids"))
        return Response({"marked": marked})
