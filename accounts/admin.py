from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
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
