from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Membership, User


class MembershipInline(admin.TabularInline[Membership, Any]):
    model = Membership
    extra = 0
    autocomplete_fields = ["station", "unit", "region"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "email", "phone", "is_staff", "is_active"]
    search_fields = ["username", "display_name", "email", "phone"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), (_("Contact"), {"fields": ["display_name", "phone"]}))


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "station", "unit", "region"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__display_name", "station__name", "unit__name", "region__name"]
    autocomplete_fields = ["user", "station", "unit", "region"]
    list_select_related = ["user", "station", "unit", "region"]


# The admin speaks Chinese like the rest of the portal: its own header, not "Django 管理".
admin.site.site_header = _("Liaison Station Portal administration")
admin.site.site_title = _("Liaison Station Portal administration")
admin.site.index_title = _("Administration")

# django-axes (login lockouts, which administrators lift here) ships no Chinese catalogue;
# naming its admin's words here puts them in ours.
AXES_WORDS = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("Logout Time"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
)
# The admin index's table headers for screen readers, which Django's Chinese leaves in English.
ADMIN_WORDS = (gettext_noop("Model name"), gettext_noop("Add link"), gettext_noop("Change or view list link"))
