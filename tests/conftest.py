"""Role personas for tests. Each fixture is a user who may do what its docstring says."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from accounts.models import Role, User
from accounts.services import membership_grant
from stations.models import Region, RegionLevel, Station
from suggestions.models import HandlingUnit
from tests.factories import (
    HandlingUnitContactFactory,
    HandlingUnitFactory,
    RegionFactory,
    RepresentativeFactory,
    StationFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.AXES_ENABLED = False  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _own_cache_space(settings: pytest.FixtureRequest) -> None:
    """Each test reads and writes its own cache keys: a cached fragment or counter from an
    earlier test (whose rows were rolled back and whose ids may come again) is never seen."""
    default = settings.CACHES["default"]  # type: ignore[attr-defined]
    settings.CACHES = {"default": {**default, "KEY_PREFIX": f"t{uuid.uuid4().hex[:12]}"}}  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _our_celery_app() -> Iterator[None]:
    """After each test, our Celery app is the current one again, whatever a test created."""
    yield
    from liaison.celery import app

    app.set_current()
    app.set_default()


@dataclass
class World:
    """A small city: two districts, each with a township, a station and a handling unit."""

    city: Region
    district_a: Region
    district_b: Region
    town_a: Region
    town_b: Region
    station_a: Station
    station_b: Station
    unit_a: HandlingUnit
    unit_b: HandlingUnit


@pytest.fixture
def world(db: None) -> World:
    city = RegionFactory(code="350100", name="福州市", level=RegionLevel.CITY)
    district_a = RegionFactory(code="350102", name="鼓楼区", level=RegionLevel.COUNTY, parent=city)
    district_b = RegionFactory(code="350103", name="台江区", level=RegionLevel.COUNTY, parent=city)
    town_a = RegionFactory(code="350102001", name="鼓东街道", level=RegionLevel.TOWNSHIP, parent=district_a)
    town_b = RegionFactory(code="350103001", name="瀛洲街道", level=RegionLevel.TOWNSHIP, parent=district_b)
    unit_a = HandlingUnitFactory(name="鼓楼区住建局", region=district_a)
    unit_b = HandlingUnitFactory(name="台江区住建局", region=district_b)
    HandlingUnitContactFactory(unit=unit_a, name="王科长", email="wang@unit-a.example.cn")
    HandlingUnitContactFactory(unit=unit_b, name="李科长", email="li@unit-b.example.cn")
    return World(
        city=city,
        district_a=district_a,
        district_b=district_b,
        town_a=town_a,
        town_b=town_b,
        station_a=StationFactory(name="鼓东街道代表联络站", region=town_a),
        station_b=StationFactory(name="瀛洲街道代表联络站", region=town_b),
        unit_a=unit_a,
        unit_b=unit_b,
    )


def _user(username: str, role: Role, **target: object) -> User:
    user = UserFactory(username=username)
    membership_grant(user=user, role=role, **target)  # type: ignore[arg-type]
    return user


@pytest.fixture
def station_staff(world: World) -> User:
    """Station staff of station A: records, sorts, resolves on the spot and proposes for station A only."""
    return _user("station_a", Role.STATION_STAFF, station=world.station_a)


@pytest.fixture
def other_station_staff(world: World) -> User:
    """Station staff of station B: sees nothing of station A."""
    return _user("station_b", Role.STATION_STAFF, station=world.station_b)


@pytest.fixture
def committee_staff(world: World) -> User:
    """Committee staff of district A: hands over, supervises, closes and publishes in district A and below."""
    return _user("committee_a", Role.COMMITTEE_STAFF, region=world.district_a)


@pytest.fixture
def other_committee_staff(world: World) -> User:
    """Committee staff of district B: no power over district A."""
    return _user("committee_b", Role.COMMITTEE_STAFF, region=world.district_b)


@pytest.fixture
def city_committee_staff(world: World) -> User:
    """Committee staff of the city: sees both districts."""
    return _user("committee_city", Role.COMMITTEE_STAFF, region=world.city)


@pytest.fixture
def unit_staff(world: World) -> User:
    """Staff of unit A: acknowledges, returns, asks for time and replies for what was handed to unit A."""
    return _user("unit_a", Role.UNIT_STAFF, unit=world.unit_a)


@pytest.fixture
def other_unit_staff(world: World) -> User:
    """Staff of unit B: nothing handed to unit A is theirs."""
    return _user("unit_b", Role.UNIT_STAFF, unit=world.unit_b)


@pytest.fixture
def representative_user(world: World) -> User:
    """A representative assigned to station A: sees the suggestions they received."""
    user = _user("rep_a", Role.REPRESENTATIVE)
    rep = RepresentativeFactory(name="陈代表", user=user)
    rep.stations.add(world.station_a)
    return user


@pytest.fixture
def admin_user(world: World) -> User:
    """An administrator: sees and manages everything, including the Django admin."""
    return _user("admin", Role.ADMINISTRATOR)
