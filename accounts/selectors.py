"""What a user works for, read once per request and cached on the user object."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from accounts.models import Membership, Role, User


@dataclass(frozen=True)
class Scope:
    """The stations, units and regions a user works for, by role."""

    is_admin: bool = False
    station_ids: frozenset[int] = field(default_factory=frozenset)
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    region_paths: tuple[str, ...] = ()
    representative_id: int | None = None
    # The active stations an active representative is assigned to: where they may record field work.
    field_station_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def roles(self) -> set[str]:
        roles = set()
        if self.is_admin:
            roles.add(Role.ADMINISTRATOR.value)
        if self.station_ids:
            roles.add(Role.STATION_STAFF.value)
        if self.unit_ids:
            roles.add(Role.UNIT_STAFF.value)
        if self.region_paths:
            roles.add(Role.COMMITTEE_STAFF.value)
        if self.representative_id is not None:
            roles.add(Role.REPRESENTATIVE.value)
        return roles

    def region_q(self, field_path: str) -> Q:
        """Q matching rows whose region (at `field_path`) lies in one of the user's subtrees."""
        q = Q(pk__in=[])
        for path in self.region_paths:
            q |= Q(**{f"{field_path}__path__startswith": path})
        return q

    def covers_region_path(self, path: str) -> bool:
        return self.is_admin or any(path.startswith(p) for p in self.region_paths)


EMPTY_SCOPE = Scope()


def user_scope(user: User | AnonymousUser) -> Scope:
    if not user.is_authenticated:
        return EMPTY_SCOPE
    cached: Scope | None = getattr(user, "_liaison_scope", None)
    if cached is not None:
        return cached
    station_ids: set[int] = set()
    unit_ids: set[int] = set()
    paths: list[str] = []
    is_admin = bool(user.is_superuser)
    for m in (
        Membership.objects.filter(user=user)
        .select_related("region")
        .only("role", "station_id", "unit_id", "region__path")
    ):
        if m.role == Role.STATION_STAFF and m.station_id:
            station_ids.add(m.station_id)
        elif m.role == Role.UNIT_STAFF and m.unit_id:
            unit_ids.add(m.unit_id)
        elif m.role == Role.COMMITTEE_STAFF and m.region is not None:
            paths.append(m.region.path)
        elif m.role == Role.ADMINISTRATOR:
            is_admin = True
    from representatives.models import Representative

    # One query: the representative's id with each station they are assigned to (None when none).
    rep_id: int | None = None
    field_station_ids: set[int] = set()
    for rid, rep_active, sid, station_active in Representative.objects.filter(user=user).values_list(
        "id", "is_active", "stations__id", "stations__is_active"
    ):
        rep_id = rid
        if rep_active and sid is not None and station_active:
            field_station_ids.add(sid)
    scope = Scope(
        is_admin=is_admin,
        station_ids=frozenset(station_ids),
        unit_ids=frozenset(unit_ids),
        region_paths=tuple(sorted(paths)),
        representative_id=rep_id,
        field_station_ids=frozenset(field_station_ids),
    )
    user._liaison_scope = scope  # type: ignore[attr-defined]
    return scope
