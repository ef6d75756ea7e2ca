"""Notifications: the outbox written in a workflow transaction, in-app messages, and the reminder log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Outbox(models.Model):
    """A notification to send, written in the same transaction as the change that causes it.

    A task dispatches it after commit; a periodic relay picks up any left behind.
    """

    kind = models.CharField(_("kind"), max_length=64)
    suggestion = models.ForeignKey(
        "suggestions.Suggestion",
        verbose_name=_("suggestion"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["created_at"], name="outbox_pending_idx", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Notification(models.Model):
    """An in-app message shown under the bell."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=255, blank=True)
    suggestion = models.ForeignKey(
        "suggestions.Suggestion",
        verbose_name=_("suggestion"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient_idx"),
            models.Index(fields=["recipient"], name="notification_unread_idx", condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One message to one recipient on one channel; the unique key makes sending idempotent.

    `key` identifies the cause: an outbox row ("outbox:17") or a reminder
    ("reminder:<suggestion>:<kind>:<deadline>").
    """

    key = models.CharField(_("key"), max_length=128)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=128)
    suggestion = models.ForeignKey(
        "suggestions.Suggestion",
        verbose_name=_("suggestion"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["key", "channel", "recipient"], name="delivery_once"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="delivery_pending_idx", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.recipient} ({self.channel})"
