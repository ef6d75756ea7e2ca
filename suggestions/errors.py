"""The one domain error type: a code for machines, a translatable message for people."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class WorkflowError(Exception):
    """Raised when an action is refused. Nothing has been written when it is raised.

    `status` is the HTTP status the API maps it to: 400 invalid input, 403 not this
    user's to do, 404 not in this user's scope, 409 wrong state or stale version.
    """

    def __init__(
        self,
        code: str,
        message: str | Promise,
        *,
        status: int = 400,
        fields: dict[str, list[str]] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or {}
        self.data = data or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "fields": self.fields}
