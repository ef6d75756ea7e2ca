"""The performance file 一人一档 adds up a representative's year; who may read it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from representatives.models import Activity, Representative
from representatives.selectors import performance_file, representative_file_get, representative_file_list
from stations.models import VoterVisit
from suggestions.models import Rating, State, Suggestion
from tests.conftest import World
from tests.factories import RepresentativeFactory, StationFactory, SuggestionFactory, VoterVisitFactory
from tests.representatives.conftest import TZ

pytestmark = pytest.mark.django_db


def activity(rep: Representative, day: str, kind: str, hours: str) -> None:
    Activity.objects.create(
        representative=rep, kind=kind, date=dt.date.fromisoformat(day), hours=Decimal(hours), title=kind
    )


def visit(world: World, rep: Representative | None, day: str, voters: int) -> None:
    v = VoterVisitFactory(station=world.station_a, voters_received=voters)
    VoterVisit.objects.filter(pk=v.pk).update(occurred_at=dt.datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=TZ))
    if rep is not None:
        v.representatives.add(rep)


def received(world: World, rep: Representative | None, day: str, **fields: object) -> None:
    s = SuggestionFactory(station=world.station_a, representative=rep)
    created = dt.datetime.fromisoformat(f"{day}T10:00").replace(tzinfo=TZ)
    Suggestion.objects.filter(pk=s.pk).update(created_at=created, **fields)


@pytest.fixture
def year_2025(world: World, rep: Representative) -> None:
    other = RepresentativeFactory()
    activity(rep, "2025-01-05", "reception", "3")
    activity(rep, "2025-03-15", "reception", "2.5")
    activity(rep, "2025-04-01", "inspection", "4")
    activity(rep, "2025-12-31", "training", "1.5")
    activity(rep, "2024-12-31", "training", "8")  # last year
    activity(other, "2025-02-02", "reception", "6")  # someone else
    visit(world, rep, "2025-01-05", 12)
    visit(world, rep, "2025-03-15", 8)
    visit(world, None, "2025-03-16", 30)  # without them
    visit(world, rep, "2024-12-31", 5)  # last year
    now = dt.datetime(2025, 3, 20, 10, tzinfo=TZ)
    received(
        world,
        rep,
        "2025-01-05",
        state=State.CLOSED,
        reply_category="A",
        replied_at=now,
        resolved_on_spot=True,
        rating=Rating.SATISFIED,
        closed_at=now,
    )
    received(world, rep, "2025-01-05", state=State.REPLIED, reply_category="B", replied_at=now)
    received(
        world,
        rep,
        "2025-03-15",
        state=State.CLOSED,
        reply_category="C",
        replied_at=now,
        rating=Rating.DISSATISFIED,
        closed_at=now,
    )
    received(world, rep, "2025-03-15")  # still received
    received(world, rep, "2024-06-01")  # last year
    received(world, None, "2025-03-15")  # nobody's


def test_the_file_sums_activities_visits_and_suggestions(rep: Representative, year_2025: None) -> None:
    f = performance_file(representative=rep, year=2025)
    kinds = {k.kind: (k.count, k.hours) for k in f.kinds}
    assert kinds["reception"] == (2, Decimal("5.5"))
    assert kinds["inspection"] == (1, Decimal("4"))
    assert kinds["training"] == (1, Decimal("1.5"))
    assert kinds["report"] == (0, Decimal(0))
    assert len(f.kinds) == 8  # every kind is listed, also the ones without activities
    assert (f.activity_count, f.activity_hours) == (4, Decimal("11.0"))
    assert [a.date.isoformat() for a in f.activities] == ["2025-12-31", "2025-04-01", "2025-03-15", "2025-01-05"]
    assert (f.visits_attended, f.voters_met) == (2, 20)
    assert (f.suggestions_received, f.resolved_on_spot, f.replied, f.closed, f.still_open) == (4, 1, 3, 2, 1)
    assert (f.rated, f.satisfied, f.satisfaction_rate) == (2, 1, 50.0)
    assert [s.name for s in f.stations] == ["鼓东街道代表联络站"]


def test_the_file_of_an_empty_year_is_all_zeros(rep: Representative, year_2025: None) -> None:
    f = performance_file(representative=rep, year=2023)
    assert (f.activity_count, f.visits_attended, f.suggestions_received, f.satisfaction_rate) == (0, 0, 0, None)


def test_the_file_costs_the_same_queries_however_full_the_year(
    rep: Representative, world: World, year_2025: None
) -> None:
    with CaptureQueriesContext(connection) as small:
        performance_file(representative=rep, year=2025)
    for i in range(20):
        activity(rep, f"2025-05-{i + 1:02d}", "investigation", "1")
        visit(world, rep, f"2025-05-{i + 1:02d}", 2)
        received(world, rep, f"2025-05-{i + 1:02d}")
    rep.stations.add(StationFactory())
    with CaptureQueriesContext(connection) as large:
        performance_file(representative=rep, year=2025)
    assert len(large.captured_queries) == len(small.captured_queries) <= 6


def test_committee_staff_read_files_of_representatives_at_stations_in_their_region(
    rep: Representative,
    committee_staff: User,
    other_committee_staff: User,
    city_committee_staff: User,
    station_staff: User,
    admin_user: User,
    representative_user: User,
) -> None:
    for reader in (committee_staff, city_committee_staff, admin_user, representative_user):
        assert representative_file_get(user=reader, pk=rep.pk) == rep
    for outsider in (other_committee_staff, station_staff):
        with pytest.raises(Representative.DoesNotExist):
            representative_file_get(user=outsider, pk=rep.pk)
    assert [r.name for r in representative_file_list(user=committee_staff)] == ["陈代表"]
    assert representative_file_list(user=other_committee_staff) == []


def test_another_representative_cannot_read_the_file(rep: Representative, world: World) -> None:
    from tests.factories import UserFactory

    other = RepresentativeFactory(user=UserFactory(username="rep_b"))
    other.stations.add(world.station_a)
    assert other.user is not None
    with pytest.raises(Representative.DoesNotExist):
        representative_file_get(user=other.user, pk=rep.pk)


def test_the_file_list_pages_by_name(world: World, city_committee_staff: User) -> None:
    for name in ["王五", "李四", "张三", "赵六"]:
        RepresentativeFactory(name=name).stations.add(world.station_b)
    first = representative_file_list(user=city_committee_staff, limit=2)
    second = representative_file_list(user=city_committee_staff, after=(first[-1].name, first[-1].pk), limit=2)
    names = [r.name for r in first + second]
    assert names == sorted(names)
    assert len(set(names)) == 4
    assert [r.name for r in representative_file_list(user=city_committee_staff, search="张")] == ["张三"]
