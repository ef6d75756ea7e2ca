"""Celery tasks for the dashboards' summary: thin, idempotent; the work is in services."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from dashboards import services

# A lost database connection is worth retrying; a run that fails otherwise is simply
# superseded by the next one, which recomputes the same days again.
_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 3,
}


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540, **_RETRY)
def stats_refresh() -> dict[str, Any]:
    """Recompute the summary's changed days; run by beat every STATS_REFRESH_MINUTES."""
    return asdict(services.stats_refresh())


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500, **_RETRY)
def stats_rebuild() -> dict[str, Any]:
    """Recompute the whole summary; run nightly as the safety net for edits outside the workflow."""
    return asdict(services.stats_rebuild())
