"""The visit screen places each suggestion in the station's area: its own region, or one below it."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from accounts.models import Role, User
from accounts.services import membership_grant
from stations.models import Region, RegionLevel, VoterVisit
from suggestions.models import Suggestion
from tests.conftest import World
from tests.factories import RegionFactory, StationFactory, UserFactory
from tests.stations.test_views import nothing_saved, visit_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def village_a(world: World) -> Region:
    return RegionFactory(code="350102001001", name="鼓东社区", level=RegionLevel.VILLAGE, parent=world.town_a)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_screen_offers_the_stations_area_only(world: World, station_staff: User, village_a: Region) -> None:
    page = html.unescape(signed_in(station_staff).get("/visits/new/").content.decode())
    assert "鼓东社区" in page
    assert "瀛洲街道" not in page


def test_a_suggestion_placed_in_a_village_of_the_station(world: World, station_staff: User, village_a: Region) -> None:
    response = signed_in(station_staff).post(
        "/visits/new/", visit_data(world, {"title": "路灯不亮", "region": str(village_a.pk)})
    )
    assert response.status_code == 302
    assert Suggestion.objects.get().region == village_a


def test_a_region_outside_the_area_is_refused_and_nothing_saved(world: World, station_staff: User) -> None:
    response = signed_in(station_staff).post(
        "/visits/new/", visit_data(world, {"title": "路灯不亮", "region": str(world.town_b.pk)})
    )
    assert response.status_code == 400
    assert "请选择联络站辖区内的区域" in html.unescape(response.content.decode())
    nothing_saved()


def test_staff_of_two_stations_cannot_place_one_stations_suggestion_in_the_others_area(world: World) -> None:
    # Both areas are offered (the user works for both stations), but each suggestion must lie in
    # the area of the visit's own station: the service refuses the row, with the reason beside it.
    user = UserFactory(username="two_stations")
    membership_grant(user=user, role=Role.STATION_STAFF, station=world.station_a)
    membership_grant(user=user, role=Role.STATION_STAFF, station=world.station_b)
    response = signed_in(user).post(
        "/visits/new/",
        visit_data(world, {"title": "路灯不亮", "region": str(world.town_b.pk)}, station=world.station_a.pk),
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "“瀛洲街道”不在鼓东街道代表联络站的辖区内" in page
    assert VoterVisit.objects.count() == 0
    nothing_saved()


def test_a_liaison_point_in_a_village_records_there(world: World, village_a: Region) -> None:
    point = StationFactory(name="鼓东社区代表联络点", region=village_a)
    user = UserFactory(username="point_staff")
    membership_grant(user=user, role=Role.STATION_STAFF, station=point)
    page = html.unescape(signed_in(user).get("/visits/new/").content.decode())
    assert "鼓东街道" not in page.split('name="s-0-region"')[1].split("</select>")[0]
    response = signed_in(user).post("/visits/new/", visit_data(world, {"title": "路灯"}, station=point.pk))
    assert response.status_code == 302
    assert Suggestion.objects.get().region == village_a
