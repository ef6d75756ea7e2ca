"""The daily summary behind the dashboards (DESIGN §6, §9).

A province's year is millions of visits and hundreds of thousands of suggestions; the
dashboards read `DailyStats` instead, one row per (day, summarised region, category,
channel), so a province-year is a sum over a few thousand rows. Only regions at the
levels in `SUMMARISED_LEVELS` get rows: below a county the data is small enough to be
counted live, with the same measure definitions (`dashboards.measures`).

Everything here is derived data, rebuilt from the base tables by `dashboards.services`.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stations.models import Region, RegionLevel, VisitChannel
from suggestions.models import Category

# Regions whose subtrees are large enough to be worth summarising.
SUMMARISED_LEVELS: tuple[str, ...] = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)


class RollupAncestor(models.Model):
    """Maps every region to itself and to each of its ancestors at a summarised level,
    so a fact's region joins straight to every summary row it counts towards."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="rollup_nodes")
    ancestor = models.ForeignKey(
        Region, verbose_name=_("summarised region"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("summarised ancestor")
        verbose_name_plural = _("summarised ancestors")
        constraints = [models.UniqueConstraint(fields=["region", "ancestor"], name="rollup_ancestor_unique")]

    def __str__(self) -> str:
        return f"{self.region_id} → {self.ancestor_id}"


class DailyStats(models.Model):
    """One day's figures for a summarised region, split by category and channel.

    Visits count on the day they took place. Suggestions count on the day they were
    received, with their progress (replied, closed, rating…) as of the last refresh.
    """

    day = models.DateField(_("day"))
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=VisitChannel.choices)

    visits = models.PositiveIntegerField(_("visits"), default=0)
    voters_received = models.PositiveIntegerField(_("voters received"), default=0)
    collected = models.PositiveIntegerField(_("suggestions collected"), default=0)
    merged = models.PositiveIntegerField(_("merged as duplicates"), default=0)
    resolved_on_spot = models.PositiveIntegerField(_("resolved on the spot"), default=0)
    handed_over = models.PositiveIntegerField(_("handed over"), default=0)
    replied = models.PositiveIntegerField(_("replied"), default=0)
    replied_with_due = models.PositiveIntegerField(_("replied with a deadline"), default=0)
    replied_on_time = models.PositiveIntegerField(_("replied on time"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)
    rated = models.PositiveIntegerField(_("rated"), default=0)
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0)
    basically_satisfied = models.PositiveIntegerField(_("basically satisfied"), default=0)
    dissatisfied = models.PositiveIntegerField(_("dissatisfied"), default=0)
    # Sum over replied suggestions of the time from receipt to reply.
    handling_time = models.DurationField(_("total handling time"), default=dt.timedelta)

    class Meta:
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "category", "channel"], name="daily_stats_unique", nulls_distinct=False
            ),
            models.CheckConstraint(
                condition=Q(replied_on_time__lte=models.F("replied_with_due")), name="daily_stats_on_time_le_due"
            ),
        ]
        indexes = [models.Index(fields=["region", "day"], name="daily_stats_region_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.region_id} {self.category_id} {self.channel}"


class StatsState(models.Model):
    """The single row that records how far the summary has been brought up to date."""

    last_event_id = models.BigIntegerField(_("last suggestion event seen"), default=0)
    last_visit_id = models.BigIntegerField(_("last visit seen"), default=0)
    regions_fingerprint = models.CharField(_("regions fingerprint"), max_length=128, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    rebuilt_at = models.DateTimeField(_("fully rebuilt at"), null=True, blank=True)
    last_duration = models.FloatField(_("duration of the last run (seconds)"), default=0.0)
    last_days = models.PositiveIntegerField(_("days recomputed in the last run"), default=0)

    class Meta:
        verbose_name = _("summary state")
        verbose_name_plural = _("summary state")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="stats_state_singleton")]

    def __str__(self) -> str:
        return f"{self.refreshed_at}"
