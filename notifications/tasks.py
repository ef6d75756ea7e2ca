"""Celery tasks for notifications: thin, idempotent, taking ids; the work is in services and reminders."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from notifications import reminders, services

# A lost database connection is worth retrying; anything else is recorded on the row and left to the relay.
_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=270, **_RETRY)
def outbox_dispatch(outbox_id: int) -> None:
    """Expand one outbox row into deliveries (once) and send them."""
    services.deliveries_send(delivery_ids=services.outbox_expand(outbox_id=outbox_id))


@shared_task(acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=270, **_RETRY)
def deliveries_send(delivery_ids: list[int]) -> None:
    """Send a batch of deliveries; each is claimed first, so a redelivered task sends nothing twice."""
    services.deliveries_send(delivery_ids=delivery_ids)


@shared_task(acks_late=True, ignore_result=True, time_limit=600, soft_time_limit=540, **_RETRY)
def reminders_sweep() -> None:
    """The deadline sweep, run by beat every SWEEP_INTERVAL_MINUTES: raise the supervision of what
    is long overdue (its notices go through the outbox), then create the reminders and send them."""
    from suggestions.workflow import supervision_auto_raise

    supervision_auto_raise()
    result = reminders.reminder_sweep()
    services.deliveries_enqueue(result.created_ids)


@shared_task(acks_late=True, ignore_result=True, time_limit=120, soft_time_limit=100, **_RETRY)
def outbox_relay() -> None:
    """Re-send what a dead broker or a killed worker left behind."""
    work = services.relay_collect()
    for outbox_id in work.outbox_ids:
        if not services.enqueue_quietly(outbox_dispatch, outbox_id):
            return
    services.deliveries_enqueue(work.delivery_ids)


@shared_task(acks_late=True, ignore_result=True, time_limit=600, soft_time_limit=540, **_RETRY)
def digest_send() -> None:
    """The daily digest e-mail of unread notifications."""
    services.deliveries_enqueue(services.digest_prepare())
