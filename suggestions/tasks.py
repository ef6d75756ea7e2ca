"""Celery tasks of the suggestions app: thin, idempotent; the work is in services."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from suggestions import retention


@shared_task(
    acks_late=True,
    time_limit=6 * 3600,
    soft_time_limit=6 * 3600 - 60,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=3,
)
def anonymise_closed() -> dict[str, Any] | None:
    """The retention rule, nightly when RETENTION_YEARS is set (the beat entry exists only then).
    A run cut short is simply continued by the next: every batch that committed is done."""
    years = settings.RETENTION_YEARS
    if not years:
        return None
    result = asdict(retention.anonymise_closed(years=years, trigger="beat"))
    result["cutoff"] = result["cutoff"].isoformat()
    return result
