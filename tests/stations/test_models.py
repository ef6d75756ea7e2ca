"""Database invariants of the domain models: what the database itself refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Role
from representatives.models import Activity, DutyShift
from stations.models import Region, RegionLevel, Station
from suggestions.models import Assignment, AssignmentRole, State, Suggestion
from tests.conftest import World
from tests.factories import (
    RegionFactory,
    RepresentativeFactory,
    StationFactory,
    SuggestionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_region_path_is_the_chain_of_codes(world: World) -> None:
    assert world.town_a.path == "350100/350102/350102001/"
    assert world.town_a.depth == 2
    assert [r.name for r in world.town_a.ancestors()] == ["福州市", "鼓楼区", "鼓东街道"]


def test_region_subtree_is_one_prefix_query(world: World, django_assert_num_queries: object) -> None:
    with django_assert_num_queries(1):  # type: ignore[operator]
        names = sorted(r.name for r in world.district_a.subtree())
    assert names == ["鼓东街道", "鼓楼区"]


def test_moving_a_region_repaths_its_subtree(world: World) -> None:
    village = RegionFactory(code="350102001001", name="东街社区", level=RegionLevel.VILLAGE, parent=world.town_a)
    world.town_a.parent = world.district_b
    world.town_a.save()
    village.refresh_from_db()
    assert village.path == "350100/350103/350102001/350102001001/"
    assert world.station_a in Station.objects.filter(region__path__startswith=world.district_b.path)


def test_region_codes_are_unique(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(code="350102", name="重复", level=RegionLevel.COUNTY, parent=world.city)


def test_station_star_rating_is_at_most_five(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        StationFactory(region=world.town_a, star_rating=6)


def test_duty_shift_must_end_after_it_starts(world: World) -> None:
    rep = RepresentativeFactory()
    start = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        DutyShift.objects.create(representative=rep, station=world.station_a, starts_at=start, ends_at=start)
    DutyShift.objects.create(
        representative=rep, station=world.station_a, starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    assert DutyShift.objects.count() == 1


def test_activity_hours_between_zero_and_a_day(world: World) -> None:
    rep = RepresentativeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(representative=rep, kind="inspection", date=dt.date(2025, 3, 1), hours=0, title="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(representative=rep, kind="inspection", date=dt.date(2025, 3, 1), hours=25, title="x")


def test_tracking_code_is_unique(world: World) -> None:
    SuggestionFactory(station=world.station_a, tracking_code="ABCD2345EF")
    with pytest.raises(IntegrityError), transaction.atomic():
        SuggestionFactory(station=world.station_a, tracking_code="ABCD2345EF")


def test_one_active_lead_unit_per_hand_over(world: World) -> None:
    suggestion = SuggestionFactory(station=world.station_a)
    Assignment.objects.create(suggestion=suggestion, unit=world.unit_a, role=AssignmentRole.LEAD)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(suggestion=suggestion, unit=world.unit_b, role=AssignmentRole.LEAD)
    # After a return the old hand-over is inactive and a new lead may be named.
    Assignment.objects.filter(suggestion=suggestion).update(is_active=False)
    Assignment.objects.create(suggestion=suggestion, unit=world.unit_b, role=AssignmentRole.LEAD)
    assert suggestion.assignments.filter(is_active=True).get().unit == world.unit_b


def test_merged_state_needs_a_target_and_only_then(world: World) -> None:
    first = SuggestionFactory(station=world.station_a)
    second = SuggestionFactory(station=world.station_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.filter(pk=second.pk).update(state=State.MERGED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.filter(pk=second.pk).update(merged_into=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.filter(pk=second.pk).update(state=State.MERGED, merged_into=second)


def test_handed_over_suggestion_needs_unit_and_deadline(world: World) -> None:
    suggestion = SuggestionFactory(station=world.station_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.filter(pk=suggestion.pk).update(state=State.ASSIGNED)


def test_only_closed_suggestions_can_be_published(world: World) -> None:
    suggestion = SuggestionFactory(station=world.station_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.filter(pk=suggestion.pk).update(is_published=True)


def test_phone_last_four_kept_for_the_status_lookup(world: World) -> None:
    suggestion = SuggestionFactory(station=world.station_a, submitter_phone="138-1234-5678")
    assert suggestion.submitter_phone_last4 == "5678"


def test_membership_must_point_at_what_the_role_works_for(world: World) -> None:
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.STATION_STAFF, unit=world.unit_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.COMMITTEE_STAFF, station=world.station_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.UNIT_STAFF)
    Membership.objects.create(user=user, role=Role.UNIT_STAFF, unit=world.unit_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role=Role.UNIT_STAFF, unit=world.unit_a)
