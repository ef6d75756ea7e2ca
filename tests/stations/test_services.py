"""visit_record: a visit and its suggestions are saved together or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from representatives.models import Representative
from stations.models import VoterVisit
from stations.services import visit_record
from suggestions.errors import WorkflowError
from suggestions.models import Suggestion, SuggestionEvent
from suggestions.workflow import suggestion_record
from tests.conftest import World
from tests.factories import CategoryFactory, RepresentativeFactory, VoterVisitFactory

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


# --- Field work by representatives (issue 14 §7) -------------------------------------------------


@pytest.mark.parametrize(
    ("station", "channel", "code"),
    [
        ("a", "outreach", None),
        ("a", "night_talk", None),
        ("a", "booth", None),
        ("a", "reception", "channel_not_field_work"),
        ("a", "online", "channel_not_field_work"),
        ("a", "hotline", "channel_not_field_work"),
        ("a", "phone", "channel_not_field_work"),
        ("a", "letter", "channel_not_field_work"),
        ("b", "outreach", "not_allowed"),
    ],
)
def test_a_representative_logs_field_work_for_their_station_only(
    world: World, representative_user: User, station: str, channel: str, code: str | None
) -> None:
    """The table of field work: their station A, the three field channels; anything else refused."""
    where = world.station_a if station == "a" else world.station_b
    call = {
        "actor": representative_user,
        "station": where,
        "channel": channel,
        "occurred_at": timezone.now() - dt.timedelta(hours=1),
        "suggestions": [{"title": "路灯"}, {"title": "停车"}],
    }
    if code is not None:
        with pytest.raises(WorkflowError) as refused:
            visit_record(**call)  # type: ignore[arg-type]
        assert refused.value.code == code
        assert refused.value.status == (403 if code == "not_allowed" else 400)
        assert (VoterVisit.objects.count(), Suggestion.objects.count(), SuggestionEvent.objects.count()) == (0, 0, 0)
        return
    visit, recorded = visit_record(**call)  # type: ignore[arg-type]
    rep = Representative.objects.get(user=representative_user)
    assert list(visit.representatives.all()) == [rep]
    assert visit.recorded_by == representative_user
    assert [(s.station, s.representative, s.recorded_by, s.state) for s in recorded] == [
        (world.station_a, rep, representative_user, "received")
    ] * 2


def test_a_representative_records_a_suggestion_only_with_a_field_work_visit(
    world: World, representative_user: User
) -> None:
    """suggestion_record: a representative at station A records only through a field-work visit there."""
    outreach = VoterVisitFactory(station=world.station_a, channel="outreach")
    reception = VoterVisitFactory(station=world.station_a, channel="reception")
    common = {"actor": representative_user, "title": "路灯", "content": "路灯不亮", "region": world.town_a}
    s = suggestion_record(**common, station=world.station_a, visit=outreach, channel="outreach")  # type: ignore[arg-type]
    assert s.recorded_by == representative_user
    for refused_call in (
        {"station": world.station_a, "channel": "reception"},  # no visit: not field work
        {"station": world.station_a, "visit": reception, "channel": "reception"},
        {"station": world.station_b, "visit": outreach, "channel": "outreach"},
    ):
        with pytest.raises(WorkflowError) as refused:
            suggestion_record(**common, **refused_call)  # type: ignore[arg-type]
        assert refused.value.code == "not_allowed"
    assert Suggestion.objects.count() == 1


def test_station_staff_who_are_also_representatives_keep_station_rules(world: World, station_staff: User) -> None:
    """Staff of station A who also sit as a representative there log any channel, and name any
    receiving representative, as station staff do."""
    me = RepresentativeFactory(name="何代表", user=station_staff)
    me.stations.add(world.station_a)
    colleague = RepresentativeFactory(name="郑代表")
    visit, recorded = visit_record(
        actor=station_staff,
        station=world.station_a,
        channel="hotline",
        occurred_at=timezone.now(),
        suggestions=[{"title": "路灯", "representative": colleague}],
    )
    assert list(visit.representatives.all()) == []
    assert recorded[0].representative == colleague
