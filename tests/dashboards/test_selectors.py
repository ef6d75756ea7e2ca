"""Dashboard figures against hand-computed ones (see conftest), through the summary and live."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext as _

from accounts.models import User
from dashboards.periods import Period
from dashboards.selectors import Dashboard, dashboard_get, dashboard_regions, dashboard_subject
from dashboards.services import stats_rebuild
from stations.models import Region
from suggestions.errors import WorkflowError
from tests.dashboards.conftest import TODAY, Data, at, suggestion, visit
from tests.factories import RegionFactory, StationFactory

pytestmark = pytest.mark.django_db

YEAR = Period.year(2025)


def _dashboard(
    user: User, *, region: Region | None = None, station_id: int | None = None, period: Period = YEAR
) -> Dashboard:
    subject = dashboard_subject(user=user, region_code=region.code if region else "", station_id=station_id)
    _up, down = dashboard_regions(user=user, subject=subject)
    return dashboard_get(subject=subject, period=period, children=down, today=TODAY)


def _assert_district_a(board: Dashboard) -> None:
    t = board.totals
    assert (t.visits, t.voters_received) == (4, 11)
    assert (t.collected, t.merged, t.resolved_on_spot, t.handed_over) == (6, 1, 1, 4)
    assert (t.replied, t.replied_with_due, t.replied_on_time, t.reply_overdue) == (3, 2, 1, 1)
    assert (t.closed, t.rated, t.satisfied, t.basically_satisfied, t.dissatisfied) == (2, 2, 1, 1, 0)
    assert t.on_time_rate == 33.3
    assert t.satisfaction_rate == 100.0
    assert t.average_days == 11.7  # (1 hour + 18 days + 17 days) / 3
    assert board.overdue_total == 2
    assert [(u.name, u.overdue, u.reply_overdue) for u in board.overdue_units] == [("鼓楼区住建局", 2, 1)]
    assert [(c.label, c.figures.collected) for c in board.categories] == [
        ("环境卫生", 3),
        ("道路交通", 2),
        (_("Not categorised"), 1),
    ]
    channels = {c.key: (c.figures.visits, c.figures.voters_received, c.figures.collected) for c in board.channels}
    assert channels == {"reception": (2, 5, 4), "night_talk": (1, 5, 2), "booth": (1, 1, 0)}
    months = [(s.day.month, s.figures.visits, s.figures.collected) for s in board.trend if s.day]
    assert months[:6] == [(1, 2, 1), (2, 1, 2), (3, 1, 1), (4, 0, 1), (5, 0, 1), (6, 0, 0)]
    assert len(months) == 12


def test_district_figures_from_the_summary_match_the_hand_count(data: Data, committee_staff: User) -> None:
    stats_rebuild()
    board = _dashboard(committee_staff)
    assert board.subject.region == data.world.district_a
    assert board.summarised
    _assert_district_a(board)


def test_district_figures_counted_live_match_the_summary(data: Data, committee_staff: User) -> None:
    # Before the summary is ever built, a district is counted live, with the same result.
    board = _dashboard(committee_staff)
    assert not board.summarised
    _assert_district_a(board)


def test_township_and_station_are_counted_live_with_the_same_figures(
    data: Data, committee_staff: User, station_staff: User
) -> None:
    stats_rebuild()
    town = _dashboard(committee_staff, region=data.world.town_a)
    assert not town.summarised
    _assert_district_a(town)
    station = _dashboard(station_staff)
    assert station.subject.stations == (data.world.station_a,)
    _assert_district_a(station)


def test_city_adds_up_both_districts(data: Data, city_committee_staff: User) -> None:
    stats_rebuild()
    board = _dashboard(city_committee_staff)
    t = board.totals
    assert (t.visits, t.voters_received, t.collected, t.replied, t.closed) == (5, 21, 8, 4, 3)
    assert t.on_time_rate == 40.0  # 2 on time of 3 replied with a deadline + 2 overdue
    assert t.satisfaction_rate == 66.7
    assert t.average_days == 11.8  # (35 days 1 hour + 12 days) / 4
    assert [(u.name, u.overdue) for u in board.overdue_units] == [("鼓楼区住建局", 2), ("台江区住建局", 1)]
    children = {c.label: (c.figures.visits, c.figures.collected, c.figures.satisfaction_rate) for c in board.children}
    assert children == {"鼓楼区": (4, 6, 100.0), "台江区": (1, 2, 0.0)}


def test_district_breakdown_lists_its_townships(data: Data, committee_staff: User) -> None:
    stats_rebuild()
    board = _dashboard(committee_staff)
    assert [(c.label, c.figures.collected, c.figures.visits) for c in board.children] == [("鼓东街道", 6, 4)]


def test_a_quarter_and_a_custom_range(data: Data, committee_staff: User, city_committee_staff: User) -> None:
    stats_rebuild()
    # A city reads daily rows for any range; a district's monthly rows cannot, so it is counted live.
    city = _dashboard(city_committee_staff, period=Period.custom(dt.date(2025, 2, 15), dt.date(2025, 3, 1)))
    assert city.summarised
    assert (city.totals.visits, city.totals.collected, city.totals.merged) == (2, 3, 1)
    assert not _dashboard(committee_staff, period=Period.custom(dt.date(2025, 2, 15), dt.date(2025, 3, 1))).summarised
    assert _dashboard(committee_staff, period=Period.quarter(2025, 1)).summarised
    q1 = _dashboard(committee_staff, period=Period.quarter(2025, 1)).totals
    assert (q1.visits, q1.collected, q1.merged) == (4, 4, 1)
    days = _dashboard(committee_staff, period=Period.custom(dt.date(2025, 2, 15), dt.date(2025, 3, 1)))
    assert (days.totals.visits, days.totals.collected) == (2, 3)
    assert days.period.daily
    assert len(days.trend) == 15
    assert days.trend[0].figures.collected == 2


def test_the_year_boundary_follows_beijing_time(data: Data, committee_staff: User) -> None:
    stats_rebuild()
    last_year = _dashboard(committee_staff, period=Period.year(2024)).totals
    # V4 at 23:30 on 31 December 2024 and S7; V5 at 00:30 on 1 January 2025 belongs to 2025.
    assert (last_year.visits, last_year.voters_received, last_year.collected) == (1, 4, 1)


def test_a_district_committee_never_sees_the_other_district(data: Data, committee_staff: User) -> None:
    stats_rebuild()
    with pytest.raises(WorkflowError) as refused:
        dashboard_subject(user=committee_staff, region_code=data.world.district_b.code)
    assert refused.value.status == 404
    with pytest.raises(WorkflowError):
        dashboard_subject(user=committee_staff, region_code=data.world.city.code)
    with pytest.raises(WorkflowError):
        dashboard_subject(user=committee_staff, station_id=data.world.station_b.pk)
    board = _dashboard(committee_staff)
    assert "台江区住建局" not in [u.name for u in board.overdue_units]
    assert board.totals.voters_received == 11


def test_station_staff_see_only_their_station(data: Data, station_staff: User) -> None:
    with pytest.raises(WorkflowError) as refused:
        dashboard_subject(user=station_staff, region_code=data.world.town_a.code)
    assert refused.value.status == 404
    with pytest.raises(WorkflowError):
        dashboard_subject(user=station_staff, station_id=data.world.station_b.pk)


def test_unit_staff_and_representatives_have_no_dashboard(unit_staff: User, representative_user: User) -> None:
    for user in (unit_staff, representative_user):
        with pytest.raises(WorkflowError) as refused:
            dashboard_subject(user=user)
        assert refused.value.status == 403


def test_an_administrator_starts_at_the_top(data: Data, admin_user: User) -> None:
    stats_rebuild()
    board = _dashboard(admin_user)
    assert board.subject.region == data.world.city
    assert board.totals.collected == 8


def _count_queries(user: User, region: Region | None = None) -> int:
    fresh = User.objects.get(pk=user.pk)  # no scope cached from earlier calls
    with CaptureQueriesContext(connection) as ctx:
        _dashboard(fresh, region=region)
    return len(ctx.captured_queries)


def _more_data(data: Data, numbers: range) -> None:
    """More suggestions and visits, each in a new village of 鼓东街道 with its own station."""
    w = data.world
    for i in numbers:
        village = RegionFactory(code=f"3501020010{i:02d}", name=f"村{i}", level="village", parent=w.town_a)
        station = StationFactory(region=village)
        month = 1 + i % 9
        visit(w, "station_a", at(f"2025-{month:02d}-0{month}"), "outreach", 2)
        s = suggestion(w, "station_a", at(f"2025-{month:02d}-1{month}"), state="received")
        type(s).objects.filter(pk=s.pk).update(station=station, region=village)


@pytest.mark.parametrize("level", ["district", "town", "station"])
def test_query_count_is_pinned_and_independent_of_data_size(
    data: Data, committee_staff: User, station_staff: User, level: str
) -> None:
    stats_rebuild()
    user = station_staff if level == "station" else committee_staff
    region = data.world.town_a if level == "town" else None
    _more_data(data, range(1))
    before = _count_queries(user, region)
    _more_data(data, range(1, 30))
    stats_rebuild()
    after = _count_queries(user, region)
    assert before == after
    assert after <= 13


def test_a_summarised_dashboard_is_cached_until_the_next_refresh(
    data: Data, committee_staff: User, unit_staff: User, frozen_today: object
) -> None:
    from dashboards.services import stats_refresh
    from suggestions import workflow

    stats_rebuild()
    first = _dashboard(committee_staff)
    assert first.summarised
    with CaptureQueriesContext(connection) as ctx:
        again = _dashboard(committee_staff)
    assert again.totals == first.totals
    assert not any("dashboards_dailystats" in q["sql"] or "suggestions_suggestion" in q["sql"] for q in ctx)
    # An answer arrives; once the summary is refreshed the cached figures are gone.
    workflow.suggestion_reply(suggestion=data.suggestions["S4"], actor=unit_staff, category="A", text="已修复。")
    stats_refresh()
    after = _dashboard(committee_staff)
    assert after.totals.replied == first.totals.replied + 1
    assert after.totals.reply_overdue == 0
