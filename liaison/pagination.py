"""Keyset (cursor) pagination for every API list: no OFFSET, no COUNT.

Kept apart from `liaison.rest` because DRF imports the pagination class while its own
generic views are still being set up.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class CursorPage(CursorPagination):
    """Keyset pagination: `next`/`previous` links carry the position, never an offset or a COUNT.

    A view names its order in `cursor_ordering` (unique, index-backed, e.g. ("-id",));
    page 5,000 then costs what page 1 costs.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)
    invalid_cursor_message = "Invalid cursor"

    def __init__(self) -> None:
        self.page_size = int(getattr(settings, "REST_FRAMEWORK", {}).get("PAGE_SIZE") or self.page_size)

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        ordering: tuple[str, ...] = tuple(getattr(view, "cursor_ordering", self.ordering))
        return ordering

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError({self.cursor_query_param: [_("This cursor is not valid.")]}) from None

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["required"] = ["next", "previous", "results"]
        return result
