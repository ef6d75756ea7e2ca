from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from representatives.models import Activity, DutyShift, Mandate, Representative


class MandateInline(admin.TabularInline[Mandate, Any]):
    model = Mandate
    extra = 0
    autocomplete_fields = ["region"]


@admin.register(Representative)
class RepresentativeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "gender", "phone", "occupation", "is_active"]
    list_filter = ["mandates__level", "is_active"]
    search_fields = ["name", "phone", "occupation"]
    autocomplete_fields = ["user", "stations"]
    inlines = [MandateInline]


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin[DutyShift]):
    list_display = ["representative", "station", "starts_at", "ends_at"]
    search_fields = ["representative__name", "station__name"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["representative", "station"]
    list_select_related = ["representative", "station"]


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ["title", "representative", "kind", "date", "hours"]
    list_filter = ["kind"]
    search_fields = ["title", "representative__name"]
    date_hierarchy = "date"
    autocomplete_fields = ["representative", "station"]
    list_select_related = ["representative"]


@admin.register(Mandate)
class MandateAdmin(SimpleHistoryAdmin):
    """Seats, also edited inline on the representative; listed here for their history."""

    list_display = ["representative", "level", "region", "term"]
    list_filter = ["level"]
    search_fields = ["representative__name", "region__name"]
    autocomplete_fields = ["representative", "region"]
    list_select_related = ["representative", "region"]
