"""End to end with real parts: our own redis-server, a `celery -A liaison worker` subprocess on
the test database, and an SMTP server (aiosmtpd) in this process.

- A hand-over through the staff UI reaches the unit's contacts by e-mail (Chinese, with the
  link back to the suggestion) and under their bell.
- A worker killed with SIGKILL in the middle of a batch of 500 reminders: a new worker and
  the relay deliver every one, each exactly once in the delivery log.
- Redis stopped while staff keep working: every request succeeds, and once Redis is back
  the relay sends everything that piled up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import kombu.pools
import pytest
import redis
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from liaison.celery import app as celery_app
from notifications.models import Channel, Delivery, DeliveryStatus, Notification, Outbox, OutboxStatus
from notifications.tasks import reminders_sweep
from suggestions import workflow
from suggestions.models import HandlingUnit, HandlingUnitContact, Suggestion
from suggestions.tracking import tracking_code_display
from tests.conftest import World
from tests.factories import CategoryFactory, HandlingUnitFactory, UserFactory
from tests.notifications.smtp import Inbox, body_text, free_port, smtp_server

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SITE_URL = "https://liaison.example.gov.cn"
# How long Redis stays down in the outage test; the issue asks for 30 seconds.
OUTAGE_SECONDS = int(os.environ.get("NOTIFY_E2E_OUTAGE_SECONDS", "30"))


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n--- worker log ---\n{tail}")


class RedisServer:
    """A redis-server of our own on a free port, which the test may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_until(lambda: _pings(client), timeout=10, what="redis-server to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class Worker:
    """`celery -A liaison worker` with embedded beat, in its own process group."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.name = f"e2e-{uuid.uuid4().hex[:8]}"
        self.env = env
        self.log = workdir / f"{self.name}.log"
        self.schedule = workdir / f"{self.name}-beat"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        command = [
            sys.executable, "-m", "celery", "-A", "liaison", "worker", "--pool=solo", "--loglevel=INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{self.name}@%h",
            "-B", "-s", str(self.schedule),
        ]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(lambda: b" ready." in self.log.read_bytes(), timeout=60, what="the worker to start", log=self.log)
        return self

    def kill(self) -> None:
        """SIGKILL the worker and everything it started: no chance to finish or clean up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def _reset_producers() -> None:
    # Close every pool kombu keeps and forget them: a pool closed here but left in kombu's
    # registry would be handed to a later test's eager task ("Acquire on closed pool").
    with contextlib.suppress(Exception):
        kombu.pools.reset()
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def inbox() -> Iterator[tuple[int, Inbox]]:
    with smtp_server() as (port, box):
        yield port, box


@pytest.fixture
def broker(redis_server: RedisServer, settings: SettingsWrapper) -> Iterator[RedisServer]:
    """This process publishes to our Redis, and uses it as its cache, as production does with REDIS_URL."""
    assert connection.vendor == "postgresql", "the worker shares the test database: run these tests on PostgreSQL"
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=redis_server.url, task_always_eager=False)
    _reset_producers()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}
    }
    yield redis_server
    celery_app.conf.update(saved)
    _reset_producers()


@pytest.fixture
def start_worker(
    broker: RedisServer, inbox: tuple[int, Inbox], tmp_path: Path, transactional_db: None
) -> Iterator[Callable[[], Worker]]:
    """Start workers on the test database, our Redis and our SMTP server; all are stopped at the end."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": broker.url,
        "CELERY_BROKER_URL": broker.url,
        "CELERY_RESULT_BACKEND": broker.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "SITE_URL": SITE_URL,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(inbox[0]),
        "EMAIL_USE_TLS": "0",
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "SMS_BACKEND": "notifications.sms.LoggingBackend",
        # Fast recovery for the test: the relay runs every second and takes over after two.
        "NOTIFY_RELAY_INTERVAL_SECONDS": "1",
        "NOTIFY_RELAY_AFTER_SECONDS": "2",
        "NOTIFY_CLAIM_SECONDS": "5",
        "NOTIFY_RETRY_SECONDS": "1",
        # Beat must not sweep or send the digest on its own during the test.
        "SWEEP_INTERVAL_MINUTES": "1440",
        "DIGEST_HOUR": str((timezone.localtime().hour + 12) % 24),
    }
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(env, tmp_path)
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


def proposed(world: World, station_staff: User, *, title: str, unit: HandlingUnit | None = None) -> Suggestion:
    s = workflow.suggestion_record(
        actor=station_staff,
        title=title,
        content="晚上路灯不亮，老人出行不便。",
        region=world.town_a,
        station=world.station_a,
        submitter_name="张三",
        submitter_phone="13812345678",
    )
    category = CategoryFactory(code="roads", name="道路交通")
    s = workflow.suggestion_sort(suggestion=s, actor=station_staff, category=category, urgency="normal")
    return workflow.suggestion_propose(suggestion=s, actor=station_staff, route="unit", unit=unit or world.unit_a)


def all_dispatched() -> bool:
    return not Outbox.objects.filter(status=OutboxStatus.PENDING).exists() and not (
        Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()
    )


def act(client: Client, suggestion: Suggestion, action: str, data: dict[str, object]) -> None:
    """One workflow action through the staff UI, as a person would submit its form."""
    suggestion.refresh_from_db()
    url = reverse("suggestions:action", kwargs={"code": suggestion.tracking_code, "action": action})
    response = client.post(url, {"version": suggestion.version, **data})
    assert response.status_code == 302, (action, response.status_code, response.content[:2000])
    # Back to the suggestion; a unit that returned it no longer sees it and goes to its queue.
    expected = (
        reverse("suggestions:list")
        if action == "return"
        else reverse("suggestions:detail", kwargs={"code": suggestion.tracking_code})
    )
    assert response["Location"].split("?")[0] == expected


def test_a_hand_over_reaches_the_unit_by_chinese_email_and_under_the_bell(
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
    inbox: tuple[int, Inbox],
    start_worker: Callable[[], Worker],
) -> None:
    HandlingUnitContact.objects.create(unit=world.unit_a, name="刘干事", user=unit_staff, email="liu@unit-a.example.cn")
    s = proposed(world, station_staff, title="鼓东路路灯不亮")
    worker = start_worker()

    staff = Client()
    staff.force_login(committee_staff)
    act(staff, s, "hand_over", {"lead_unit": world.unit_a.pk})

    _, box = inbox
    wait_until(
        lambda: (
            len(box.to("liu@unit-a.example.cn")) == 1
            and len(box.to("wang@unit-a.example.cn")) == 1
            and Notification.objects.filter(recipient=unit_staff).exists()
        ),
        timeout=60,
        what="the hand-over e-mails and the in-app notification",
        log=worker.log,
    )
    code = tracking_code_display(s.tracking_code)
    for address in ("liu@unit-a.example.cn", "wang@unit-a.example.cn"):
        (message,) = box.to(address)
        assert str(message["Subject"]) == f"建议 {code} 已交办贵单位"
        text = body_text(message)
        assert "建议“鼓东路路灯不亮”" in text
        assert f"查看建议：{SITE_URL}/suggestions/{s.tracking_code}/" in text
        assert "请于" in text  # the acknowledgement deadline
    note = Notification.objects.get(recipient=unit_staff)
    assert note.title == f"建议 {code} 已交办贵单位"
    assert note.url == f"/suggestions/{s.tracking_code}/"

    unit = Client()
    unit.force_login(unit_staff)
    page = unit.get(reverse("notifications:list")).content.decode()
    assert f"建议 {code} 已交办贵单位" in page
    assert '<span class="bell-count"' in page
    wait_until(all_dispatched, timeout=30, what="every delivery to be marked sent", log=worker.log)
    assert Delivery.objects.filter(key__startswith="outbox:", channel=Channel.EMAIL).count() == 2


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    world: World,
    station_staff: User,
    committee_staff: User,
    inbox: tuple[int, Inbox],
    start_worker: Callable[[], Worker],
) -> None:
    """50 suggestions due today, a unit with 5 contacts (account and e-mail): 500 reminders."""
    _, box = inbox
    box.delay = 0.02  # a real mail server is not instantaneous; it also gives the kill a moment to land
    unit = HandlingUnitFactory(name="鼓楼区市政中心", region=world.district_a)
    today = timezone.localdate()
    for i in range(50):
        s = proposed(world, station_staff, title=f"第{i}件", unit=unit)
        workflow.suggestion_hand_over(suggestion=s, actor=committee_staff, lead_unit=unit, reply_due=today)
    first = start_worker()
    # The hand-overs reach nobody (the unit has no contacts yet), the recordings only the voter;
    # let the worker finish them first.
    wait_until(all_dispatched, timeout=60, what="the hand-over outbox to drain", log=first.log)
    for i in range(5):
        contact_user = UserFactory(username=f"unit_contact_{i}", email=f"contact{i}@unit.example.cn")
        HandlingUnitContact.objects.create(unit=unit, name=f"联系人{i}", user=contact_user, email=contact_user.email)

    reminders_sweep.apply_async()
    wait_until(
        lambda: len(box.snapshot()) >= 50,
        timeout=60,
        what="the worker to be half-way through the reminders",
        log=first.log,
    )
    first.kill()
    # Reminders only: the voters' tracking-code SMS of the recordings went out with the hand-overs.
    sent_at_kill = Delivery.objects.filter(key__startswith="reminder:", status=DeliveryStatus.SENT).count()
    assert Delivery.objects.filter(key__startswith="reminder:").count() == 500
    assert sent_at_kill < 500, "the worker finished before it was killed: the test proved nothing"

    second = start_worker()
    wait_until(
        lambda: Delivery.objects.filter(key__startswith="reminder:", status=DeliveryStatus.SENT).count() == 500,
        timeout=90,
        what="every reminder to be delivered",
        log=second.log,
    )
    reminders = Delivery.objects.filter(key__startswith="reminder:")
    assert reminders.count() == 500
    assert set(reminders.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert len(set(reminders.values_list("key", "channel", "recipient"))) == 500
    # In-app: written in the transaction that marks the delivery sent, so exactly once.
    assert Notification.objects.count() == 250
    assert Notification.objects.values("delivery").distinct().count() == 250
    # E-mail: every message arrived; only the one the killed worker had in flight may have gone twice.
    email_ids = {
        f"<delivery.{pk}@liaison.example.gov.cn>"
        for pk in reminders.filter(channel=Channel.EMAIL).values_list("pk", flat=True)
    }
    received = [str(m["Message-ID"]) for m in box.snapshot()]
    assert set(received) == email_ids
    assert len(received) - len(email_ids) <= 1


@pytest.mark.parametrize("outage_seconds", [OUTAGE_SECONDS])
def test_staff_keep_working_while_redis_is_down_and_the_relay_catches_up(
    outage_seconds: int,
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
    broker: RedisServer,
    inbox: tuple[int, Inbox],
    start_worker: Callable[[], Worker],
) -> None:
    to_hand_over = proposed(world, station_staff, title="待交办")
    to_supervise = workflow.suggestion_hand_over(
        suggestion=proposed(world, station_staff, title="待督办"), actor=committee_staff, lead_unit=world.unit_a
    )
    to_return = workflow.suggestion_hand_over(
        suggestion=proposed(world, station_staff, title="待退回"), actor=committee_staff, lead_unit=world.unit_a
    )
    to_extend = workflow.suggestion_hand_over(
        suggestion=proposed(world, station_staff, title="待延期"), actor=committee_staff, lead_unit=world.unit_a
    )
    worker = start_worker()
    wait_until(all_dispatched, timeout=60, what="the set-up notifications", log=worker.log)
    _, box = inbox
    box.messages.clear()

    committee = Client()
    committee.force_login(committee_staff)
    unit = Client()
    unit.force_login(unit_staff)

    broker.stop()
    down_since = time.monotonic()
    act(committee, to_hand_over, "hand_over", {"lead_unit": world.unit_a.pk})
    act(committee, to_supervise, "supervise", {"note": "请加快办理"})
    act(unit, to_return, "return", {"reason": "不属于本单位职责"})
    act(unit, to_extend, "acknowledge", {})
    act(unit, to_extend, "request_extension", {"days": 5, "reason": "需协调资金"})
    assert unit.get(reverse("notifications:list")).status_code == 200
    assert committee.get(reverse("suggestions:detail", kwargs={"code": to_supervise.tracking_code})).status_code == 200
    assert Outbox.objects.filter(status=OutboxStatus.PENDING).count() == 4  # acknowledging tells nobody
    remaining = outage_seconds - (time.monotonic() - down_since)
    assert remaining > 0, "the actions took longer than the outage"
    time.sleep(remaining)
    assert not box.snapshot()  # nothing could go out while Redis was down
    broker.start()

    wait_until(all_dispatched, timeout=120, what="the relay to send what piled up", log=worker.log)
    subjects = {(str(m["To"]), str(m["Subject"])) for m in box.snapshot()}
    assert (
        "wang@unit-a.example.cn",
        f"建议 {tracking_code_display(to_hand_over.tracking_code)} 已交办贵单位",
    ) in subjects
    assert ("wang@unit-a.example.cn", f"建议 {tracking_code_display(to_supervise.tracking_code)} 催办通知") in subjects
    assert (committee_staff.email, f"建议 {tracking_code_display(to_return.tracking_code)} 被承办单位退回") in subjects
    assert (committee_staff.email, f"建议 {tracking_code_display(to_extend.tracking_code)} 申请延期") in subjects
    # Each once.
    assert len(box.snapshot()) == len(subjects)
    assert Notification.objects.filter(recipient=committee_staff, suggestion=to_return).count() == 1
