"""Lists: query counts that do not grow with the page, keyset cursors that walk every row once,
and no COUNT or OFFSET in the SQL behind them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from notifications.models import Notification
from suggestions import workflow
from tests.api.conftest import token_client
from tests.conftest import World
from tests.factories import (
    CategoryFactory,
    DutyShiftFactory,
    HandlingUnitFactory,
    MandateFactory,
    RegionFactory,
    RepresentativeFactory,
    StationFactory,
    SuggestionFactory,
    VoterVisitFactory,
)
from tests.suggestions.workflow_builders import Cast, build

pytestmark = pytest.mark.django_db

ROWS = 12


def _many(world: World, admin: User) -> None:
    """ROWS of everything a list endpoint shows, with the relations their serializers read."""
    for i in range(ROWS):
        region = RegionFactory(code=f"35010200{i + 10}", parent=world.town_a, level="village")
        station = StationFactory(region=region)
        rep = RepresentativeFactory()
        rep.stations.add(station, world.station_a)
        MandateFactory(representative=rep, region=world.district_a)
        visit = VoterVisitFactory(station=station, occurred_at=timezone.now() - dt.timedelta(minutes=i))
        visit.representatives.add(rep)
        DutyShiftFactory(representative=rep, station=station)
        category = CategoryFactory()
        unit = HandlingUnitFactory(region=world.district_a)
        SuggestionFactory(station=station, category=category, lead_unit=unit)
        Notification.objects.create(recipient=admin, kind="k", title=f"通知{i}")


LISTS = [
    "/api/v1/regions/",
    "/api/v1/stations/",
    "/api/v1/visits/",
    "/api/v1/representatives/",
    "/api/v1/duty-shifts/",
    "/api/v1/categories/",
    "/api/v1/units/",
    "/api/v1/suggestions/",
    "/api/v1/notifications/",
]


def _get(client: Any, url: str, params: dict[str, Any]) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response, [q["sql"] for q in queries.captured_queries]


@pytest.mark.parametrize("url", LISTS)
def test_a_bigger_page_costs_no_more_queries(url: str, world: World, admin_user: User) -> None:
    _many(world, admin_user)
    client = token_client(admin_user)
    client.get(url)  # warm up: content types, the token's user, first-use caches
    small, small_sql = _get(client, url, {"page_size": 2})
    big, big_sql = _get(client, url, {"page_size": 10})
    assert len(small.json()["results"]) == 2
    assert len(big.json()["results"]) == 10
    assert len(big_sql) == len(small_sql), "\n".join(big_sql)
    assert len(big_sql) <= 8
    for sql in big_sql:
        assert "COUNT(" not in sql.upper()
        assert "OFFSET" not in sql.upper()


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("/api/v1/suggestions/", "tracking_code"),
        ("/api/v1/visits/", "id"),
        ("/api/v1/stations/", "id"),
        ("/api/v1/duty-shifts/", "id"),
        ("/api/v1/notifications/", "id"),
    ],
)
def test_following_next_walks_every_row_once(url: str, key: str, world: World, admin_user: User) -> None:
    _many(world, admin_user)
    client = token_client(admin_user)
    everything = [row[key] for row in client.get(url, {"page_size": 200}).json()["results"]]
    seen: list[Any] = []
    next_url: str | None = f"{url}?page_size=5"
    pages = 0
    while next_url:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(next_url).json()
        assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
        seen += [row[key] for row in page["results"]]
        next_url = page["next"]
        pages += 1
    assert seen == everything
    assert len(seen) == len(set(seen)) >= ROWS
    assert pages == -(-len(everything) // 5)


def test_a_deep_suggestion_page_is_a_keyset_query(world: World, admin_user: User) -> None:
    for _ in range(30):
        SuggestionFactory(station=world.station_a)
    client = token_client(admin_user)
    first = client.get("/api/v1/suggestions/", {"page_size": 10}).json()
    second_url = first["next"]
    with CaptureQueriesContext(connection) as queries:
        second = client.get(second_url).json()
    page_sql = [q["sql"] for q in queries.captured_queries if "suggestions_suggestion" in q["sql"]]
    assert len(page_sql) == 1
    assert '"suggestions_suggestion"."id" <' in page_sql[0]  # a position, not an offset
    assert second["results"][0]["tracking_code"] != first["results"][-1]["tracking_code"]


def test_filters_are_applied_after_scope(world: World, station_staff: User, admin_user: User) -> None:
    category = CategoryFactory(code="water", name="供水")
    mine = SuggestionFactory(station=world.station_a, category=category)
    SuggestionFactory(station=world.station_b, category=category)  # another station's: never listed
    SuggestionFactory(station=world.station_a)
    client = token_client(station_staff)
    listed = client.get("/api/v1/suggestions/", {"category": "water"}).json()["results"]
    assert [row["tracking_code"] for row in listed] == [mine.tracking_code]
    by_region = client.get("/api/v1/suggestions/", {"region": world.district_b.code}).json()["results"]
    assert by_region == []
    # A station that is not the caller's is not a valid choice.
    refused = client.get("/api/v1/suggestions/", {"station": world.station_b.pk})
    assert refused.status_code == 400
    admin = token_client(admin_user)
    region_b = admin.get("/api/v1/suggestions/", {"region": world.district_b.code}).json()["results"]
    assert len(region_b) == 1


def test_the_suggestion_filters_narrow_the_list(world: World, admin_user: User) -> None:
    from suggestions.models import Assignment

    today = timezone.localdate()
    late = SuggestionFactory(
        station=world.station_a,
        title="井盖缺失",
        state="in_progress",
        lead_unit=world.unit_a,
        reply_due=today - dt.timedelta(days=1),
        supervision_level=1,
        channel="hotline",
    )
    co = SuggestionFactory(
        station=world.station_b, state="assigned", lead_unit=world.unit_b, reply_due=today + dt.timedelta(days=9)
    )
    Assignment.objects.create(suggestion=co, unit=world.unit_a, role="co")
    fresh = SuggestionFactory(station=world.station_a, title="垃圾清运不及时", tracking_code="K7MQ3X9PRT")
    client = token_client(admin_user)

    def codes(**params: Any) -> set[str]:
        response = client.get("/api/v1/suggestions/", params)
        assert response.status_code == 200, response.json()
        return {row["tracking_code"] for row in response.json()["results"]}

    assert codes(overdue="true") == {late.tracking_code}
    assert codes(overdue="false") == {co.tracking_code, fresh.tracking_code}
    assert codes(unit=world.unit_a.code) == {late.tracking_code, co.tracking_code}
    assert codes(state=["in_progress", "assigned"]) == {late.tracking_code, co.tracking_code}
    assert codes(supervision_level=1) == {late.tracking_code}
    assert codes(channel="hotline") == {late.tracking_code}
    assert codes(q="井盖") == {late.tracking_code}
    assert codes(q="k7mq3-x9prt") == {fresh.tracking_code}  # as read out over the phone
    assert codes(region=world.town_b.code) == {co.tracking_code}
    assert codes(created_after=str(today), created_before=str(today)) == {
        late.tracking_code,
        co.tracking_code,
        fresh.tracking_code,
    }
    assert codes(created_before=str(today - dt.timedelta(days=1))) == set()


def test_other_lists_filter_too(world: World, admin_user: User, station_staff: User) -> None:
    client = token_client(admin_user)

    def ids(url: str, **params: Any) -> list[Any]:
        response = client.get(url, params)
        assert response.status_code == 200, response.json()
        return [row.get("code", row.get("id")) for row in response.json()["results"]]

    assert ids("/api/v1/regions/", parent=world.district_a.code) == [world.town_a.code]
    assert set(ids("/api/v1/regions/", within=world.district_a.code)) == {world.district_a.code, world.town_a.code}
    assert ids("/api/v1/stations/", region=world.district_b.code) == [world.station_b.pk]
    assert ids("/api/v1/units/", region=world.district_a.code) == [world.unit_a.code]
    rep = RepresentativeFactory(name="王代表")
    rep.stations.add(world.station_b)
    MandateFactory(representative=rep, level="city", region=world.city)
    assert ids("/api/v1/representatives/", station=world.station_b.pk) == [rep.pk]
    assert ids("/api/v1/representatives/", level="city") == [rep.pk]
    shift = DutyShiftFactory(representative=rep, station=world.station_b)
    assert ids("/api/v1/duty-shifts/", station=world.station_b.pk) == [shift.pk]
    day = timezone.localdate(shift.starts_at)
    assert ids("/api/v1/duty-shifts/", starts_after=str(day), starts_before=str(day)) == [shift.pk]
    visit = VoterVisitFactory(station=world.station_b)
    visit.representatives.add(rep)
    assert ids("/api/v1/visits/", representative=rep.pk) == [visit.pk]
    assert ids("/api/v1/visits/", station=world.station_a.pk, channel="reception") == []


def test_a_suggestion_detail_costs_the_same_however_long_its_history(cast: Cast) -> None:
    admin = cast.admin
    fresh, _ = build(cast, "in_progress")
    busy, _ = build(cast, "in_progress")
    busy = workflow.suggestion_supervise(suggestion=busy, actor=admin)
    busy = workflow.suggestion_request_extension(suggestion=busy, actor=admin, days=2, reason="协调")
    busy = workflow.suggestion_decide_extension(suggestion=busy, actor=admin, approve=True)
    client = token_client(admin)
    client.get(f"/api/v1/suggestions/{fresh.tracking_code}/")
    counts = []
    for suggestion in (fresh, busy):
        _, sql = _get(client, f"/api/v1/suggestions/{suggestion.tracking_code}/", {})
        counts.append(len(sql))
    assert counts[0] == counts[1]
    assert counts[1] <= 12


def test_a_list_page_says_what_each_suggestion_says_on_its_own(world: World, admin_user: User) -> None:
    """The list's rows are built directly for speed; each must equal DRF's field-by-field output."""
    from suggestions.api import SuggestionListSerializer
    from suggestions.models import Suggestion

    _many(world, admin_user)
    SuggestionFactory(station=None, region=world.district_b, category=None, lead_unit=None, channel="online")
    SuggestionFactory(station=world.station_a, supervision_level=2, urgency="urgent")
    body = token_client(admin_user).get("/api/v1/suggestions/?page_size=100").json()
    listed = {row["tracking_code"]: row for row in body["results"]}
    assert len(listed) == Suggestion.objects.count() >= ROWS + 2
    for suggestion in Suggestion.objects.select_related("category", "region", "station", "lead_unit"):
        alone = dict(SuggestionListSerializer(suggestion).data)  # DRF, field by field
        assert listed[suggestion.tracking_code] == alone
        assert list(listed[suggestion.tracking_code]) == list(alone)  # same order of fields
