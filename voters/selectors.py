"""Public reads of regions, stations and representatives for the voter site.

Only what a station's door or a representative's contact card would show: no phone of a
representative, no staff. Every list is bounded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Case, Count, Max, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from representatives.models import CongressLevel, DutyShift, Mandate, Representative
from stations.models import Region, RegionLevel, Station, StationKind

STATION_LIST_LIMIT = 30
REGION_SEARCH_LIMIT = 10
SEARCH_MIN_LENGTH = 1
SEARCH_MAX_LENGTH = 50
REGION_CHOICES_CACHE_SECONDS = 600


def region_roots() -> QuerySet[Region]:
    return Region.objects.filter(parent__isnull=True).order_by("code")


def region_children(region: Region) -> QuerySet[Region]:
    return Region.objects.filter(parent=region).order_by("code")


def region_breadcrumb(region: Region) -> list[Region]:
    return list(region.ancestors())


def _public_stations() -> QuerySet[Station]:
    return Station.objects.filter(is_active=True).select_related("region")


def stations_in_region(region: Region, *, limit: int = STATION_LIST_LIMIT) -> list[Station]:
    """Stations in the region and below, by place; at most `limit` + 1 (the extra one says "more")."""
    return list(
        _public_stations().filter(region__path__startswith=region.path).order_by("region__path", "name")[: limit + 1]
    )


@dataclass(frozen=True)
class SearchResult:
    regions: list[Region]
    stations: list[Station]
    more: bool


def station_search(query: str, *, limit: int = STATION_LIST_LIMIT) -> SearchResult:
    """Stations whose name, address or region's name contains the words typed; regions by name."""
    query = " ".join(query.split())[:SEARCH_MAX_LENGTH]
    if len(query) < SEARCH_MIN_LENGTH:
        return SearchResult([], [], False)
    regions = list(Region.objects.filter(name__icontains=query).order_by("depth", "path")[:REGION_SEARCH_LIMIT])
    q = Q()
    for word in query.split(" "):
        q &= Q(name__icontains=word) | Q(address__icontains=word) | Q(region__name__icontains=word)
    stations = list(_public_stations().filter(q).order_by("region__path", "name")[: limit + 1])
    return SearchResult(regions, stations[:limit], len(stations) > limit)


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
