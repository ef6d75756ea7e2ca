"""Scope: each role sees only its stations', unit's or region's records (DESIGN §1)."""

from __future__ import annotations

import pytest

from accounts.models import User
from stations.selectors import station_list, visit_list
from suggestions.models import Assignment, AssignmentRole, Suggestion
from suggestions.selectors import handling_unit_list, suggestion_get, suggestion_list
from tests.conftest import World
from tests.factories import SuggestionFactory, VoterVisitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(world: World) -> dict[str, Suggestion]:
    """One suggestion at each station; the one at A handed to unit A, with unit B as co-unit of B's."""
    a = SuggestionFactory(station=world.station_a, title="鼓东路灯")
    b = SuggestionFactory(station=world.station_b, title="瀛洲排水")
    Suggestion.objects.filter(pk=a.pk).update(lead_unit=world.unit_a)
    Assignment.objects.create(suggestion=a, unit=world.unit_a, role=AssignmentRole.LEAD)
    Assignment.objects.create(suggestion=b, unit=world.unit_a, role=AssignmentRole.CO, is_active=False)
    c = SuggestionFactory(station=world.station_b, title="瀛洲停车")
    Assignment.objects.create(suggestion=c, unit=world.unit_a, role=AssignmentRole.CO)
    VoterVisitFactory(station=world.station_a)
    VoterVisitFactory(station=world.station_b)
    return {"a": a, "b": b, "c": c}


def titles(user: User) -> set[str]:
    return set(suggestion_list(user=user).values_list("title", flat=True))


def test_station_staff_see_only_their_station(station_staff: User, records: dict[str, Suggestion]) -> None:
    assert titles(station_staff) == {"鼓东路灯"}
    assert [v.station.name for v in visit_list(user=station_staff)] == ["鼓东街道代表联络站"]
    assert [s.name for s in station_list(user=station_staff)] == ["鼓东街道代表联络站"]


def test_other_station_cannot_open_station_a_suggestion(
    other_station_staff: User, records: dict[str, Suggestion]
) -> None:
    assert titles(other_station_staff) == {"瀛洲排水", "瀛洲停车"}
    with pytest.raises(Suggestion.DoesNotExist):
        suggestion_get(user=other_station_staff, tracking_code=records["a"].tracking_code)


def test_unit_staff_see_what_was_handed_to_their_unit_as_lead_or_active_co_unit(
    unit_staff: User, records: dict[str, Suggestion]
) -> None:
    # b's co-assignment was withdrawn, so b is no longer unit A's.
    assert titles(unit_staff) == {"鼓东路灯", "瀛洲停车"}
    assert list(visit_list(user=unit_staff)) == []


def test_other_unit_sees_nothing_handed_to_unit_a(other_unit_staff: User, records: dict[str, Suggestion]) -> None:
    assert titles(other_unit_staff) == set()
    with pytest.raises(Suggestion.DoesNotExist):
        suggestion_get(user=other_unit_staff, tracking_code=records["a"].tracking_code)


def test_committee_staff_see_their_region_and_below(
    committee_staff: User, other_committee_staff: User, city_committee_staff: User, records: dict[str, Suggestion]
) -> None:
    assert titles(committee_staff) == {"鼓东路灯"}
    assert titles(other_committee_staff) == {"瀛洲排水", "瀛洲停车"}
    assert titles(city_committee_staff) == {"鼓东路灯", "瀛洲排水", "瀛洲停车"}
    assert {u.name for u in handling_unit_list(user=committee_staff)} == {"鼓楼区住建局"}
    assert {v.station.name for v in visit_list(user=other_committee_staff)} == {"瀛洲街道代表联络站"}


def test_representative_sees_the_suggestions_they_received(
    representative_user: User, records: dict[str, Suggestion]
) -> None:
    assert titles(representative_user) == set()
    Suggestion.objects.filter(pk=records["b"].pk).update(representative=representative_user.representative)
    del representative_user._liaison_scope  # type: ignore[attr-defined]
    assert titles(representative_user) == {"瀛洲排水"}


def test_administrator_sees_everything(admin_user: User, records: dict[str, Suggestion]) -> None:
    assert titles(admin_user) == {"鼓东路灯", "瀛洲排水", "瀛洲停车"}


def test_user_without_membership_sees_nothing(world: World, records: dict[str, Suggestion]) -> None:
    from tests.factories import UserFactory

    assert titles(UserFactory()) == set()


def test_scoped_list_runs_in_constant_queries(
    unit_staff: User, records: dict[str, Suggestion], django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        rows = [(s.title, s.station.name, s.region.name) for s in suggestion_list(user=unit_staff)]
    assert len(rows) == 2
