"""Users, their roles and what they work for (DESIGN §1)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class Role(models.TextChoices):
    """Roles also exist as auth groups of the same name (see `accounts.roles`)."""

    STATION_STAFF = "station_staff", _("Station staff")
    COMMITTEE_STAFF = "committee_staff", _("Committee staff")
    UNIT_STAFF = "unit_staff", _("Handling-unit staff")
    REPRESENTATIVE = "representative", _("Representative")
    ADMINISTRATOR = "administrator", _("Administrator")


class Membership(models.Model):
    """Ties a user to what they work for: a station, a handling unit or a region.

    The scope of everything a staff user sees follows from these rows.
    """

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    station = models.ForeignKey(
        "stations.Station",
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        "suggestions.HandlingUnit",
        verbose_name=_("handling unit"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    region = models.ForeignKey(
        "stations.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Who changed what and when, shown in the admin (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # Each role points at exactly the kind of thing it works for.
            models.CheckConstraint(
                condition=(
                    Q(role="station_staff", station__isnull=False, unit__isnull=True, region__isnull=True)
                    | Q(role="unit_staff", unit__isnull=False, station__isnull=True, region__isnull=True)
                    | Q(role="committee_staff", region__isnull=False, station__isnull=True, unit__isnull=True)
                    | Q(
                        role__in=["representative", "administrator"],
                        station__isnull=True,
                        unit__isnull=True,
                        region__isnull=True,
                    )
                ),
                name="membership_target_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "station", "unit", "region"], name="membership_unique", nulls_distinct=False
            ),
        ]
        indexes = [models.Index(fields=["user", "role"], name="membership_user_role_idx")]

    def __str__(self) -> str:
        target = self.station or self.unit or self.region or ""
        return f"{self.user} · {self.get_role_display()} {target}".strip()
