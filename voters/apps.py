from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotersConfig(AppConfig):
    """The voters' site: no login, phones first, Simplified Chinese by default (DESIGN §5)."""

    name = "voters"
    verbose_name = _("Voter site")
    default_auto_field = "django.db.models.BigAutoField"
