from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from stations.models import Region, Station, StationFeature, VoterVisit


@admin.register(Region)
class RegionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "level", "parent", "path"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(StationFeature)
class StationFeatureAdmin(admin.ModelAdmin[StationFeature]):
    search_fields = ["name"]


@admin.register(Station)
class StationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "region", "star_rating", "phone", "is_active"]
    list_filter = ["kind", "star_rating", "is_active", "features"]
    search_fields = ["name", "address", "region__name"]
    autocomplete_fields = ["region"]
    filter_horizontal = ["features"]
    list_select_related = ["region"]


@admin.register(VoterVisit)
class VoterVisitAdmin(admin.ModelAdmin[VoterVisit]):
    list_display = ["station", "channel", "occurred_at", "voters_received", "recorded_by"]
    list_filter = ["channel"]
    search_fields = ["station__name", "place", "notes"]
    date_hierarchy = "occurred_at"
    autocomplete_fields = ["station", "representatives", "recorded_by"]
    list_select_related = ["station", "recorded_by"]
    show_full_result_count = False
