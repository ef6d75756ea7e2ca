"""visit_record: a visit and its suggestions are saved together or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from stations.models import VoterVisit
from stations.services import visit_record
from suggestions.errors import WorkflowError
from suggestions.models import Suggestion, SuggestionEvent
from tests.conftest import World
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_a_refused_suggestion_rolls_back_the_visit_and_the_others(world: World, station_staff: User) -> None:
    retired = CategoryFactory(code="old", name="已停用类别", is_active=False)
    with pytest.raises(WorkflowError) as refused:
        visit_record(
            actor=station_staff,
            station=world.station_a,
            channel="reception",
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            suggestions=[{"title": "第一条"}, {"title": "第二条", "category": retired}],
        )
    assert refused.value.data["row"] == 1
    assert "category" in refused.value.fields
    assert VoterVisit.objects.count() == 0
    assert Suggestion.objects.count() == 0
    assert SuggestionEvent.objects.count() == 0


def test_only_the_stations_own_staff_log_its_visits(world: World, other_station_staff: User) -> None:
    with pytest.raises(WorkflowError) as refused:
        visit_record(
            actor=other_station_staff,
            station=world.station_a,
            channel="reception",
            occurred_at=timezone.now(),
            suggestions=[{"title": "路灯"}],
        )
    assert refused.value.code == "not_allowed"
    assert VoterVisit.objects.count() == 0


def test_a_visit_in_the_future_is_refused_by_the_service_too(world: World, station_staff: User) -> None:
    with pytest.raises(WorkflowError) as refused:
        visit_record(
            actor=station_staff,
            station=world.station_a,
            channel="reception",
            occurred_at=timezone.now() + dt.timedelta(days=1),
        )
    assert refused.value.code == "visit_in_future"
    assert VoterVisit.objects.count() == 0
