"""Fixtures for the REST API tests: token clients per persona and a small scene of records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from notifications.models import Notification
from representatives.models import DutyShift
from stations.models import VoterVisit
from suggestions.models import Suggestion
from tests.conftest import World
from tests.factories import DutyShiftFactory, RepresentativeFactory, VoterVisitFactory
from tests.suggestions.workflow_builders import Cast, build, make_cast, record

# The personas of the endpoint × role matrix, in the order the tables list them.
ROLES = (
    "anonymous",
    "representative",
    "station",
    "other_station",
    "committee",
    "other_committee",
    "unit",
    "co_unit",
    "other_unit",
    "admin",
)

_PERSONA = {
    "representative": "representative_user",
    "station": "station_staff",
    "other_station": "other_station_staff",
    "committee": "committee_staff",
    "other_committee": "other_committee_staff",
    "unit": "unit_staff",
    "co_unit": "co_unit_staff",
    "other_unit": "other_unit_staff",
    "admin": "admin_user",
}


def clear_throttles() -> None:
    """Forget every throttle counter (they live in the cache, Redis under test), and nothing else."""
    backend: Any = getattr(cache, "client", None)  # django-redis's client
    if backend is not None and hasattr(backend, "get_client"):
        client = backend.get_client(write=True)
        keys = list(client.scan_iter(match="*throttle_*"))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    """Each test starts with no throttle history (all tests share 127.0.0.1)."""
    clear_throttles()


@pytest.fixture
def cast(
    world: World,
    station_staff: User,
    other_station_staff: User,
    committee_staff: User,
    other_committee_staff: User,
    city_committee_staff: User,
    unit_staff: User,
    other_unit_staff: User,
    representative_user: User,
    admin_user: User,
) -> Cast:
    """Every persona plus the staff of a co-unit in district A (see tests/suggestions)."""
    return make_cast(
        world,
        {
            "station_staff": station_staff,
            "other_station_staff": other_station_staff,
            "committee_staff": committee_staff,
            "other_committee_staff": other_committee_staff,
            "city_committee_staff": city_committee_staff,
            "unit_staff": unit_staff,
            "other_unit_staff": other_unit_staff,
            "representative_user": representative_user,
            "admin_user": admin_user,
        },
    )


def token_client(user: User | None) -> APIClient:
    """A client that authenticates like an app would: with the user's API token."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def client_for(cast: Cast) -> Callable[[str], APIClient]:
    """client_for("station") → a token client for that role of the matrix ("anonymous": none)."""

    def make(role: str) -> APIClient:
        return token_client(None if role == "anonymous" else user_of(cast, role))

    return make


def user_of(cast: Cast, role: str) -> User:
    user = cast.users[_PERSONA[role]]
    assert user is not None
    return user


@dataclass
class Scene:
    """District A's records (station A, unit A, the representative) and district B's."""

    cast: Cast
    suggestion_a: Suggestion  # handed over to unit A with a co-unit, received by the representative
    suggestion_b: Suggestion  # received at station B
    visit_a: VoterVisit
    visit_b: VoterVisit
    shift_a: DutyShift
    shift_b: DutyShift


@pytest.fixture
def scene(cast: Cast) -> Scene:
    world = cast.world
    suggestion_a, _ = build(cast, "assigned")
    from suggestions import workflow

    suggestion_b = workflow.suggestion_record(
        actor=cast.users["other_station_staff"],
        title="菜市场噪音扰民",
        content="清晨卸货噪音很大。",
        region=world.town_b,
        station=world.station_b,
        submitter_name="李四",
        submitter_phone="13987654321",
    )
    visit_a = VoterVisitFactory(station=world.station_a, occurred_at=timezone.now() - dt.timedelta(hours=2))
    visit_a.representatives.add(cast.representative)
    visit_b = VoterVisitFactory(station=world.station_b, occurred_at=timezone.now() - dt.timedelta(hours=3))
    other_rep = RepresentativeFactory(name="林代表")
    other_rep.stations.add(world.station_b)
    shift_a = DutyShiftFactory(representative=cast.representative, station=world.station_a)
    shift_b = DutyShiftFactory(representative=other_rep, station=world.station_b)
    for persona in ("station_staff", "unit_staff", "committee_staff"):
        user = cast.users[persona]
        assert user is not None
        Notification.objects.create(recipient=user, kind="suggestion.handed_over", title=f"给{persona}的通知")
    return Scene(cast, suggestion_a, suggestion_b, visit_a, visit_b, shift_a, shift_b)


__all__ = ["ROLES", "Scene", "build", "clear_throttles", "record", "token_client", "user_of"]
