from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import User
from suggestions import workflow
from suggestions.errors import WorkflowError
from suggestions.models import (
    Assignment,
    Attachment,
    CalendarYear,
    Category,
    ExportLog,
    ExtensionRequest,
    HandlingUnit,
    HandlingUnitContact,
    HolidayOverride,
    RetentionRun,
    Suggestion,
    SuggestionEvent,
)


@admin.register(Category)
class CategoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "order", "is_active"]
    search_fields = ["name", "code"]


class ContactInline(admin.TabularInline[HandlingUnitContact, Any]):
    model = HandlingUnitContact
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(HandlingUnit)
class HandlingUnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "kind", "region", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["region"]
    inlines = [ContactInline]
    list_select_related = ["region"]


@admin.register(HandlingUnitContact)
class HandlingUnitContactAdmin(SimpleHistoryAdmin):
    """Contacts, also edited inline on their unit; listed here for their history."""

    list_display = ["name", "unit", "email", "phone", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "unit__name", "email"]
    autocomplete_fields = ["unit", "user"]
    list_select_related = ["unit"]


class AssignmentInline(admin.TabularInline[Assignment, Any]):
    model = Assignment
    extra = 0
    readonly_fields = ["unit", "role", "due", "opinion", "is_active", "created_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # units are handed over by the workflow


class EventInline(admin.TabularInline[SuggestionEvent, Any]):
    model = SuggestionEvent
    extra = 0
    readonly_fields = ("created_at", "action", "from_state", "to_state", "actor", "note")
    fields = readonly_fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the timeline is append-only, written by the workflow


class SuggestionCorrectionForm(forms.ModelForm[Suggestion]):
    """The facts as recorded, which an administrator may correct; each saved change is a
    timeline event with the old and new values (workflow.suggestion_correct)."""

    reason = forms.CharField(
        label=_("Reason for the correction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when something is changed; kept on the timeline with the old and new values."),
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Suggestion
        fields = list(workflow.CORRECTABLE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["expected_version"].initial = self.instance.version

    def corrections(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data if name in workflow.CORRECTABLE_FIELDS}

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        changes = self.corrections()
        if not changes or self.errors:
            return data
        if not (data or {}).get("reason", "").strip():
            self.add_error("reason", _("Say why the record is corrected; the reason stays on the timeline."))
        current = Suggestion.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        if (data or {}).get("expected_version") != current:
            raise forms.ValidationError(workflow.MSG_STALE, code="stale_version")
        # The instance still holds the recorded values here (the form assigns them after clean()).
        try:
            workflow.suggestion_correction_check(suggestion=self.instance, changes=changes)
        except WorkflowError as error:
            if not error.fields:
                self.add_error(None, str(error.message))
            for name, texts in error.fields.items():
                for text in texts:
                    self.add_error(name if name in self.fields else None, text)
        return data


# Everything but the correctable facts is shown read-only: the workflow owns it.
WORKFLOW_OWNED_FIELDS = [
    f.name for f in Suggestion._meta.concrete_fields if not f.primary_key and f.name not in workflow.CORRECTABLE_FIELDS
]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin[Suggestion]):
    """Corrections only: the recorded facts may be corrected, each change written to the
    timeline with its old and new values and the reason; state, units, deadlines, replies,
    ratings, publication and the case facts change only through the workflow's actions."""

    form = SuggestionCorrectionForm
    list_display = ["tracking_code", "title", "state", "category", "station", "lead_unit", "reply_due", "created_at"]
    list_filter = ["state", "urgency", "channel", "supervision_level", "is_published", "category"]
    search_fields = ["tracking_code", "title"]
    fieldsets = (
        (_("Recorded facts (corrections are written to the timeline)"), {"fields": [*workflow.CORRECTABLE_FIELDS]}),
        (_("Correction"), {"fields": ["reason", "expected_version"]}),
        (_("Kept by the workflow (read-only)"), {"fields": [*WORKFLOW_OWNED_FIELDS], "classes": ["collapse"]}),
    )
    readonly_fields = WORKFLOW_OWNED_FIELDS
    autocomplete_fields = ["category", "region", "station", "visit", "representative"]
    list_select_related = ["category", "station", "lead_unit"]
    inlines = [AssignmentInline, EventInline]
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Suggestion, form: Any, change: bool) -> None:
        # Never obj.save(): that would write every column, past the version and the event.
        changes = form.corrections()
        if not changes:
            return
        user = _user(request)
        assert user is not None  # the admin site requires a signed-in user
        try:
            workflow.suggestion_correct(
                suggestion=obj,
                actor=user,
                changes=changes,
                reason=form.cleaned_data.get("reason", ""),
                expected_version=form.cleaned_data.get("expected_version"),
            )
        except WorkflowError as error:  # someone changed it between the form's check and now
            self.message_user(request, str(error.message), level=messages.ERROR)


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


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """A log: read in the admin, written only by the code that does the work."""

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    """Every export: who, when, which filters, how many rows, the voters' data full or masked."""

    list_display = ["created_at", "user_label", "roles", "kind", "query", "row_count", "personal_data"]
    list_filter = ["kind", "personal_data"]
    search_fields = ["user_label", "query"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    """The runs of the retention rule (manage.py anonymise_closed, or the beat entry)."""

    list_display = ["started_at", "years", "cutoff", "dry_run", "cases", "visits", "attachments", "trigger"]
    list_filter = ["dry_run"]
