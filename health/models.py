"""Heartbeats of the background processes, kept in the database so the health check can read
them while Redis (the broker) is down."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last sign of life of one process: `beat`, or `worker:<node name>`."""

    name = models.CharField(_("process"), max_length=200, primary_key=True)
    seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return self.name
