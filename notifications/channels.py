"""The three channels behind one interface: in-app, e-mail (Django's EMAIL_BACKEND) and SMS (SMS_BACKEND).

A channel is opened once per batch, sends one delivery at a time and raises when that
delivery could not be sent; the caller records the failure and goes on with the next.
"""

from __future__ import annotations

import contextlib
from typing import ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from notifications.models import Channel, Delivery, Notification
from notifications.rendering import RenderedMessage
from notifications.sms import BaseSmsBackend, SmsMessage, get_sms_backend


class ChannelUnavailable(Exception):
    """The channel could not be opened for this batch (e.g. the mail server is down)."""


class BaseChannel:
    channel: ClassVar[str]

    def open(self) -> None:
        """Prepare for a batch; may connect to a server."""

    def close(self) -> None:
        """Release what `open` or `send` acquired."""

    def send(self, delivery: Delivery, message: RenderedMessage) -> None:
        raise NotImplementedError


def in_app_notification(delivery: Delivery, message: RenderedMessage) -> Notification:
    """The row under the user's bell for this delivery (not saved)."""
    return Notification(
        recipient_id=delivery.user_id or int(delivery.recipient),
        kind=delivery.kind,
        title=message.subject[:200],
        body=message.body,
        url=message.path[:255],
        suggestion_id=delivery.suggestion_id,
        delivery=delivery,
    )


class InAppChannel(BaseChannel):
    """A row under the user's bell. `Notification.delivery` is unique: a delivery never shows twice.

    The sending service writes a batch of these in one transaction with the deliveries
    marked sent (`services._send_in_app`); this class is the same channel for one message.
    """

    channel = Channel.IN_APP

    def send(self, delivery: Delivery, message: RenderedMessage) -> None:
        in_app_notification(delivery, message).save()


def message_id(delivery: Delivery) -> str:
    """A Message-ID stable across retries, so a mail system can recognise a resent message."""
    host = urlsplit(settings.SITE_URL).hostname or "liaison.local"
    return f"<delivery.{delivery.pk}@{host}>"


class EmailChannel(BaseChannel):
    """Through Django's configured e-mail backend; one connection per batch."""

    channel = Channel.EMAIL

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None
        self._broken: Exception | None = None

    def _connect(self) -> BaseEmailBackend:
        if self._broken is not None:
            # The server refused us once in this batch: do not wait for its timeout again for every message.
            raise ChannelUnavailable(f"e-mail unavailable in this batch: {self._broken!r}")
        if self._connection is None:
            connection = get_connection(fail_silently=False)
            try:
                connection.open()
            except Exception as exc:
                self._broken = exc
                raise ChannelUnavailable(f"could not connect to the mail server: {exc!r}") from exc
            self._connection = connection
        return self._connection

    def send(self, delivery: Delivery, message: RenderedMessage) -> None:
        connection = self._connect()
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.recipient],
            connection=connection,
            headers={"Message-ID": message_id(delivery), "Auto-Submitted": "auto-generated"},
        )
        try:
            email.send(fail_silently=False)
        except Exception:
            # The connection may be half-broken; the next message opens a fresh one.
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a dead connection must not hide the real error
                self._connection.close()
            self._connection = None


class SmsChannel(BaseChannel):
    channel = Channel.SMS

    def __init__(self) -> None:
        self._backend: BaseSmsBackend | None = None

    def _get_backend(self) -> BaseSmsBackend:
        if self._backend is None:
            self._backend = get_sms_backend()
            self._backend.open()
        return self._backend

    def send(self, delivery: Delivery, message: RenderedMessage) -> None:
        sent = self._get_backend().send_messages(
            [SmsMessage(to=delivery.recipient, text=message.sms, reference=f"delivery-{delivery.pk}")]
        )
        if sent != 1:
            raise RuntimeError("the SMS backend did not accept the message")

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


CHANNELS: dict[str, type[BaseChannel]] = {
    Channel.IN_APP: InAppChannel,
    Channel.EMAIL: EmailChannel,
    Channel.SMS: SmsChannel,
}


class ChannelSet:
    """Opens each channel the first time a batch needs it and closes them all at the end."""

    def __init__(self) -> None:
        self._open: dict[str, BaseChannel] = {}

    def get(self, channel: str) -> BaseChannel:
        if channel not in self._open:
            instance = CHANNELS[channel]()
            instance.open()
            self._open[channel] = instance
        return self._open[channel]

    def close(self) -> None:
        for instance in self._open.values():
            instance.close()
        self._open.clear()

    def __enter__(self) -> ChannelSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
