"""The Celery app. Redis is the broker when REDIS_URL is set; otherwise tasks run eagerly.

Periodic work is a static `beat_schedule` (django-celery-beat does not support current
Django): the deadline sweep, the outbox relay and the daily digest. Deadlines are swept,
never scheduled as ETA tasks.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

app = Celery("liaison")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def beat_schedule() -> dict[str, dict[str, Any]]:
    from django.conf import settings

    schedule: dict[str, dict[str, Any]] = {
        "deadline-sweep": {
            "task": "notifications.tasks.reminders_sweep",
            "schedule": dt.timedelta(minutes=settings.SWEEP_INTERVAL_MINUTES),
            "options": {"expires": settings.SWEEP_INTERVAL_MINUTES * 60},
        },
        "outbox-relay": {
            "task": "notifications.tasks.outbox_relay",
            "schedule": dt.timedelta(seconds=settings.NOTIFY_RELAY_INTERVAL_SECONDS),
            "options": {"expires": settings.NOTIFY_RELAY_INTERVAL_SECONDS},
        },
        "daily-digest": {
            "task": "notifications.tasks.digest_send",
            "schedule": crontab(hour=settings.DIGEST_HOUR, minute=0),
        },
        # Dashboards: the changed days of the summary every few minutes, everything nightly.
        "dashboards-refresh": {
            "task": "dashboards.tasks.stats_refresh",
            "schedule": dt.timedelta(minutes=settings.STATS_REFRESH_MINUTES),
            "options": {"expires": settings.STATS_REFRESH_MINUTES * 60},
        },
        "dashboards-rebuild": {
            "task": "dashboards.tasks.stats_rebuild",
            "schedule": crontab(hour=2, minute=30),
        },
        # Export files are kept EXPORT_KEEP_HOURS; jobs a lost worker left behind are failed.
        "exports-sweep": {
            "task": "exports.tasks.exports_sweep",
            "schedule": dt.timedelta(hours=1),
            "options": {"expires": 3600},
        },
    }
    if settings.RETENTION_YEARS:
        # Off by default: removing voters' data is a decision the operator takes (RETENTION_YEARS).
        schedule["retention"] = {
            "task": "suggestions.tasks.anonymise_closed",
            "schedule": crontab(hour=settings.RETENTION_HOUR, minute=15),
        }
    return schedule


@app.on_after_configure.connect
def _install_beat_schedule(sender: Celery, **kwargs: Any) -> None:
    # Settings are read once Celery configures itself, not while `liaison` is being imported.
    sender.conf.beat_schedule = beat_schedule()
