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
