"""Reads of representatives and their duty shifts, scoped to the viewer (DESIGN §1).

Administrators see everyone. Station staff see the representatives assigned to their
stations; committee staff those assigned to a station in their region or holding a
seat in it; a representative sees their own record. Unit staff work with suggestions,
not with representatives, and see none here.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.selectors import user_scope
from representatives.models import DutyShift, Mandate, Representative
from stations.selectors import station_scope_q


def representative_scope_q(*, user: User | AnonymousUser) -> Q:
    scope = user_scope(user)
    if scope.is_admin:
        return Q()
    q = Q(pk__in=[])
    through = Representative.stations.through
    if scope.station_ids:
        q |= Q(Exists(through.objects.filter(representative_id=OuterRef("pk"), station_id__in=scope.station_ids)))
    if scope.region_paths:
        q |= Q(Exists(through.objects.filter(scope.region_q("station__region"), representative_id=OuterRef("pk"))))
        q |= Q(Exists(Mandate.objects.filter(scope.region_q("region"), representative_id=OuterRef("pk"))))
    if scope.representative_id is not None:
        q |= Q(pk=scope.representative_id)
    return q


def representative_list(*, user: User | AnonymousUser) -> QuerySet[Representative]:
    return (
        Representative.objects.filter(representative_scope_q(user=user))
        .prefetch_related("stations", "mandates__region")
        .order_by("id")
    )


def representative_get(*, user: User | AnonymousUser, pk: int) -> Representative:
    """The representative if the user may see them; raises Representative.DoesNotExist otherwise (→ 404)."""
    return representative_list(user=user).get(pk=pk)


def duty_shift_list(*, user: User | AnonymousUser) -> QuerySet[DutyShift]:
    """Duty shifts at the stations the user works with, and a representative's own shifts."""
    scope = user_scope(user)
    q = station_scope_q(user=user, prefix="station__")
    if scope.representative_id is not None:
        q |= Q(representative_id=scope.representative_id)
    return DutyShift.objects.filter(q).select_related("representative", "station").order_by("starts_at", "id")
