"""Redis (broker and cache) stopped and started again under a running, production-like worker
(`celery -A liaison worker`, prefork, with gossip, mingle and heartbeats, embedded beat):

- the worker process survives: the same process consumes again once Redis is back;
- a workflow change made while the broker was down is not lost: the relay delivers it, once;
- a change made afterwards is delivered at once;
- /health/ says what is wrong meanwhile (503, cache and broker failing, never a 500) and is
  200 again with a live worker and beat afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import User
from health.models import Heartbeat
from liaison.celery import app as celery_app
from notifications.models import Outbox, OutboxStatus
from suggestions.tracking import tracking_code_display
from tests.conftest import World
from tests.notifications.smtp import Inbox, smtp_server
from tests.notifications.test_worker_e2e import _reset_producers, act, all_dispatched, proposed, wait_until
from tests.redis_server import RedisServer

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SITE_URL = "https://liaison.example.gov.cn"
OUTAGE_SECONDS = 6


class ProductionWorker:
    """The worker as docker-compose runs it (prefork pool, default steps), plus embedded beat."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.name = f"fault-{uuid.uuid4().hex[:8]}"
        self.env = env
        self.log = workdir / f"{self.name}.log"
        self.schedule = workdir / f"{self.name}-beat"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "liaison", "worker", "--loglevel=INFO", "--concurrency=2",
            "-n", f"{self.name}@%h", "-B", "-s", str(self.schedule),
        ]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.wait_for(b" ready.", what="the worker to start")

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, marker: bytes, *, count: int = 1, what: str, timeout: float = 60) -> None:
        wait_until(lambda: self.log.read_bytes().count(marker) >= count, timeout=timeout, what=what, log=self.log)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def inbox() -> Iterator[tuple[int, Inbox]]:
    with smtp_server() as (port, box):
        yield port, box


@pytest.fixture
def own_redis(tmp_path: Path, settings: Any) -> Iterator[RedisServer]:
    """Our Redis is this process's broker and cache too, as REDIS_URL makes it in production."""
    assert connection.vendor == "postgresql", "the worker shares the test database: run on PostgreSQL"
    server = RedisServer(tmp_path)
    server.start()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=server.url, task_always_eager=False)
    _reset_producers()
    settings.CACHE_FALLBACK_SECONDS = 0.5
    settings.CACHES = {"default": {"BACKEND": "liaison.cache.RedisCache", "LOCATION": server.url}}
    settings.HEALTH_STALE_SECONDS = 10
    yield server
    celery_app.conf.update(saved)
    _reset_producers()
    server.stop()


@pytest.fixture
def worker(own_redis: RedisServer, inbox: tuple[int, Inbox], tmp_path: Path) -> Iterator[ProductionWorker]:
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "fault-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": database_url,
        "REDIS_URL": own_redis.url,
        "CELERY_BROKER_URL": own_redis.url,
        "CELERY_RESULT_BACKEND": own_redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SITE_URL": SITE_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(inbox[0]),
        "EMAIL_USE_TLS": "0",
        "SMS_BACKEND": "notifications.sms.LoggingBackend",
        "NOTIFY_RELAY_INTERVAL_SECONDS": "1",
        "NOTIFY_RELAY_AFTER_SECONDS": "2",
        "NOTIFY_CLAIM_SECONDS": "5",
        "NOTIFY_RETRY_SECONDS": "1",
        "HEALTH_HEARTBEAT_SECONDS": "1",
        "SWEEP_INTERVAL_MINUTES": "1440",
        "STATS_REFRESH_MINUTES": "1440",
        "DIGEST_HOUR": str((time.localtime().tm_hour + 12) % 24),
    }
    process = ProductionWorker(env, tmp_path)
    process.start()
    yield process
    process.stop()


def health(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get(reverse("health"))
    return response.status_code, response.json()


def subjects(box: Inbox, to: str) -> list[str]:
    return [str(m["Subject"]) for m in box.to(to)]


def test_the_worker_survives_a_broker_outage_and_nothing_written_meanwhile_is_lost(
    world: World,
    station_staff: User,
    committee_staff: User,
    own_redis: RedisServer,
    worker: ProductionWorker,
    inbox: tuple[int, Inbox],
) -> None:
    _, box = inbox
    during = proposed(world, station_staff, title="停电期间交办")
    after = proposed(world, station_staff, title="恢复之后交办")
    wait_until(all_dispatched, timeout=60, what="the set-up notifications", log=worker.log)
    wait_until(
        lambda: (
            Heartbeat.objects.filter(name__startswith="worker:").exists()
            and Heartbeat.objects.filter(name="beat").exists()
        ),
        timeout=30,
        what="the first heartbeats",
        log=worker.log,
    )
    assert worker.process is not None
    pid = worker.process.pid
    probe = Client()
    wait_until(lambda: health(probe)[0] == 200, timeout=30, what="/health/ to be 200", log=worker.log)

    own_redis.stop()
    worker.wait_for(b"Connection to broker lost", what="the worker to notice", timeout=30)
    committee = Client()
    committee.force_login(committee_staff)
    started = time.monotonic()
    act(committee, during, "hand_over", {"lead_unit": world.unit_a.pk})
    assert time.monotonic() - started < 10, "the request hung on the dead broker"
    assert Outbox.objects.filter(suggestion=during, status=OutboxStatus.PENDING).exists()
    status, body = health(probe)
    assert status == 503
    assert body["status"] == "error"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["broker"]["ok"] is False
    time.sleep(OUTAGE_SECONDS)
    assert worker.alive()

    own_redis.start()  # the same port
    worker.wait_for(b"Connected to redis", count=2, what="the worker to reconnect", timeout=60)
    # Written while the broker was down: the relay delivers it, once.
    subject_during = f"建议 {tracking_code_display(during.tracking_code)} 已交办贵单位"
    wait_until(
        lambda: subject_during in subjects(box, "wang@unit-a.example.cn"),
        timeout=60,
        what="the hand-over made during the outage to be delivered",
        log=worker.log,
    )
    # Written now: sent straight away through the broker.
    act(committee, after, "hand_over", {"lead_unit": world.unit_a.pk})
    subject_after = f"建议 {tracking_code_display(after.tracking_code)} 已交办贵单位"
    wait_until(
        lambda: subject_after in subjects(box, "wang@unit-a.example.cn"),
        timeout=30,
        what="the hand-over made after the outage to be delivered",
        log=worker.log,
    )
    wait_until(all_dispatched, timeout=30, what="every delivery to be marked sent", log=worker.log)
    sent = subjects(box, "wang@unit-a.example.cn")
    assert sent.count(subject_during) == 1
    assert sent.count(subject_after) == 1

    # The very same worker process did all this, and it is still running.
    assert worker.alive()
    assert worker.process.pid == pid
    assert "Unrecoverable error" not in worker.text()
    assert "Broker connection: retried without limit in this worker." in worker.text()
    wait_until(lambda: health(probe)[0] == 200, timeout=30, what="/health/ to be 200 again", log=worker.log)
    status, body = health(probe)
    assert body["checks"]["worker"]["alive"] == 1
    assert body["checks"]["beat"]["last_seen_seconds_ago"] <= 10
