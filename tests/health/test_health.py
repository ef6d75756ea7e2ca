"""The health endpoint on real services: our own redis-server as cache and broker, the test
database, heartbeat rows as the worker and beat write them (a real worker writes them in
tests/faults/test_broker_outage.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from health.models import Heartbeat
from health.services import heartbeat_record
from liaison.celery import app as celery_app
from tests.notifications.test_worker_e2e import _reset_producers
from tests.redis_server import RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(tmp_path: Path, settings: Any) -> Iterator[RedisServer]:
    """Our Redis as cache and broker, as REDIS_URL makes it in production."""
    server = RedisServer(tmp_path)
    server.start()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=server.url, task_always_eager=False)
    _reset_producers()
    settings.CACHES = {"default": {"BACKEND": "liaison.cache.RedisCache", "LOCATION": server.url}}
    settings.HEALTH_STALE_SECONDS = 120
    yield server
    celery_app.conf.update(saved)
    _reset_producers()
    server.stop()


def alive(*, ago: int = 0) -> None:
    seen = timezone.now() - dt.timedelta(seconds=ago)
    Heartbeat.objects.update_or_create(name="worker:celery@web1", defaults={"seen_at": seen})
    Heartbeat.objects.update_or_create(name="beat", defaults={"seen_at": seen})


def health(client: Client, **extra: Any) -> tuple[int, dict[str, Any]]:
    response = client.get("/health/", **extra)
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


def test_all_is_well_with_every_service_up(client: Client, own_redis: RedisServer) -> None:
    alive(ago=5)
    status, body = health(client)
    assert status == 200
    assert body["status"] == "ok"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "database",
        "cache",
        "broker",
        "worker",
        "beat",
    }
    assert body["checks"]["worker"]["alive"] == 1
    assert 5 <= body["checks"]["beat"]["last_seen_seconds_ago"] < 60


def test_a_stopped_redis_is_a_503_naming_the_cache_and_the_broker(client: Client, own_redis: RedisServer) -> None:
    alive()
    own_redis.stop()
    status, body = health(client)
    assert status == 503
    assert body["status"] == "error"
    checks = body["checks"]
    assert checks["cache"] == {"ok": False, "error": "ConnectionError"}
    assert checks["broker"]["ok"] is False
    assert checks["database"]["ok"] is True
    assert checks["worker"]["ok"] is True  # its heartbeat is in the database, which answers
    own_redis.start()
    assert health(client)[0] == 200


def test_a_silent_worker_or_beat_is_stale(client: Client, own_redis: RedisServer, settings: Any) -> None:
    alive(ago=settings.HEALTH_STALE_SECONDS + 1)
    status, body = health(client)
    assert status == 503
    assert body["checks"]["worker"] == {
        "ok": False,
        "alive": 0,
        "last_seen_seconds_ago": settings.HEALTH_STALE_SECONDS + 1,
    }
    assert body["checks"]["beat"]["ok"] is False
    heartbeat_record("worker:celery@web2")  # another worker still works: one is enough
    body = health(client)[1]
    assert body["checks"]["worker"] == {"ok": True, "alive": 1, "last_seen_seconds_ago": 0}
    assert body["checks"]["beat"]["ok"] is False


def test_no_heartbeat_yet_is_not_alive(client: Client, own_redis: RedisServer) -> None:
    body = health(client)[1]
    assert body["checks"]["worker"] == {"ok": False, "alive": 0, "last_seen_seconds_ago": None}
    assert body["checks"]["beat"] == {"ok": False, "last_seen_seconds_ago": None}


def test_the_embedded_default_has_no_broker_worker_or_beat_to_check(client: Client, settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        status, body = health(client)
    finally:
        celery_app.conf.task_always_eager = saved
    assert status == 200
    assert body["checks"]["cache"] == {"ok": True, "backend": "local"}
    for name in ("broker", "worker", "beat"):
        assert body["checks"][name] == {"ok": True, "mode": "eager"}


def test_probes_by_address_over_http_are_answered(client: Client, settings: Any, own_redis: RedisServer) -> None:
    """A container's health check asks http://127.0.0.1:8000/ with no allowed host name."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["liaison.example.gov.cn"]
    alive()
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert health(client, HTTP_HOST="10.0.0.5:8000")[0] == 200
    # Any other page still gets Django's host check.
    assert client.get("/s/", HTTP_HOST="10.0.0.5:8000").status_code == 400


def test_the_command_prints_the_checks_and_fails_when_one_fails(
    own_redis: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    alive()
    call_command("health", "--only", "database,worker,beat")
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"database", "worker", "beat"}
    assert all(check["ok"] for check in printed.values())
    own_redis.stop()
    with pytest.raises(SystemExit) as exit_info:
        call_command("health", "--only", "cache")
    assert exit_info.value.code == 1
    assert json.loads(capsys.readouterr().out)["cache"]["ok"] is False
