"""Writes of the health app: a process records that it is alive."""

from __future__ import annotations

import logging
import threading

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


_writers: dict[str, threading.Thread] = {}
_writers_lock = threading.Lock()


def heartbeat_soon(name: str) -> None:
    """Record the heartbeat in a short-lived thread: a database that does not answer must not
    stall the Celery loop that calls this (a stalled loop calls it no more, which is the point)."""
    with _writers_lock:
        running = _writers.get(name)
        if running is not None and running.is_alive():
            return  # the previous write still waits for the database
        thread = threading.Thread(target=heartbeat_record, args=(name,), name=f"heartbeat-{name}", daemon=True)
        _writers[name] = thread
    thread.start()
