from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _

from open311.models import ApiKey, RequestToken
from open311.services import api_key_assign


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    """Keys are created here; the key itself is shown once, right after saving, and only its hash is kept.
    To revoke a key, untick "active"."""

    list_display = ["name", "key_prefix", "region", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "key_prefix"]
    autocomplete_fields = ["region"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]
    fields = ["name", "region", "is_active", "key_prefix", "created_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: ModelForm[ApiKey], change: bool) -> None:
        raw = api_key_assign(key=obj) if not change else None
        super().save_model(request, obj, form, change)
        if raw is not None:
            messages.warning(
                request,
                _("The API key for %(name)s is %(key)s — copy it now, it will not be shown again.")
                % {"name": obj.name, "key": raw},
            )


@admin.register(RequestToken)
class RequestTokenAdmin(admin.ModelAdmin[RequestToken]):
    list_display = ["token", "suggestion", "api_key", "created_at"]
    search_fields = ["token", "suggestion__tracking_code"]
    raw_id_fields = ["suggestion"]
    readonly_fields = ["token", "suggestion", "api_key", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
