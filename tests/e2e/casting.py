"""The workflow tests' cast of personas (tests/suggestions/conftest.py), for browser tests."""

from __future__ import annotations

import pytest

from tests.suggestions.workflow_builders import Cast, make_cast

PERSONAS = (
    "station_staff",
    "other_station_staff",
    "committee_staff",
    "other_committee_staff",
    "city_committee_staff",
    "unit_staff",
    "other_unit_staff",
    "representative_user",
    "admin_user",
)


def full_cast(request: pytest.FixtureRequest) -> Cast:
    """Every persona fixture of tests/conftest.py, plus the co-unit and its staff."""
    return make_cast(request.getfixturevalue("world"), {name: request.getfixturevalue(name) for name in PERSONAS})
