"""What the health endpoint checks: the database, the cache, the broker, and that a worker and
beat have shown a sign of life lately. Each check is quick (short timeouts) and never raises."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from health.models import Heartbeat
from health.services import BEAT, WORKER_PREFIX

logger = logging.getLogger(__name__)


@dataclass
class Result:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.detail}


def database() -> Result:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Result(True)


def cache_server() -> Result:
    ping = getattr(cache, "ping", None)
    if ping is None:  # a local-memory cache (no REDIS_URL): nothing outside the process
        return Result(True, {"backend": "local"})
    ping()
    return Result(True, {"backend": "redis"})


def _eager() -> bool:
    """Tasks run in the web process (no REDIS_URL): there is no broker, worker or beat."""
    from liaison.celery import app

    return bool(app.conf.task_always_eager)


def broker() -> Result:
    if _eager():
        return Result(True, {"mode": "eager"})
    from liaison.celery import app

    with app.connection_for_write(connect_timeout=settings.HEALTH_BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=0, timeout=settings.HEALTH_BROKER_TIMEOUT)
    return Result(True)


def _age(seen_at: dt.datetime | None, now: dt.datetime) -> int | None:
    return None if seen_at is None else max(int((now - seen_at).total_seconds()), 0)


def worker() -> Result:
    if _eager():
        return Result(True, {"mode": "eager"})
    now = timezone.now()
    fresh_after = now - dt.timedelta(seconds=settings.HEALTH_STALE_SECONDS)
    beats = Heartbeat.objects.filter(name__startswith=WORKER_PREFIX)
    latest = beats.order_by("-seen_at").values_list("seen_at", flat=True).first()
    alive = beats.filter(seen_at__gte=fresh_after).count()
    return Result(alive > 0, {"alive": alive, "last_seen_seconds_ago": _age(latest, now)})


def beat() -> Result:
    if _eager():
        return Result(True, {"mode": "eager"})
    now = timezone.now()
    seen_at = Heartbeat.objects.filter(name=BEAT).values_list("seen_at", flat=True).first()
    age = _age(seen_at, now)
    return Result(age is not None and age <= settings.HEALTH_STALE_SECONDS, {"last_seen_seconds_ago": age})


CHECKS: dict[str, Callable[[], Result]] = {
    "database": database,
    "cache": cache_server,
    "broker": broker,
    "worker": worker,
    "beat": beat,
}


def run(names: list[str] | None = None) -> dict[str, Result]:
    """Every check (or those named), each failing on its own: an error is a failed check."""
    results: dict[str, Result] = {}
    for name, check in CHECKS.items():
        if names and name not in names:
            continue
        try:
            results[name] = check()
        except Exception as exc:
            logger.warning("Health check %s failed: %r", name, exc)
            results[name] = Result(False, {"error": type(exc).__name__})
    return results
