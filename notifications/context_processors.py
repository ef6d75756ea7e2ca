"""The bell's unread count, on every page, read only when a template shows it."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import UNREAD_CAP, notification_unread_count


@dataclass(frozen=True)
class Bell:
    unread: int

    @property
    def label(self) -> str:
        return f"{UNREAD_CAP}+" if self.unread > UNREAD_CAP else str(self.unread)


def bell(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notification_bell": SimpleLazyObject(lambda: Bell(unread=notification_unread_count(user=user)))}
