"""Writes for notifications. The workflow calls `outbox_enqueue` inside its transaction."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from notifications.models import Notification, Outbox

if TYPE_CHECKING:
    from accounts.models import User
    from suggestions.models import Suggestion

logger = logging.getLogger(__name__)


def outbox_enqueue(*, kind: str, suggestion: Suggestion | None, payload: dict[str, Any] | None = None) -> Outbox:
    """Write an outbox row in the caller's transaction and dispatch it after commit.

    If the broker is unreachable the row stays pending and the periodic relay sends
    it later: a broker outage delays a notification, it never loses it or breaks
    the request.
    """
    row = Outbox.objects.create(kind=kind, suggestion=suggestion, payload=payload or {})
    transaction.on_commit(lambda: _dispatch_quietly(row.pk))
    return row


def _dispatch_quietly(outbox_id: int) -> None:
    try:
        from notifications.tasks import outbox_dispatch

        outbox_dispatch.delay(outbox_id)
    except Exception:  # broker down: the relay picks it up later
        logger.warning("Could not enqueue outbox %s; the relay will retry.", outbox_id, exc_info=True)


def notification_mark_read(*, user: User, notification_id: int) -> Notification | None:
    """Mark one of the user's own notifications read; None if it is not theirs (→ 404).

    Marking an already read notification keeps its first read time.
    """
    Notification.objects.filter(pk=notification_id, recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return Notification.objects.filter(pk=notification_id, recipient_id=user.pk).select_related("suggestion").first()


def notification_mark_all_read(*, user: User) -> int:
    """Mark all of the user's unread notifications read; returns how many there were."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())
