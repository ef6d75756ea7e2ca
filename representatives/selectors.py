"""Reads of representatives and their duty shifts, scoped to the viewer (DESIGN §1).

Administrators see everyone. Station staff see the representatives assigned to their
stations; committee staff those assigned to a station in their region or holding a
seat in it; a representative sees their own record. Unit staff work with suggestions,
not with representatives, and see none here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_scope
from representatives.models import Activity, ActivityKind, DutyShift, Mandate, Representative
from stations.models import Station, VoterVisit
from stations.selectors import station_scope_q
from suggestions.models import OPEN_STATES, Rating, State, Suggestion


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


# --- Performance files 一人一档 (representatives' own pages) ---------------------------


def representative_for_user(*, user: User | AnonymousUser) -> Representative | None:
    """The representative this login belongs to, if any."""
    scope = user_scope(user)
    if scope.representative_id is None:
        return None
    return Representative.objects.filter(pk=scope.representative_id).first()


def representative_file_scope_q(*, user: User | AnonymousUser) -> Q:
    """Whose performance file the user may read: their own; committee staff those assigned to a
    station in their region; administrators everyone."""
    scope = user_scope(user)
    if scope.is_admin:
        return Q()
    q = Q(pk__in=[])
    if scope.region_paths:
        through = Representative.stations.through
        q |= Q(Exists(through.objects.filter(scope.region_q("station__region"), representative_id=OuterRef("pk"))))
    if scope.representative_id is not None:
        q |= Q(pk=scope.representative_id)
    return q


def representative_file_get(*, user: User | AnonymousUser, pk: int) -> Representative:
    """The representative if the user may read their file; raises Representative.DoesNotExist otherwise (→ 404)."""
    return Representative.objects.filter(representative_file_scope_q(user=user)).get(pk=pk)


def representative_file_list(
    *, user: User | AnonymousUser, search: str = "", after: tuple[str, int] | None = None, limit: int = 50
) -> list[Representative]:
    """One page of the representatives whose files the user may read, by name, keyset-paginated."""
    qs = Representative.objects.filter(representative_file_scope_q(user=user))
    if search:
        qs = qs.filter(name__contains=search)
    if after is not None:
        name, pk = after
        qs = qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    return list(qs.prefetch_related("stations").order_by("name", "pk")[:limit])


def activity_list(*, representative: Representative, year: int) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(representative=representative, date__year=year)
        .select_related("station")
        .order_by("-date", "-id")
    )


def activity_get(*, representative: Representative, pk: int) -> Activity:
    """One of the representative's own activities; raises Activity.DoesNotExist otherwise (→ 404)."""
    return Activity.objects.select_related("station").get(pk=pk, representative=representative)


def representative_suggestions(
    *, representative: Representative, before: int | None = None, limit: int = 20
) -> list[Suggestion]:
    """The suggestions the representative received, newest first, keyset-paginated by id."""
    qs = Suggestion.objects.filter(representative=representative)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    return list(qs.select_related("category", "station", "lead_unit").order_by("-id")[:limit])


@dataclass(frozen=True)
class KindTotal:
    kind: str
    label: str
    count: int
    hours: Decimal


@dataclass(frozen=True)
class PerformanceFile:
    """一人一档: a representative's year, as the file sums it."""

    representative: Representative
    year: int
    mandates: list[Mandate]
    stations: list[Station]
    kinds: list[KindTotal]
    activity_count: int
    activity_hours: Decimal
    activities: list[Activity]
    visits_attended: int
    voters_met: int
    suggestions_received: int
    resolved_on_spot: int
    replied: int
    closed: int
    still_open: int
    rated: int
    satisfied: int

    @property
    def satisfaction_rate(self) -> float | None:
        return round(100.0 * self.satisfied / self.rated, 1) if self.rated else None


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_default_timezone()
    return dt.datetime(year, 1, 1, tzinfo=tz), dt.datetime(year + 1, 1, 1, tzinfo=tz)


def performance_file(*, representative: Representative, year: int) -> PerformanceFile:
    """Sum the representative's activities per kind and hours, the visits they attended and
    the suggestions they received in `year`, with their outcomes. The caller has checked
    that the viewer may read this file (`representative_file_get`)."""
    start, end = _year_bounds(year)
    by_kind = {
        row["kind"]: row
        for row in Activity.objects.filter(representative=representative, date__year=year)
        .values("kind")
        .annotate(n=Count("id"), h=Coalesce(Sum("hours"), Decimal(0)))
        .order_by()
    }
    kinds = [
        KindTotal(kind, str(label), int(by_kind.get(kind, {}).get("n", 0)), by_kind.get(kind, {}).get("h", Decimal(0)))
        for kind, label in ActivityKind.choices
    ]
    visits = VoterVisit.objects.filter(
        representatives=representative, occurred_at__gte=start, occurred_at__lt=end
    ).aggregate(n=Count("id"), voters=Coalesce(Sum("voters_received"), 0))
    answered = Q(replied_at__isnull=False, state__in=[State.REPLIED, State.CLOSED])
    received = Suggestion.objects.filter(representative=representative, created_at__gte=start, created_at__lt=end)
    s = received.aggregate(
        total=Count("id", filter=~Q(state=State.MERGED)),
        on_spot=Count("id", filter=Q(resolved_on_spot=True)),
        replied=Count("id", filter=answered),
        closed=Count("id", filter=Q(state=State.CLOSED)),
        still_open=Count("id", filter=Q(state__in=OPEN_STATES) & ~answered),
        rated=Count("id", filter=~Q(rating="")),
        satisfied=Count("id", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC])),
    )
    return PerformanceFile(
        representative=representative,
        year=year,
        mandates=list(representative.mandates.select_related("region").order_by("level", "id")),
        stations=list(representative.stations.select_related("region").order_by("name", "id")),
        kinds=kinds,
        activity_count=sum(k.count for k in kinds),
        activity_hours=sum((k.hours for k in kinds), Decimal(0)),
        activities=list(activity_list(representative=representative, year=year)),
        visits_attended=int(visits["n"]),
        voters_met=int(visits["voters"]),
        suggestions_received=int(s["total"]),
        resolved_on_spot=int(s["on_spot"]),
        replied=int(s["replied"]),
        closed=int(s["closed"]),
        still_open=int(s["still_open"]),
        rated=int(s["rated"]),
        satisfied=int(s["satisfied"]),
    )
