"""Writes for notifications. The workflow calls `outbox_enqueue` inside its transaction."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction

from notifications.models import Outbox

if TYPE_CHECKING:
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
