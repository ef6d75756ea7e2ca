from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import ngettext

from accounts.models import User
from suggestions import workflow
from suggestions.models import (
    Assignment,
    Attachment,
    CalendarYear,
    Category,
    ExtensionRequest,
    HandlingUnit,
    HandlingUnitContact,
    HolidayOverride,
    Suggestion,
    SuggestionEvent,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "code", "order", "is_active"]
    search_fields = ["name", "code"]


class ContactInline(admin.TabularInline[HandlingUnitContact, Any]):
    model = HandlingUnitContact
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(HandlingUnit)
class HandlingUnitAdmin(admin.ModelAdmin[HandlingUnit]):
    list_display = ["name", "code", "kind", "region", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["region"]
    inlines = [ContactInline]
    list_select_related = ["region"]


class AssignmentInline(admin.TabularInline[Assignment, Any]):
    model = Assignment
    extra = 0
    readonly_fields = ["unit", "role", "due", "opinion", "is_active", "created_at"]
    can_delete = False


class EventInline(admin.TabularInline[SuggestionEvent, Any]):
    model = SuggestionEvent
    extra = 0
    readonly_fields = ("created_at", "action", "from_state", "to_state", "actor", "note")
    fields = readonly_fields
    can_delete = False


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin[Suggestion]):
    """Read-mostly: the state only changes through the workflow's actions."""

    list_display = ["tracking_code", "title", "state", "category", "station", "lead_unit", "reply_due", "created_at"]
    list_filter = ["state", "urgency", "channel", "supervision_level", "is_published", "category"]
    search_fields = ["tracking_code", "title"]
    readonly_fields = [
        "tracking_code",
        "state",
        "version",
        "lead_unit",
        "assigned_at",
        "ack_due",
        "acknowledged_at",
        "reply_due",
        "feedback_due",
        "follow_up_due",
        "deadline_basis",
        "extension_days",
        "supervision_level",
        "reply_category",
        "reply_text",
        "replied_at",
        "rating",
        "feedback_text",
        "feedback_at",
        "rehandle_count",
        "closed_at",
        "is_published",
        "published_at",
        "merged_into",
        "route",
        "proposed_unit",
    ]
    autocomplete_fields = ["category", "region", "station", "visit", "representative"]
    list_select_related = ["category", "station", "lead_unit"]
    inlines = [AssignmentInline, EventInline]
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(SuggestionEvent)
class SuggestionEventAdmin(admin.ModelAdmin[SuggestionEvent]):
    list_display = ["suggestion", "action", "from_state", "to_state", "actor", "created_at"]
    list_filter = ["action"]
    search_fields = ["suggestion__tracking_code"]
    list_select_related = ["suggestion", "actor"]
    show_full_result_count = False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin[Attachment]):
    list_display = ["original_name", "suggestion", "content_type", "size", "created_at"]
    raw_id_fields = ["suggestion", "event"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(admin.ModelAdmin[ExtensionRequest]):
    list_display = ["suggestion", "days", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    raw_id_fields = ["suggestion"]


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin[HolidayOverride]):
    """Corrections to the statutory calendar. Saving or deleting one recalculates the running
    deadlines it touches, with an event on each suggestion whose deadline moved."""

    list_display = ["date", "is_working_day", "note", "updated_at"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    exclude = ["created_by"]

    def save_model(self, request: HttpRequest, obj: HolidayOverride, form: Any, change: bool) -> None:
        previous = HolidayOverride.objects.filter(pk=obj.pk).values_list("date", flat=True).first() if change else None
        user = _user(request)
        if not change:
            obj.created_by = user
        super().save_model(request, obj, form, change)
        moved = workflow.deadlines_recalculate(
            actor=user,
            dates={obj.date} | ({previous} if previous else set()),
            reason=workflow.calendar_change_reason(date=obj.date, is_working_day=obj.is_working_day),
        )
        _report(self, request, moved)

    def delete_model(self, request: HttpRequest, obj: HolidayOverride) -> None:
        day = obj.date
        super().delete_model(request, obj)
        moved = workflow.deadlines_recalculate(
            actor=_user(request), dates=[day], reason=workflow.calendar_change_reason(removed=day)
        )
        _report(self, request, moved)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[HolidayOverride]) -> None:
        days = list(queryset.values_list("date", flat=True))
        super().delete_queryset(request, queryset)
        moved = workflow.deadlines_recalculate(
            actor=_user(request), dates=days, reason=workflow.calendar_change_reason()
        )
        _report(self, request, moved)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin[CalendarYear]):
    """A year whose holiday overrides are complete: deadlines reaching into it are no longer
    provisional. Saving or deleting recalculates the running deadlines of that year."""

    list_display = ["year", "overrides_complete", "note", "updated_at"]
    exclude = ["updated_by"]

    def save_model(self, request: HttpRequest, obj: CalendarYear, form: Any, change: bool) -> None:
        previous = CalendarYear.objects.filter(pk=obj.pk).values_list("year", flat=True).first() if change else None
        obj.updated_by = _user(request)
        super().save_model(request, obj, form, change)
        moved = workflow.deadlines_recalculate(
            actor=obj.updated_by,
            years={obj.year} | ({previous} if previous else set()),
            reason=workflow.calendar_change_reason(year=obj.year, complete=obj.overrides_complete),
        )
        _report(self, request, moved)

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        year = obj.year
        super().delete_model(request, obj)
        moved = workflow.deadlines_recalculate(
            actor=_user(request), years=[year], reason=workflow.calendar_change_reason(year=year, complete=False)
        )
        _report(self, request, moved)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        years = list(queryset.values_list("year", flat=True))
        super().delete_queryset(request, queryset)
        moved = workflow.deadlines_recalculate(
            actor=_user(request), years=years, reason=workflow.calendar_change_reason()
        )
        _report(self, request, moved)


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _report(model_admin: admin.ModelAdmin[Any], request: HttpRequest, moved: int) -> None:
    if moved:
        model_admin.message_user(
            request,
            ngettext(
                "The deadline of %(count)d running suggestion was recalculated.",
                "The deadlines of %(count)d running suggestions were recalculated.",
                moved,
            )
            % {"count": moved},
        )
