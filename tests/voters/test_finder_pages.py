"""The finder at scale: search by station name or address, the voter's district first
(chosen on the page and remembered in a cookie), and keyset pages of a bounded size."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from stations.models import Station
from tests.factories import StationFactory
from tests.voters.conftest import Site
from voters.selectors import STATION_PAGE_SIZE, _word_filter
from voters.views import DISTRICT_COOKIE

pytestmark = pytest.mark.django_db


def _station_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/s/stations/(\d+)/"', html)]


def _parts(html: str) -> dict[str, list[int]]:
    return {part: _station_ids(body) for part, body in re.findall(r'data-part="(\w+)">(.*?)</ul>', html, re.S)}


def _next(html: str) -> str | None:
    found = re.search(r'href="\?([^"]+)" rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_search_finds_a_station_by_its_name(client: Client, site: Site) -> None:
    page = client.get(reverse("public:home"), {"q": "瀛洲街道代表"}).content.decode()
    assert _station_ids(page) == [site.world.station_b.pk]


def test_search_finds_a_station_by_its_address_alone(client: Client, site: Site) -> None:
    hidden = StationFactory(name="第三联络点", region=site.world.town_b, address="榕城广场东侧永安巷8号")
    page = client.get(reverse("public:home"), {"q": "永安巷"}).content.decode()
    assert _station_ids(page) == [hidden.pk]
    assert "永安巷" in page
    # Every word must match: the address's street and the district's name together.
    page = client.get(reverse("public:home"), {"q": "永安巷 鼓东"}).content.decode()
    assert _station_ids(page) == []


def test_the_stations_come_in_pages_that_follow_each_other(
    client: Client, site: Site, django_assert_max_num_queries: Any
) -> None:
    for i in range(2 * STATION_PAGE_SIZE + 5):
        StationFactory(name=f"鼓东{i:02d}号联络点", region=site.world.town_a)
    everyone = list(
        Station.objects.filter(region__path__startswith=site.world.town_a.path, is_active=True)
        .order_by("region__path", "name", "pk")
        .values_list("pk", flat=True)
    )
    seen: list[int] = []
    query: str | None = f"region={site.world.town_a.pk}"
    pages = 0
    while query is not None:
        with django_assert_max_num_queries(8):
            response = client.get(f"{reverse('public:home')}?{query}")
        assert response.status_code == 200
        html = response.content.decode()
        ids = _station_ids(html)
        assert 0 < len(ids) <= STATION_PAGE_SIZE
        seen.extend(ids)
        pages += 1
        if pages > 1:
            assert "第一页" in html
        query = _next(html)
    assert pages == 3
    assert seen == everyone  # each once, in place-then-name order, none skipped


def test_search_results_are_paged_too(client: Client, site: Site) -> None:
    for i in range(STATION_PAGE_SIZE + 3):
        StationFactory(name=f"社区{i:02d}号议事点", region=site.world.town_b)
    first = client.get(reverse("public:home"), {"q": "议事点"}).content.decode()
    assert len(_station_ids(first)) == STATION_PAGE_SIZE
    more = _next(first)
    assert more is not None
    assert "q=" in more
    second = client.get(f"{reverse('public:home')}?{more}").content.decode()
    assert len(_station_ids(second)) == 3
    assert set(_station_ids(first)).isdisjoint(_station_ids(second))
    assert _next(second) is None


def test_the_chosen_district_comes_first_and_is_remembered(client: Client, site: Site) -> None:
    world = site.world
    home = reverse("public:home")
    # Without a choice: the city's stations by place, district A (鼓楼区, 350102) before B.
    ids = _station_ids(client.get(home).content.decode())
    assert ids.index(world.station_a.pk) < ids.index(world.station_b.pk)

    response = client.get(home, {"district": world.district_b.pk})
    assert response.cookies[DISTRICT_COOKIE].value == str(world.district_b.pk)
    assert response.cookies[DISTRICT_COOKIE]["httponly"]
    html = response.content.decode()
    parts = _parts(html)
    assert parts["district"] == [world.station_b.pk]
    assert world.station_a.pk in parts["other"]
    assert re.search(rf'<h3 class="list-group">[^<]*{world.district_b.name}</h3>', html)

    # The next visit remembers it (the cookie), and the select shows it chosen.
    html = client.get(home).content.decode()
    assert _parts(html)["district"] == [world.station_b.pk]
    assert re.search(rf'<option value="{world.district_b.pk}" selected>', html)
    # A search puts the district's matches first as well.
    parts = _parts(client.get(home, {"q": "街道"}).content.decode())
    assert parts["district"] == [world.station_b.pk]
    assert world.station_a.pk in parts["other"]

    # "Not chosen" forgets it.
    response = client.get(home, {"district": ""})
    assert response.cookies[DISTRICT_COOKIE].value == ""
    assert "data-part=" not in response.content.decode()


def test_district_first_carries_on_across_pages(client: Client, site: Site) -> None:
    world = site.world
    mine = [StationFactory(name=f"瀛洲{i:02d}号联络点", region=world.town_b).pk for i in range(STATION_PAGE_SIZE)]
    home = reverse("public:home")
    first = client.get(home, {"district": world.district_b.pk}).content.decode()
    parts = _parts(first)
    assert len(parts["district"]) == STATION_PAGE_SIZE
    assert "other" not in parts
    more = _next(first)
    assert more is not None
    second = _parts(client.get(f"{home}?{more}").content.decode())
    # The district's last station opens page two, then the rest of the city.
    assert len(second["district"]) == 1
    assert set(second["district"]) | set(parts["district"]) == {*mine, world.station_b.pk}
    assert world.station_a.pk in second["other"]


def test_a_bad_district_or_cursor_is_ignored(client: Client, site: Site) -> None:
    home = reverse("public:home")
    client.cookies[DISTRICT_COOKIE] = "not-a-number"
    for params in ({"district": "999999"}, {"district": "abc"}, {"after": "-3"}, {"after": "99999999"}, {}):
        response = client.get(home, params)
        assert response.status_code == 200
        assert site.world.station_a.pk in _station_ids(response.content.decode())
    # A township is not a district: refused as a choice, nothing remembered.
    response = client.get(home, {"district": site.world.town_a.pk})
    assert response.cookies[DISTRICT_COOKIE].value == ""


def test_a_search_of_three_characters_can_use_the_trigram_indexes(site: Site) -> None:
    """The indexes of stations migration 0002 match the SQL of Django's icontains: with the
    planner told not to scan tables or walk whole indexes (the test tables are tiny), the search reads them."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = Station.objects.filter(_word_filter("永安巷")).order_by().explain()
    assert "station_name_trgm_idx" in plan, plan
    assert "station_address_trgm_idx" in plan
