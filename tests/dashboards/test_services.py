"""The daily summary: idempotent, and an incremental refresh agrees with a full rebuild."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from dashboards.models import DailyStats, StatsState
from dashboards.periods import Period
from dashboards.selectors import dashboard_get, dashboard_subject
from dashboards.services import stats_rebuild, stats_refresh
from stations.models import RegionLevel, VisitChannel
from stations.services import visit_record
from suggestions import workflow
from suggestions.models import Rating
from tests.dashboards.conftest import TODAY, Data, at, suggestion
from tests.factories import RegionFactory, StationFactory

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple[Any, ...]]:
    fields = [f.attname for f in DailyStats._meta.concrete_fields if f.attname != "id"]
    return list(DailyStats.objects.order_by(*fields[:6]).values_list(*fields))


def district_a(user: User) -> Any:
    subject = dashboard_subject(user=user)
    return dashboard_get(subject=subject, period=Period.year(2025), today=TODAY).totals


def test_rebuilding_twice_gives_the_same_rows(data: Data) -> None:
    first = stats_rebuild()
    rows = snapshot()
    second = stats_rebuild()
    assert snapshot() == rows
    assert first.rows == second.rows == len(rows) > 0
    # Rows exist for the city and both districts, never for a township.
    assert set(DailyStats.objects.values_list("region__level", flat=True)) == {RegionLevel.CITY, RegionLevel.COUNTY}


def test_refreshing_twice_gives_the_same_rows(data: Data) -> None:
    stats_rebuild()
    rows = snapshot()
    assert stats_refresh().full is False
    assert snapshot() == rows
    stats_refresh()
    assert snapshot() == rows


def test_a_refresh_picks_up_workflow_actions_on_old_suggestions(
    data: Data, committee_staff: User, unit_staff: User, station_staff: User, frozen_today: object
) -> None:
    stats_rebuild()
    before = district_a(committee_staff)
    # S4, received on 1 March, is answered today; S2 is rated; a visit is logged today.
    workflow.suggestion_reply(suggestion=data.suggestions["S4"], actor=unit_staff, category="A", text="已修复。")
    workflow.suggestion_feedback(suggestion=data.suggestions["S2"], actor=station_staff, rating=Rating.SATISFIED)
    visit_record(
        actor=station_staff,
        station=data.world.station_a,
        channel=VisitChannel.OUTREACH,
        occurred_at=at("2025-06-20", 8),
        voters_received=7,
    )
    # Until the summary is refreshed the district shows the earlier figures.
    assert district_a(committee_staff).replied == before.replied == 3

    result = stats_refresh()
    assert not result.full
    after = district_a(committee_staff)
    assert (after.replied, after.closed, after.rated, after.visits, after.voters_received) == (4, 3, 3, 5, 18)
    assert after.replied_with_due == 3
    assert after.reply_overdue == 0  # S4 is no longer overdue
    assert after.on_time_rate == 33.3  # 1 of 3: S4 was answered three months late
    refreshed = snapshot()
    stats_rebuild()
    assert snapshot() == refreshed


def test_a_new_region_triggers_a_full_rebuild(data: Data) -> None:
    stats_rebuild()
    assert stats_refresh().full is False
    RegionFactory(code="350104", name="仓山区", level=RegionLevel.COUNTY, parent=data.world.city)
    result = stats_refresh()
    assert result.full is True
    state = StatsState.objects.get()
    assert state.rebuilt_at == state.refreshed_at


def test_suggestions_in_regions_below_a_new_county_are_summarised(data: Data, city_committee_staff: User) -> None:
    stats_rebuild()
    county = RegionFactory(code="350105", name="马尾区", level=RegionLevel.COUNTY, parent=data.world.city)
    station = StationFactory(region=county)

    s = suggestion(data.world, "station_a", at("2025-05-05"))
    type(s).objects.filter(pk=s.pk).update(station=station, region=county)
    stats_refresh()
    subject = dashboard_subject(user=city_committee_staff, region_code="350105")
    assert dashboard_get(subject=subject, period=Period.year(2025), today=TODAY).totals.collected == 1


def test_rebuild_stats_command_reports_what_it_did(data: Data) -> None:
    out = StringIO()
    call_command("rebuild_stats", stdout=out)
    assert "rebuilt" in out.getvalue()
    assert DailyStats.objects.exists()
    out = StringIO()
    call_command("rebuild_stats", "--changed", stdout=out)
    assert "refreshed" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_refresh_skips_while_another_run_holds_the_summary(data: Data) -> None:
    stats_rebuild()
    other = connection.copy()  # a second session, as a long nightly rebuild in another worker
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"SELECT id FROM {StatsState._meta.db_table} WHERE id = 1 FOR UPDATE")
            result = stats_refresh()
            assert result.skipped
            assert result.rows == 0
            cursor.execute("ROLLBACK")
        again = stats_refresh()
        assert not again.skipped
        assert again.rows > 0
    finally:
        other.close()
