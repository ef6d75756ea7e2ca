"""Station staff record suggestions only in their station's area (its region and below), so the
committee of that area sees them; committee staff anywhere in their region."""

from __future__ import annotations

import pytest

from stations.models import Region, RegionLevel
from suggestions.models import Suggestion, SuggestionEvent
from tests.api.conftest import token_client
from tests.factories import RegionFactory
from tests.suggestions.workflow_builders import Cast, record

pytestmark = pytest.mark.django_db

SUGGESTIONS = "/api/v1/suggestions/"


@pytest.fixture
def village_a(cast: Cast) -> Region:
    return RegionFactory(code="350102001001", name="鼓东社区", level=RegionLevel.VILLAGE, parent=cast.world.town_a)


def payload(cast: Cast, region: Region) -> dict[str, object]:
    return {
        "title": "路灯不亮",
        "content": "晚上路灯不亮。",
        "station": cast.world.station_a.pk,
        "region": region.code,
        "channel": "hotline",
        "submitter_name": "张三",
        "submitter_phone": "13812345678",
    }


def test_station_staff_cannot_file_into_another_districts_region(cast: Cast) -> None:
    station = token_client(cast.users["station_staff"])
    response = station.post(SUGGESTIONS, payload(cast, cast.world.town_b), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "region_out_of_scope"
    assert body["message"].startswith("“瀛洲街道”不在鼓东街道代表联络站的辖区内")
    assert body["fields"]["region"]
    assert Suggestion.objects.count() == 0
    assert SuggestionEvent.objects.count() == 0


def test_station_staff_file_into_their_stations_region_and_below(cast: Cast, village_a: Region) -> None:
    station = token_client(cast.users["station_staff"])
    response = station.post(SUGGESTIONS, payload(cast, village_a), format="json")
    assert response.status_code == 201
    code = response.json()["tracking_code"]
    # The district's committee, whose region holds the station, sees it; the other district's does not.
    committee = token_client(cast.users["committee_staff"])
    assert committee.get(f"{SUGGESTIONS}{code}/").status_code == 200
    other = token_client(cast.users["other_committee_staff"])
    assert other.get(f"{SUGGESTIONS}{code}/").status_code == 404


def test_a_station_above_the_district_is_not_a_way_around(cast: Cast) -> None:
    # A region above the station (its district) is outside the station's area too.
    station = token_client(cast.users["station_staff"])
    response = station.post(SUGGESTIONS, payload(cast, cast.world.district_a), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "region_out_of_scope"
    assert Suggestion.objects.count() == 0


def test_committee_staff_file_anywhere_in_their_region(cast: Cast) -> None:
    city = token_client(cast.users["city_committee_staff"])
    data = {**payload(cast, cast.world.town_b), "station": None}
    assert city.post(SUGGESTIONS, data, format="json").status_code == 201
    district = token_client(cast.users["committee_staff"])
    assert district.post(SUGGESTIONS, data, format="json").status_code == 403
    assert Suggestion.objects.count() == 1


def test_sorting_cannot_move_a_suggestion_out_of_the_stations_area(cast: Cast, village_a: Region) -> None:
    suggestion = record(cast)
    station = token_client(cast.users["station_staff"])
    url = f"{SUGGESTIONS}{suggestion.tracking_code}/sort/"
    refused = station.post(url, {"category": cast.category.code, "region": cast.world.town_b.code}, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "region_out_of_scope"
    row = Suggestion.objects.get(pk=suggestion.pk)
    assert (row.state, row.region_id, row.version) == ("received", cast.world.town_a.pk, suggestion.version)
    moved = station.post(url, {"category": cast.category.code, "region": village_a.code}, format="json")
    assert moved.status_code == 200
    assert Suggestion.objects.get(pk=suggestion.pk).region_id == village_a.pk
