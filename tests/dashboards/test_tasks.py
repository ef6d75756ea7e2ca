"""The summary tasks run in a real Celery worker, on its own Redis, against the test database."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection

from accounts.models import User
from dashboards.models import DailyStats
from dashboards.periods import Period
from dashboards.selectors import dashboard_get, dashboard_subject
from suggestions import workflow
from tests.dashboards.conftest import TODAY, Data
from tests.dashboards.test_services import snapshot

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: Callable[[], object], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # still starting
            if check():
                return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not start within {seconds} s")


@pytest.fixture
def broker_url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait(lambda: redis.Redis.from_url(url).ping(), "redis-server")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def worker(broker_url: str, transactional_db: None) -> Iterator[Celery]:
    """A Celery worker process on the test database; yields a client app to send tasks with."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if connection.vendor != "postgresql":
        pytest.fail("The worker test needs PostgreSQL (DATABASE_URL=postgres://…)")
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": broker_url, "CELERY_TASK_ALWAYS_EAGER": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "liaison", "worker", "--pool=solo", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    # Not set as the current app: shared tasks would otherwise resolve to this client for the
    # rest of the test session and publish to a broker that is gone.
    client = Celery(broker=broker_url, backend=broker_url, set_as_current=False)
    try:
        _wait(lambda: client.control.ping(timeout=0.5), "celery worker", seconds=60)
        yield client
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _district_a(user: User) -> tuple[int, int]:
    totals = dashboard_get(subject=dashboard_subject(user=user), period=Period.year(2025), today=TODAY).totals
    return totals.collected, totals.replied


def test_the_worker_builds_and_refreshes_the_summary(
    data: Data, committee_staff: User, unit_staff: User, worker: Celery
) -> None:
    result = worker.send_task("dashboards.tasks.stats_rebuild").get(timeout=120)
    assert result["full"] is True
    assert DailyStats.objects.filter(region=data.world.district_a).exists()
    assert _district_a(committee_staff) == (6, 3)

    workflow.suggestion_reply(suggestion=data.suggestions["S4"], actor=unit_staff, category="A", text="已修复。")
    result = worker.send_task("dashboards.tasks.stats_refresh").get(timeout=120)
    assert result["full"] is False
    assert _district_a(committee_staff) == (6, 4)

    # Delivered twice (acks_late redelivery), the task leaves the same rows.
    rows = snapshot()
    worker.send_task("dashboards.tasks.stats_refresh").get(timeout=120)
    assert snapshot() == rows
