"""Public reads of regions, stations and representatives for the voter site.

Only what a station's door or a representative's contact card would show: no phone of a
representative, no staff. Every list is bounded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Case, CharField, Count, Max, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from representatives.models import CongressLevel, DutyShift, Mandate, Representative
from stations.models import Region, RegionLevel, Station, StationKind

STATION_PAGE_SIZE = 20
REGION_SEARCH_LIMIT = 10
SEARCH_MIN_LENGTH = 1
SEARCH_MAX_LENGTH = 50
SEARCH_MAX_WORDS = 5
REGION_IDS_MAX = 500
SEARCH_SORT_MAX = 5000
TRIGRAM = 3
REGION_CHOICES_CACHE_SECONDS = 600


def region_roots() -> QuerySet[Region]:
    return Region.objects.filter(parent__isnull=True).order_by("code")


def region_children(region: Region) -> QuerySet[Region]:
    return Region.objects.filter(parent=region).order_by("code")


def region_breadcrumb(region: Region) -> list[Region]:
    return list(region.ancestors())


def _public_stations() -> QuerySet[Station]:
    return Station.objects.filter(is_active=True).select_related("region")


@dataclass(frozen=True)
class StationPage:
    """One page of stations. Those of the voter's district come first (`in_district` of them);
    `next_after` is the id of the last one shown when there are more."""

    stations: list[Station]
    in_district: int
    next_after: int | None
    split: bool = False

    @property
    def district_part(self) -> list[Station]:
        return self.stations[: self.in_district]

    @property
    def other_part(self) -> list[Station]:
        return self.stations[self.in_district :]


def _after(qs: QuerySet[Station], cursor: tuple[str, str, int] | None) -> QuerySet[Station]:
    """Stations after the cursor in (region path, name, id) order. The separate `>=` on the
    path lets PostgreSQL start the scan of the region path index at the cursor."""
    if cursor is None:
        return qs
    path, name, pk = cursor
    return qs.filter(region__path__gte=path).filter(
        Q(region__path__gt=path) | Q(region__path=path, name__gt=name) | Q(region__path=path, name=name, pk__gt=pk)
    )


def _word_filter(word: str) -> Q:
    """Stations whose name, address or region's name contains `word`. The regions are looked up
    first, so each branch can use its own trigram index (stations migration 0002) instead of a
    join filter over every station; a word naming very many regions ("社区") matches so many
    stations that the plain join finds a page at once."""
    q = Q(name__icontains=word) | Q(address__icontains=word)
    ids = list(Region.objects.filter(name__icontains=word).values_list("pk", flat=True)[: REGION_IDS_MAX + 1])
    if len(ids) > REGION_IDS_MAX:
        return q | Q(region__name__icontains=word)
    return q | Q(region_id__in=ids) if ids else q


def station_page(
    *,
    within: Region | None,
    query: str = "",
    district: Region | None = None,
    after: int | None = None,
    limit: int = STATION_PAGE_SIZE,
) -> StationPage:
    """Active stations under `within` (all when None) whose name, address or region name holds
    every word of `query`; those in `district` first, each part by place then name.

    Keyset pages of `limit` (the cursor is the last station's id): no count, no offset, so a
    page costs the same at 200,000 stations as at 20.
    """
    base = _public_stations()
    if within is not None:
        base = base.filter(region__path__startswith=within.path)
    words = " ".join(query.split())[:SEARCH_MAX_LENGTH].split()[:SEARCH_MAX_WORDS]
    for word in words:
        base = base.filter(_word_filter(word))
    place: Any = "region__path"
    # Matches of a search are often few and all in one place, far down the region index, where
    # walking the index in order reads most of the table before it finds them. When the
    # matches are few (a bounded count), sort just them: CONCAT(path, '') orders exactly like
    # the path but cannot be read from its index. Trigrams need three characters: shorter
    # words are not counted first (the count would scan as well).
    if (
        any(len(word) >= TRIGRAM for word in words)
        and base.order_by().values("pk")[: SEARCH_SORT_MAX + 1].count() <= SEARCH_SORT_MAX
    ):
        place = Concat("region__path", Value(""), output_field=CharField())
    # The district is a part of its own only when it is strictly inside what is listed.
    split = district is not None and (within is None or (district.path.startswith(within.path) and district != within))
    parts = (
        [base.filter(region__path__startswith=district.path), base.exclude(region__path__startswith=district.path)]
        if split and district is not None
        else [base]
    )
    cursor: tuple[str, str, int] | None = None
    first_part = 0
    if after is not None:
        row = Station.objects.filter(pk=after).values_list("region__path", "name", "pk").first()
        if row is not None:
            cursor = row
            if split and district is not None and not row[0].startswith(district.path):
                first_part = 1
    found: list[Station] = []
    in_district = 0
    for index in range(first_part, len(parts)):
        qs = _after(parts[index], cursor if index == first_part else None)
        rows = list(qs.order_by(place, "name", "pk")[: limit + 1 - len(found)])
        if split and index == 0:
            in_district = min(len(rows), limit)
        found.extend(rows)
        if len(found) > limit:
            break
    more = len(found) > limit
    shown = found[:limit]
    return StationPage(stations=shown, in_district=in_district, next_after=shown[-1].pk if more else None, split=split)


def region_search(query: str, *, limit: int = REGION_SEARCH_LIMIT) -> list[Region]:
    """Places whose name contains what was typed, the larger first."""
    query = " ".join(query.split())[:SEARCH_MAX_LENGTH]
    if len(query) < SEARCH_MIN_LENGTH:
        return []
    return list(Region.objects.filter(name__icontains=query).order_by("depth", "path")[:limit])


def district_choices() -> list[tuple[int, str]]:
    """Counties and districts, labelled with their city, for "my district" on the finder.
    Cached like `region_choices`."""
    stamp = Region.objects.aggregate(count=Count("id"), last=Max("id"))
    key = f"public:district_choices:{stamp['count']}:{stamp['last']}"
    cached: list[tuple[int, str]] | None = cache.get(key)
    if cached is not None:
        return cached
    rows = list(
        Region.objects.filter(level=RegionLevel.COUNTY)
        .select_related("parent")
        .order_by("path")
        .values_list("pk", "name", "parent__name", "parent__level")
    )
    choices = [
        (pk, f"{parent} · {name}" if parent and level == RegionLevel.CITY else name) for pk, name, parent, level in rows
    ]
    cache.set(key, choices, REGION_CHOICES_CACHE_SECONDS)
    return choices


def district_get(pk: int) -> Region | None:
    return Region.objects.filter(pk=pk, level=RegionLevel.COUNTY).first()


def station_public_get(pk: int) -> Station:
    """An active station with its features; raises Station.DoesNotExist (→ 404)."""
    return _public_stations().prefetch_related("features").get(pk=pk)


# Seats from the highest congress down.
_LEVEL_ORDER = Case(
    *(When(level=level, then=Value(rank)) for rank, level in enumerate(CongressLevel.values)),
    default=Value(len(CongressLevel.values)),
)


def _with_mandates(qs: QuerySet[Representative]) -> QuerySet[Representative]:
    mandates = Mandate.objects.select_related("region").order_by(_LEVEL_ORDER, "id")
    return qs.prefetch_related(Prefetch("mandates", queryset=mandates))


def station_representatives(station: Station) -> list[Representative]:
    return list(_with_mandates(station.representatives.filter(is_active=True)).order_by("name", "id"))


@dataclass(frozen=True)
class DutyWeeks:
    this_week_start: dt.date
    this_week: list[DutyShift]
    next_week: list[DutyShift]


def _week_start(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=today.weekday())


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def station_duty(station: Station, *, today: dt.date | None = None) -> DutyWeeks:
    """Who receives voters at this station this week (Monday to Sunday) and next."""
    today = today or timezone.localdate()
    monday = _week_start(today)
    next_monday = monday + dt.timedelta(days=7)
    shifts = list(
        DutyShift.objects.filter(
            station=station,
            starts_at__gte=_local_midnight(monday),
            starts_at__lt=_local_midnight(monday + dt.timedelta(days=14)),
            representative__is_active=True,
        )
        .select_related("representative")
        .order_by("starts_at", "id")
    )
    boundary = _local_midnight(next_monday)
    return DutyWeeks(
        this_week_start=monday,
        this_week=[s for s in shifts if s.starts_at < boundary],
        next_week=[s for s in shifts if s.starts_at >= boundary],
    )


def representative_public_get(pk: int) -> Representative:
    """An active representative with seats and stations; raises Representative.DoesNotExist (→ 404)."""
    qs = Representative.objects.filter(is_active=True).prefetch_related(
        Prefetch("stations", queryset=Station.objects.filter(is_active=True).select_related("region"))
    )
    return _with_mandates(qs).get(pk=pk)


def representative_duty(representative: Representative, *, limit: int = 10) -> list[DutyShift]:
    """The representative's coming shifts (including the one going on now)."""
    return list(
        DutyShift.objects.filter(representative=representative, ends_at__gte=timezone.now(), station__is_active=True)
        .select_related("station")
        .order_by("starts_at", "id")[:limit]
    )


def online_station_for(region: Region) -> Station | None:
    """The online liaison station 网上联络站 nearest above (or at) a region, which receives
    suggestions submitted on this site without a station."""
    codes = [code for code in region.path.split("/") if code]
    return (
        _public_stations()
        .filter(kind=StationKind.ONLINE, region__code__in=codes)
        .order_by("-region__depth", "id")
        .first()
    )


def region_choices() -> list[tuple[int, str]]:
    """Where a problem can be: counties/districts and townships/streets, labelled with their county.

    Villages are left out to keep the list usable on a phone; the location field takes the
    detail. Cached, keyed by a cheap fingerprint of the table, so a change shows at once.
    """
    stamp = Region.objects.aggregate(count=Count("id"), last=Max("id"))
    key = f"public:region_choices:{stamp['count']}:{stamp['last']}"
    cached: list[tuple[int, str]] | None = cache.get(key)
    if cached is not None:
        return cached
    rows = list(
        Region.objects.filter(level__in=[RegionLevel.COUNTY, RegionLevel.TOWNSHIP])
        .order_by("path")
        .values_list("pk", "name", "level", "parent_id")
    )
    counties = {pk: name for pk, name, level, _parent in rows if level == RegionLevel.COUNTY}
    choices = [
        (pk, f"{counties[parent]} · {name}" if level == RegionLevel.TOWNSHIP and parent in counties else name)
        for pk, name, level, parent in rows
    ]
    cache.set(key, choices, REGION_CHOICES_CACHE_SECONDS)
    return choices
