"""People's Congress representatives, their mandates, duty shifts and activity records."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CongressLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")


class Representative(models.Model):
    name = models.CharField(_("name"), max_length=64)
    gender = models.CharField(
        _("gender"),
        max_length=8,
        blank=True,
        choices=[("m", _("Male")), ("f", _("Female"))],
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="representative",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    occupation = models.CharField(_("occupation"), max_length=128, blank=True)
    photo = models.ImageField(_("photo"), upload_to="representatives/", blank=True)
    bio = models.TextField(_("biography"), blank=True)
    stations = models.ManyToManyField(
        "stations.Station",
        verbose_name=_("stations"),
        blank=True,
        related_name="representatives",
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The stations too: they decide where a representative may record field work.
    history = HistoricalRecords(m2m_fields=[stations])

    class Meta:
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name"], name="representative_name_idx")]

    def __str__(self) -> str:
        return self.name


class Mandate(models.Model):
    """A seat in one congress; a person may sit in congresses at several levels."""

    representative = models.ForeignKey(
        Representative,
        verbose_name=_("representative"),
        on_delete=models.CASCADE,
        related_name="mandates",
    )
    level = models.CharField(_("level"), max_length=16, choices=CongressLevel.choices)
    region = models.ForeignKey(
        "stations.Region",
        verbose_name=_("congress region"),
        on_delete=models.PROTECT,
        related_name="mandates",
    )
    term = models.CharField(_("term"), max_length=32, blank=True)
    constituency = models.CharField(_("constituency"), max_length=128, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        constraints = [
            models.UniqueConstraint(fields=["representative", "level", "region"], name="mandate_unique_seat"),
        ]

    def __str__(self) -> str:
        return f"{self.representative} · {self.get_level_display()}"


class DutyShift(models.Model):
    """进站安排: who receives voters at which station and when; shown publicly."""

    representative = models.ForeignKey(
        Representative,
        verbose_name=_("representative"),
        on_delete=models.CASCADE,
        related_name="duty_shifts",
    )
    station = models.ForeignKey(
        "stations.Station",
        verbose_name=_("station"),
        on_delete=models.CASCADE,
        related_name="duty_shifts",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="duty_shift_ends_after_start"),
        ]
        indexes = [
            models.Index(fields=["station", "starts_at"], name="duty_station_time_idx"),
            models.Index(fields=["representative", "starts_at"], name="duty_rep_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.representative} @ {self.station} {self.starts_at:%Y-%m-%d %H:%M}"


class ActivityKind(models.TextChoices):
    RECEPTION = "reception", _("Station reception")
    INSPECTION = "inspection", _("Inspection")
    INVESTIGATION = "investigation", _("Investigation")
    LAW_CHECK = "law_check", _("Law-enforcement check")
    TRAINING = "training", _("Training")
    REPORT = "report", _("Report to voters")
    SUGGESTION = "suggestion", _("Suggestion filed")
    OTHER = "other", _("Other")


class Activity(models.Model):
    """履职登记: one activity; the performance file 一人一档 sums them per year."""

    representative = models.ForeignKey(
        Representative,
        verbose_name=_("representative"),
        on_delete=models.CASCADE,
        related_name="activities",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1, default=1)
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    station = models.ForeignKey(
        "stations.Station",
        verbose_name=_("station"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Who changed what and when, shown in the admin (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("activity record")
        verbose_name_plural = _("activity records")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24), name="activity_hours_0_24"),
        ]
        indexes = [models.Index(fields=["representative", "-date"], name="activity_rep_date_idx")]

    def __str__(self) -> str:
        return self.title
