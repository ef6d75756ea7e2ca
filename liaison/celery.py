"""The Celery app. Redis is the broker when REDIS_URL is set; otherwise tasks run eagerly.

Periodic work is a static `beat_schedule` (django-celery-beat does not support current
Django): the deadline sweep, the outbox relay and the daily digest. Deadlines are swept,
never scheduled as ETA tasks.

The worker and beat each write a heartbeat row (health.models.Heartbeat) every
HEALTH_HEARTBEAT_SECONDS from their own loop, for the health check.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler
from celery.schedules import crontab
from celery.signals import celeryd_init, setup_logging, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
logger = logging.getLogger(__name__)

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


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes `worker:<node name>` from the worker's own timer: it stops when the worker's
    loop stops (and while the consumer waits for a lost broker to come back)."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, parent: Any) -> None:
        from django.conf import settings

        from health.services import WORKER_PREFIX, heartbeat_soon

        name = f"{WORKER_PREFIX}{parent.hostname}"
        heartbeat_soon(name)
        self.tref = parent.timer.call_repeatedly(settings.HEALTH_HEARTBEAT_SECONDS, heartbeat_soon, (name,))

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(WorkerHeartbeat)


class HeartbeatScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, also writing the `beat` heartbeat from beat's loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._next_heartbeat = 0.0
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        import time

        from django.conf import settings

        from health.services import BEAT, heartbeat_soon

        interval: float = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now >= self._next_heartbeat:
            heartbeat_soon(BEAT)
            self._next_heartbeat = now + settings.HEALTH_HEARTBEAT_SECONDS
        return min(interval, max(self._next_heartbeat - now, 0.1))


@celeryd_init.connect
def _worker_transport_options(conf: Any = None, **kwargs: Any) -> None:
    """In the worker, a connection lost while a step (re)starts is retried without a cap.

    The bounded retries of CELERY_BROKER_TRANSPORT_OPTIONS keep a web request from hanging on a
    dead broker; in the worker they made a restart that met the broker still down fail outright.
    """
    if conf is not None:
        conf.broker_transport_options = {
            key: value for key, value in conf.broker_transport_options.items() if key != "max_retries"
        }
        logger.info("Broker connection: retried without limit in this worker.")


@setup_logging.connect
def _django_logging(**kwargs: Any) -> None:
    """Worker and beat log through Django's LOGGING (already configured by django.setup()):
    the same format as the web, JSON with LOG_FORMAT=json, the task id as the request id."""


_task_tokens: dict[str, Any] = {}


@task_prerun.connect
def _task_request_id(task_id: str | None = None, **kwargs: Any) -> None:
    from liaison.logs import request_id

    if task_id:
        _task_tokens[task_id] = request_id.set(f"task:{task_id}")


@task_postrun.connect
def _task_request_id_reset(task_id: str | None = None, **kwargs: Any) -> None:
    from liaison.logs import request_id

    token = _task_tokens.pop(task_id or "", None)
    if token is not None:
        request_id.reset(token)
