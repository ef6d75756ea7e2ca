"""SMS behind a pluggable backend, chosen like Django's EMAIL_BACKEND by the SMS_BACKEND setting.

A provider integration subclasses `BaseSmsBackend` and implements `send_messages`;
the portal ships a logging backend (the default: the message is logged, nothing is
sent), a console backend for development and an in-memory backend for tests.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str
    # A stable id for the provider's own de-duplication, where it offers one.
    reference: str = ""


def mask_phone(phone: str) -> str:
    """Logs never show a full phone number: 138****5678."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


class BaseSmsBackend:
    """Send text messages. Raise on failure: the caller records it and retries later."""

    def __init__(self, *, fail_silently: bool = False, **kwargs: Any) -> None:
        self.fail_silently = fail_silently

    def open(self) -> None:
        """Open a connection to the provider, if it has one; called once per batch."""

    def close(self) -> None:
        """Close what `open` opened."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        """Send the messages; return how many were sent."""
        raise NotImplementedError("SMS backends must implement send_messages()")


class LoggingBackend(BaseSmsBackend):
    """Log each message (number masked) instead of sending it: the safe default until a provider is set up."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        for message in messages:
            logger.info("SMS to %s (%s chars): %s", mask_phone(message.to), len(message.text), message.reference)
        return len(messages)


class ConsoleBackend(BaseSmsBackend):
    """Print each message in full, for development."""

    def __init__(self, *, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        with self._lock:
            for message in messages:
                self.stream.write(f"SMS to {message.to}\n{message.text}\n{'-' * 40}\n")
            self.stream.flush()
        return len(messages)


# Where LocmemBackend puts messages, like django.core.mail.outbox.
outbox: list[SmsMessage] = []


class LocmemBackend(BaseSmsBackend):
    """Keep messages in `notifications.sms.outbox`, for tests."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def get_sms_backend(backend: str | None = None, **kwargs: Any) -> BaseSmsBackend:
    """An instance of the configured (or the given) SMS backend."""
    klass = import_string(backend or settings.SMS_BACKEND)
    if not (isinstance(klass, type) and issubclass(klass, BaseSmsBackend)):
        raise TypeError(f"{backend or settings.SMS_BACKEND} is not an SMS backend")
    instance: BaseSmsBackend = klass(**kwargs)
    return instance
