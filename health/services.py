"""Writes of the health app: a process records that it is alive."""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from django.utils import timezone

from health.models import Heartbeat

logger = logging.getLogger(__name__)

BEAT = "beat"
WORKER_PREFIX = "worker:"


def heartbeat_record(name: str) -> None:
    """Upsert this process's heartbeat. Called from Celery's own loops, so it never raises:
    a database outage must not stop the worker or beat (the health check reports it anyway)."""
    # Called outside any request or task, in Celery's main process: a fresh connection each
    # time, closed afterwards (none kept open there, none broken by a database restart).
    own_connection = not connection.in_atomic_block
    try:
        if own_connection:
            close_old_connections()
        Heartbeat.objects.update_or_create(name=name[:200], defaults={"seen_at": timezone.now()})
    except Exception:
        logger.warning("Could not record the heartbeat of %s.", name, exc_info=True)
    finally:
        if own_connection:
            connection.close()
