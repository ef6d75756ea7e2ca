"""Reads for notifications, always scoped to the viewer: a user only ever sees their own."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from notifications.models import Notification

# The bell shows "99+" past this; counting further would be an unbounded COUNT on every page.
UNREAD_CAP = 99


def notification_list(
    *, user: User | AnonymousUser, before: int | None = None, unread_only: bool = False, limit: int = 30
) -> list[Notification]:
    """One page of the user's notifications, newest first; `before` is the last id of the previous page.

    Keyset pagination on (recipient, -id), served by `notification_recipient_idx`.
    Returns up to `limit + 1` rows so the caller can tell whether there is a next page.
    """
    if not user.is_authenticated:
        return []
    qs: QuerySet[Notification] = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before is not None:
        qs = qs.filter(id__lt=before)
    return list(
        qs.select_related("suggestion").only(
            "id", "kind", "title", "body", "url", "created_at", "read_at", "suggestion__tracking_code"
        )[: limit + 1]
    )


def notification_unread_count(*, user: User | AnonymousUser) -> int:
    """Unread notifications, counted up to UNREAD_CAP + 1 (one index range scan, never the whole table)."""
    if not user.is_authenticated:
        return 0
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    return unread.values("id")[: UNREAD_CAP + 1].count()


def notification_own(*, user: User | AnonymousUser, pk: int) -> Notification | None:
    """The user's own notification with this id; None for anyone else's (never told apart)."""
    if not user.is_authenticated:
        return None
    return Notification.objects.filter(recipient_id=user.pk, pk=pk).only("id", "url").first()
