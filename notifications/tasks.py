"""Celery tasks for notifications: thin, idempotent, taking ids."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, max_retries=5, default_retry_delay=10, time_limit=120, soft_time_limit=100)
def outbox_dispatch(outbox_id: int) -> None:
    """Deliver one outbox row (implemented by the reminders work; a no-op until then)."""
    return None
