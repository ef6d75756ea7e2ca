"""Reads of stations, regions and visits, scoped to the viewer."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.selectors import user_scope
from stations.models import Region, Station, VoterVisit


def region_subtree(*, region: Region) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=region.path)


def station_scope_q(*, user: User | AnonymousUser, prefix: str = "") -> Q:
    scope = user_scope(user)
    if scope.is_admin:
        return Q()
    q = Q(**{f"{prefix}pk__in": scope.station_ids}) if scope.station_ids else Q(pk__in=[])
    if scope.region_paths:
        q |= scope.region_q(f"{prefix}region")
    return q


def station_list(*, user: User | AnonymousUser) -> QuerySet[Station]:
    """Stations a staff user works with: their own stations, or those in their region."""
    return Station.objects.filter(station_scope_q(user=user)).select_related("region")


def visit_list(*, user: User | AnonymousUser) -> QuerySet[VoterVisit]:
    scope = user_scope(user)
    if scope.is_admin:
        q = Q()
    else:
        q = Q(station_id__in=scope.station_ids) if scope.station_ids else Q(pk__in=[])
        if scope.region_paths:
            q |= scope.region_q("station__region")
        if scope.representative_id is not None:
            through = VoterVisit.representatives.through
            q |= Q(
                Exists(through.objects.filter(votervisit_id=OuterRef("pk"), representative_id=scope.representative_id))
            )
    return VoterVisit.objects.filter(q).select_related("station", "station__region").order_by("-occurred_at", "-id")


def recording_region_allowed(*, user: User | AnonymousUser, station: Station | None, region: Region) -> bool:
    """Whether `user` may record (or re-place, when sorting) a suggestion of `station` in `region`.

    A station's suggestions lie in the station's own region or below it, so every committee
    that sees the station sees them as well (a committee sees its region's subtree). Committee
    staff place one anywhere in their region, administrators anywhere.
    """
    scope = user_scope(user)
    if scope.is_admin or scope.covers_region_path(region.path):
        return True
    return station is not None and region.path.startswith(station.region.path)


# A visit entry row offers at most this many regions (the higher levels first when there are more).
RECORDING_REGION_LIMIT = 400
INDENT = "\u3000"  # an ideographic space per level below the top


def recording_region_choices(*, stations: QuerySet[Station]) -> list[tuple[int, str]]:
    """The regions a visit's suggestions may be placed in: each station's region and those
    below it, as (id, name) indented by level, in tree order."""
    paths = sorted({path for path in stations.values_list("region__path", flat=True) if path})
    # A path inside another one adds nothing to the query.
    tops = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    if not tops:
        return []
    q = Q(pk__in=[])
    for path in tops:
        q |= Q(path__startswith=path)
    rows = list(
        Region.objects.filter(q)
        .order_by("depth", "path")
        .values_list("id", "name", "depth", "path")[:RECORDING_REGION_LIMIT]
    )
    rows.sort(key=lambda row: row[3])
    top = min(row[2] for row in rows)
    return [(pk, f"{INDENT * (depth - top)}{name}") for pk, name, depth, _path in rows]
