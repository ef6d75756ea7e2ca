"""Celery tasks for exports: thin, taking ids; the work is in exports.services."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from exports import services

_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 3,
}


# A long list at the export limit takes minutes; the sweep fails a job no worker finished.
@shared_task(acks_late=True, ignore_result=True, time_limit=1800, soft_time_limit=1740, **_RETRY)
def export_run(job_id: int) -> None:
    """Write one export job's workbook and tell its owner."""
    services.export_job_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True, time_limit=300, soft_time_limit=270, **_RETRY)
def exports_sweep() -> None:
    """Run by beat every hour: delete export files past EXPORT_KEEP_HOURS, fail lost jobs."""
    services.exports_sweep()
