"""Regions, liaison stations and voter visits (DESIGN §2)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County or district")
    TOWNSHIP = "township", _("Township or street")
    VILLAGE = "village", _("Village or community")


class Region(models.Model):
    """An administrative region. `path` is the materialised path of codes, e.g.
    "350000/350100/350102/", so a subtree is one indexed prefix query."""

    code = models.CharField(_("official code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    # Who changed what and when, shown in the admin (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [
            # LIKE 'prefix%' needs the pattern opclass under a non-C collation.
            models.Index(fields=["path"], name="region_subtree_idx", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="region_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        # The path is derived from the parent; moving a region re-paths its subtree.
        old_path = self.path
        self.path = f"{self.parent.path if self.parent else ''}{self.code}/"
        self.depth = self.path.count("/") - 1
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if old_path and old_path != self.path:
            for child in Region.objects.filter(path__startswith=old_path).exclude(pk=self.pk).order_by("depth"):
                child._moved_with_parent = True  # type: ignore[attr-defined]
                child.save()
            if not getattr(self, "_moved_with_parent", False):
                from suggestions.places import refresh_places

                # Its suggestions may now lie in another city or county (the whole subtree at once).
                refresh_places(self)

    def subtree(self) -> models.QuerySet[Region]:
        return Region.objects.filter(path__startswith=self.path)

    def ancestors(self) -> models.QuerySet[Region]:
        codes = [c for c in self.path.split("/") if c]
        return Region.objects.filter(code__in=codes).order_by("depth")


class StationKind(models.TextChoices):
    HOME = "home", _("Representatives' home")
    STATION = "station", _("Liaison station")
    POINT = "point", _("Liaison point")
    ONLINE = "online", _("Online liaison station")


class StationFeature(models.Model):
    """A feature tag such as 说事驿站 or 法治乡村促进会."""

    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("station feature")
        verbose_name_plural = _("station features")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Station(models.Model):
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=StationKind.choices, default=StationKind.STATION)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="stations")
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=255, blank=True)
    star_rating = models.PositiveSmallIntegerField(_("star rating"), default=0)
    features = models.ManyToManyField(StationFeature, verbose_name=_("features"), blank=True, related_name="stations")
    description = models.TextField(_("description"), blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Who changed what and when, shown in the admin (django-simple-history).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("liaison station")
        verbose_name_plural = _("liaison stations")
        ordering = ["region__path", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(star_rating__lte=5), name="station_star_rating_0_5"),
            models.UniqueConstraint(fields=["region", "name"], name="station_unique_name_in_region"),
        ]
        indexes = [models.Index(fields=["region", "is_active"], name="station_by_region_idx")]

    def __str__(self) -> str:
        return self.name


class VisitChannel(models.TextChoices):
    RECEPTION = "reception", _("In-station reception")
    OUTREACH = "outreach", _("Outreach and door-to-door visit")
    NIGHT_TALK = "night_talk", _("Night talk and visit")
    BOOTH = "booth", _("Service booth")
    ONLINE = "online", _("Online liaison station")
    HOTLINE = "hotline", _("12345 hotline")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")


# What a representative records in the field (DESIGN §1, issue 14 §7): they go out to the voters.
# In-station reception is logged at the station's desk by its staff; online, hotline, phone and
# letter arrive at the station or the committee, so a representative never logs those as field work.
FIELD_WORK_CHANNELS: tuple[str, ...] = (VisitChannel.OUTREACH, VisitChannel.NIGHT_TALK, VisitChannel.BOOTH)


class VoterVisit(models.Model):
    """One reception of voters: at the station, outside it, or through another channel."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="visits")
    channel = models.CharField(_("channel"), max_length=16, choices=VisitChannel.choices)
    occurred_at = models.DateTimeField(_("time of visit"))
    representatives = models.ManyToManyField(
        "representatives.Representative",
        verbose_name=_("representatives present"),
        blank=True,
        related_name="visits",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    voters_received = models.PositiveIntegerField(_("voters received"), default=1)
    place = models.CharField(_("place"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set by the retention run when its notes and place were masked (suggestions.retention).
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("voter visit")
        verbose_name_plural = _("voter visits")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["station", "-occurred_at"], name="visit_station_time_idx"),
            models.Index(fields=["-occurred_at"], name="visit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.station} {self.occurred_at:%Y-%m-%d}"


class VisitCorrection(models.Model):
    """One correction of a logged visit by station staff, within VISIT_EDIT_HOURS of logging it:
    who, when, and each changed field's old and new value ({"field", "old", "new"}, as shown)."""

    visit = models.ForeignKey(
        VoterVisit, verbose_name=_("voter visit"), on_delete=models.CASCADE, related_name="corrections"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("corrected by (as shown)"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("corrected at"), auto_now_add=True)
    changes = models.JSONField(_("changes"), default=list)

    class Meta:
        verbose_name = _("visit correction")
        verbose_name_plural = _("visit corrections")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["visit", "created_at"], name="visit_correction_visit_idx")]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.created_at:%Y-%m-%d %H:%M}"
