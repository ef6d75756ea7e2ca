"""Fixtures for the notification tests: a real SMTP server, the in-memory SMS backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from notifications import sms
from tests.notifications.smtp import Inbox, smtp_server


@pytest.fixture
def smtp(settings: SettingsWrapper) -> Iterator[Inbox]:
    """An SMTP server on a free port; Django's SMTP backend sends to it."""
    with smtp_server() as (port, inbox):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield inbox


@pytest.fixture
def sms_outbox(settings: SettingsWrapper) -> Iterator[list[sms.SmsMessage]]:
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()
