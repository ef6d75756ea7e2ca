"""Fixtures for the suggestion tests."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.conftest import World
from tests.suggestions.workflow_builders import Cast, make_cast


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
    """Every persona of tests/conftest.py plus staff of a co-unit in district A and the anonymous
    voter (None), keyed by persona name; the representative is the suggestions' receiving one."""
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
