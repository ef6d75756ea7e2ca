from typing import Any

from django.contrib import admin

from suggestions.models import (
    Assignment,
    Attachment,
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
    list_display = ["date", "is_working_day", "note", "updated_at"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
