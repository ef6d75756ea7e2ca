"""The daily summary behind the dashboards (DESIGN §6, §9).

A province's year is millions of visits and hundreds of thousands of suggestions; the
dashboards read `DailyStats` instead, one row per (day, summarised region, category) and
per (day, summarised region, channel), so a province-year is a sum over a few hundred
rows. Every summarised region gets a row per month, which answers years, quarters and
months; provinces and cities also get a row per day, for custom ranges and daily trends
(counties, a hundred of them in a province, are counted live for those). Below a county
the data is small enough to be counted live, always with the same measure definitions
(`dashboards.measures`).

Everything here is derived data, rebuilt from the base tables by `dashboards.services`.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stations.models import Region, RegionLevel
from suggestions.models import Category

# Regions whose subtrees are large enough to be worth summarising: all of them per month,
# the largest also per day.
SUMMARISED_LEVELS: tuple[str, ...] = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
DAILY_LEVELS: tuple[str, ...] = (RegionLevel.PROVINCE, RegionLevel.CITY)


class Grain(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")


class RollupAncestor(models.Model):
    """Maps every region to itself and to each of its ancestors at a summarised level, once
    per grain the ancestor is summarised at, so a fact's region joins straight to every
    summary row it counts towards."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="rollup_nodes")
    ancestor = models.ForeignKey(
        Region, verbose_name=_("summarised region"), on_delete=models.CASCADE, related_name="+"
    )
    # Copied from the ancestor's level, so building the summary needs no join to find it.
    grain = models.CharField(_("grain"), max_length=5, choices=Grain.choices, default=Grain.DAY)

    class Meta:
        verbose_name = _("summarised ancestor")
        verbose_name_plural = _("summarised ancestors")
        constraints = [
            models.UniqueConstraint(fields=["region", "ancestor", "grain"], name="rollup_ancestor_grain_unique")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} → {self.ancestor_id}"


class Dimension(models.TextChoices):
    CATEGORY = "category", _("By category")
    CHANNEL = "channel", _("By channel")


class DailyStats(models.Model):
    """One day's (or month's) figures for a summarised region, split one way: by category or by channel.

    Every visit and suggestion is counted once in the channel split (a visit has no
    category), so the channel rows add up to the whole; the category rows carry the
    suggestions only. Two splits instead of their cross product keep a province-year at a
    few thousand rows. Visits count on the day they took place; suggestions on the day
    they were received, with their progress (replied, closed, rating…) as of the last refresh.
    """

    # Derived rows, rebuilt wholesale: no database-level foreign keys to check on every insert.
    day = models.DateField(_("day"))  # the first of the month for monthly rows
    grain = models.CharField(_("grain"), max_length=5, choices=Grain.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,  # served by daily_stats_region_day_idx
    )
    dimension = models.CharField(_("split"), max_length=8, choices=Dimension.choices)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True)

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
    # Case facts summed (suggestions.casefile, dashboards.measures).
    answered = models.PositiveIntegerField(_("answered"), default=0)
    acks_with_due = models.PositiveIntegerField(_("acknowledgements with a deadline"), default=0)
    acks_on_time = models.PositiveIntegerField(_("acknowledgements on time"), default=0)
    answers_timed = models.PositiveIntegerField(_("answers with a known duration"), default=0)
    answer_working_days = models.PositiveIntegerField(_("working days taken by the answers"), default=0)
    first_rated = models.PositiveIntegerField(_("first answers rated"), default=0)
    first_satisfied = models.PositiveIntegerField(_("first answers satisfied"), default=0)
    rep_rated = models.PositiveIntegerField(_("rated by the representative"), default=0)
    rep_satisfied = models.PositiveIntegerField(_("representative satisfied"), default=0)
    solved = models.PositiveIntegerField(_("solved (A)"), default=0)
    rehandled = models.PositiveIntegerField(_("re-handled"), default=0)
    # Sum over replied suggestions of the time from receipt to reply.
    handling_time = models.DurationField(_("total handling time"), default=dt.timedelta)

    class Meta:
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")
        constraints = [
            # Region first: the same index serves every read (a region's days or months).
            models.UniqueConstraint(
                fields=["region", "grain", "day", "dimension", "category", "channel"],
                name="daily_stats_region_grain_day_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(dimension="category", channel="") | Q(dimension="channel", category__isnull=True),
                name="daily_stats_one_split",
            ),
            models.CheckConstraint(
                condition=Q(replied_on_time__lte=models.F("replied_with_due")), name="daily_stats_on_time_le_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.grain} {self.region_id} {self.dimension} {self.category_id or self.channel}"


class StatsState(models.Model):
    """The single row that records how far the summary has been brought up to date."""

    last_event_id = models.BigIntegerField(_("last suggestion event seen"), default=0)
    last_visit_id = models.BigIntegerField(_("last visit seen"), default=0)
    regions_fingerprint = models.CharField(_("regions fingerprint"), max_length=128, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    rebuilt_at = models.DateTimeField(_("fully rebuilt at"), null=True, blank=True)
    last_duration = models.FloatField(_("duration of the last run (seconds)"), default=0.0)
    last_days = models.PositiveIntegerField(_("days recomputed in the last run"), default=0)
    # New at every run: cached dashboards are keyed by it, so a refresh invalidates them all.
    token = models.CharField(_("summary version"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("summary state")
        verbose_name_plural = _("summary state")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="stats_state_singleton")]

    def __str__(self) -> str:
        return f"{self.refreshed_at}"
