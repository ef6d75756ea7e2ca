"""The parts around the messages: SMS backends, the beat schedule, the outbox when the broker is
unreachable, the relay's choice of what to resend, and the daily digest."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from liaison.celery import app as celery_app
from liaison.celery import beat_schedule
from notifications import sms
from notifications.models import Channel, Delivery, DeliveryStatus, Notification, Outbox, OutboxStatus
from notifications.services import deliveries_send, digest_prepare, outbox_enqueue, relay_collect
from suggestions.models import Suggestion
from tests.factories import SuggestionFactory
from tests.notifications.smtp import free_port
from tests.notifications.test_worker_e2e import _reset_producers

# --- SMS backends --------------------------------------------------------------------------------


def test_the_logging_backend_logs_without_the_full_number(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="notifications.sms")
    sent = sms.LoggingBackend().send_messages([sms.SmsMessage(to="13812345678", text="您好", reference="delivery-7")])
    assert sent == 1
    assert "138****5678" in caplog.text
    assert "13812345678" not in caplog.text
    assert "delivery-7" in caplog.text


def test_the_console_backend_prints_the_message() -> None:
    stream = io.StringIO()
    sms.ConsoleBackend(stream=stream).send_messages([sms.SmsMessage(to="13812345678", text="建议已答复")])
    assert "13812345678" in stream.getvalue()
    assert "建议已答复" in stream.getvalue()


def test_the_configured_backend_is_used(settings: SettingsWrapper) -> None:
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    assert isinstance(sms.get_sms_backend(), sms.LocmemBackend)
    settings.SMS_BACKEND = "notifications.sms.LoggingBackend"
    assert isinstance(sms.get_sms_backend(), sms.LoggingBackend)


def test_a_setting_that_names_no_sms_backend_is_refused(settings: SettingsWrapper) -> None:
    settings.SMS_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with pytest.raises(TypeError, match="not an SMS backend"):
        sms.get_sms_backend()


@pytest.mark.parametrize(("phone", "masked"), [("13812345678", "138****5678"), ("12345", "*****")])
def test_phone_masking(phone: str, masked: str) -> None:
    assert sms.mask_phone(phone) == masked


# --- Beat ----------------------------------------------------------------------------------------


def test_beat_runs_the_sweep_the_relay_and_the_digest_with_configured_periods(settings: SettingsWrapper) -> None:
    settings.SWEEP_INTERVAL_MINUTES = 7
    settings.NOTIFY_RELAY_INTERVAL_SECONDS = 45
    settings.DIGEST_HOUR = 6
    schedule = beat_schedule()
    celery_app.loader.import_default_modules()
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks
    assert schedule["deadline-sweep"]["schedule"] == dt.timedelta(minutes=7)
    assert schedule["outbox-relay"]["schedule"] == dt.timedelta(seconds=45)
    assert schedule["daily-digest"]["schedule"].hour == {6}
    assert celery_app.conf.beat_schedule.keys() == schedule.keys()


def test_notification_tasks_are_late_acknowledged_bounded_and_time_limited() -> None:
    celery_app.loader.import_default_modules()
    names = [name for name in celery_app.tasks if name.startswith("notifications.tasks.")]
    assert len(names) == 5
    for name in names:
        task = celery_app.tasks[name]
        assert task.acks_late
        assert task.max_retries is not None
        assert task.max_retries <= 5
        assert task.time_limit
        assert task.soft_time_limit
        assert task.soft_time_limit < task.time_limit


# --- The outbox with the broker down -------------------------------------------------------------


@pytest.fixture
def dead_broker() -> Iterator[None]:
    """Celery publishes to a port where nothing listens, as when Redis is down."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False)
    _reset_producers()
    yield
    celery_app.conf.update(saved)
    _reset_producers()


@pytest.mark.django_db
def test_an_unreachable_broker_leaves_the_outbox_row_pending_and_the_action_intact(
    dead_broker: None,
    django_capture_on_commit_callbacks: Callable[..., object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    suggestion = SuggestionFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():  # type: ignore[attr-defined]
        row = outbox_enqueue(kind="suggestion.supervised", suggestion=suggestion, payload={"level": 1})
    assert len(callbacks) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert "the relay will retry" in caplog.text
    assert Suggestion.objects.filter(pk=suggestion.pk).exists()


@pytest.mark.django_db
def test_the_relay_resends_only_what_has_waited_long_enough(settings: SettingsWrapper) -> None:
    settings.NOTIFY_RELAY_AFTER_SECONDS = 60
    suggestion = SuggestionFactory()
    old = Outbox.objects.create(kind="suggestion.supervised", suggestion=suggestion)
    fresh = Outbox.objects.create(kind="suggestion.supervised", suggestion=suggestion)
    done = Outbox.objects.create(kind="suggestion.supervised", suggestion=suggestion, status=OutboxStatus.SENT)
    Outbox.objects.filter(pk__in=[old.pk, done.pk]).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    pending = Delivery.objects.create(key="outbox:1", channel=Channel.EMAIL, recipient="a@example.cn", kind="x")
    sent = Delivery.objects.create(
        key="outbox:1", channel=Channel.EMAIL, recipient="b@example.cn", kind="x", status=DeliveryStatus.SENT
    )
    Delivery.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    work = relay_collect()
    assert work.outbox_ids == [old.pk]
    assert fresh.pk not in work.outbox_ids
    assert work.delivery_ids == [pending.pk]
    assert sent.pk not in work.delivery_ids


# --- The daily digest ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_digest_goes_once_a_day_to_users_with_recent_unread_notifications(
    settings: SettingsWrapper, unit_staff: User, other_unit_staff: User, committee_staff: User
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for i in range(3):
        Notification.objects.create(recipient=unit_staff, kind="reminder", title=f"提醒{i}", url="/suggestions/X/")
    Notification.objects.create(recipient=other_unit_staff, kind="reminder", title="已读", read_at=timezone.now())
    stale = Notification.objects.create(recipient=committee_staff, kind="reminder", title="上周的")
    Notification.objects.filter(pk=stale.pk).update(created_at=timezone.now() - dt.timedelta(days=3))

    ids = digest_prepare()
    assert digest_prepare() == ids  # the same day again: nothing new
    assert list(Delivery.objects.filter(pk__in=ids).values_list("recipient", flat=True)) == [unit_staff.email]
    assert deliveries_send(delivery_ids=ids).sent == 1
    assert digest_prepare() == []
    (message,) = mail.outbox
    assert message.to == [unit_staff.email]
    assert "3" in message.subject
    assert "提醒2" in message.body
    assert "/notifications/" in message.body
