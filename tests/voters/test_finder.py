"""Finding a station, its page, a representative's contact card and the QR codes."""

from __future__ import annotations

import re
from typing import Any

import pytest
import segno
from django.test import Client
from django.urls import reverse

from representatives.models import DutyShift
from tests.factories import RepresentativeFactory, StationFactory
from tests.voters.conftest import Site, shift

pytestmark = pytest.mark.django_db


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_home_drills_down_from_the_city_to_a_township(client: Client, site: Site) -> None:
    world = site.world
    page = text_of(client.get(reverse("public:home")))
    # One root (the city): the finder starts there and offers its districts.
    assert world.district_a.name in page
    assert world.district_b.name in page
    page = text_of(client.get(reverse("public:home"), {"region": world.district_a.pk}))
    assert world.town_a.name in page
    assert world.station_a.name in page
    assert world.station_b.name not in page  # in district B
    page = text_of(client.get(reverse("public:home"), {"region": world.town_b.pk}))
    assert world.station_b.name in page
    assert world.station_a.name not in page


def test_search_by_place_name_finds_stations_and_regions(client: Client, site: Site) -> None:
    page = text_of(client.get(reverse("public:home"), {"q": "瀛洲"}))
    assert site.world.station_b.name in page
    assert site.world.station_a.name not in page
    assert f"?region={site.world.town_b.pk}" in page
    page = text_of(client.get(reverse("public:home"), {"q": "没有这个地方"}))
    assert site.world.station_a.name not in page


def test_search_input_is_inert_and_bounded(client: Client, site: Site) -> None:
    response = client.get(reverse("public:home"), {"q": "<script>alert(1)</script>" + "x" * 500})
    assert response.status_code == 200
    assert b"<script>alert(1)" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_inactive_station_is_not_found(client: Client, site: Site) -> None:
    closed = StationFactory(name="已撤销联络站", region=site.world.town_a, is_active=False)
    assert client.get(reverse("public:station", args=[closed.pk])).status_code == 404
    assert closed.name not in text_of(client.get(reverse("public:home"), {"q": "撤销"}))
    assert client.get(reverse("public:station", args=[999999])).status_code == 404


def test_station_page_shows_facts_representatives_and_this_and_next_weeks_duty(
    client: Client, site: Site, django_assert_max_num_queries: Any
) -> None:
    other = RepresentativeFactory(name="林芳代表")
    other.stations.add(site.world.station_a)
    this_week = shift(site, weeks=0, day=2)
    next_week = shift(site, weeks=1, day=4, rep=other)
    later = shift(site, weeks=3, day=1)
    elsewhere = DutyShift.objects.create(
        representative=other,
        station=site.world.station_b,
        starts_at=this_week.starts_at,
        ends_at=this_week.ends_at,
    )
    with django_assert_max_num_queries(8):
        response = client.get(reverse("public:station", args=[site.world.station_a.pk]))
    page = text_of(response)
    station = site.world.station_a
    for fact in (station.name, station.address, station.phone, station.opening_hours, "说事驿站", "★★★★★"):
        assert fact in page
    assert "陈明代表" in page
    assert "林芳代表" in page
    assert "13800000000" not in page  # a representative's own phone is not public
    this_part, next_part = page.split("<h3>", 2)[1:3]
    assert f"{this_week.starts_at:%m-%d}" in this_part
    assert f"{next_week.starts_at:%m-%d}" in next_part
    assert f"{later.starts_at:%m-%d}" not in page
    assert elsewhere.station_id != station.pk
    assert reverse("public:station_qr", args=[station.pk]) in page
    assert reverse("public:station_suggest", args=[station.pk]) in page


def _svg_matrix(svg: bytes) -> list[list[bool]]:
    """Read the dark modules back from segno's SVG path (rows of 'M x y.5 h n m ...')."""
    text = svg.decode()
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', text).group(1))  # type: ignore[union-attr]
    grid = [[False] * size for _ in range(size)]
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', text).group(1)  # type: ignore[union-attr]
    x = y = 0.0
    for cmd, a, b in re.findall(r"([Mmhv])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if cmd == "M":
            x, y = float(a), float(b)
        elif cmd == "m":
            x, y = x + float(a), y + float(b)
        elif cmd == "h":
            for i in range(int(float(a))):
                grid[int(y)][int(x) + i] = True
            x += float(a)
    return grid


def test_station_qr_code_is_an_svg_leading_to_the_station_page(client: Client, site: Site, settings: Any) -> None:
    settings.SITE_URL = "https://lianluo.example.gov.cn"
    station = site.world.station_a
    response = client.get(reverse("public:station_qr", args=[station.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    expected = segno.make(f"https://lianluo.example.gov.cn/s/stations/{station.pk}/", error="m", micro=False)
    border = 4
    want = [[bool(v) for v in row] for row in expected.matrix]
    got = _svg_matrix(response.content)
    assert [row[border:-border] for row in got[border:-border]] == want


def test_poster_page_is_printable_with_a_large_qr_code(client: Client, site: Site) -> None:
    station = site.world.station_a
    page = text_of(client.get(reverse("public:station_poster", args=[station.pk])))
    assert "poster-qr" in page
    assert reverse("public:station_qr", args=[station.pk]) in page
    assert station.opening_hours in page


def test_representative_card_shows_seats_stations_duty_and_leads_to_a_form(client: Client, site: Site) -> None:
    upcoming = shift(site, weeks=1)
    response = client.get(reverse("public:representative", args=[site.rep.pk]))
    page = text_of(response)
    assert "陈明代表" in page
    assert site.world.district_a.name in page
    assert site.world.city.name in page
    assert site.world.station_a.name in page
    assert f"{upcoming.starts_at:%m-%d}" in page
    assert reverse("public:representative_suggest", args=[site.rep.pk]) in page
    assert reverse("public:representative_qr", args=[site.rep.pk]) in page
    assert site.rep.phone not in page
    qr = client.get(reverse("public:representative_qr", args=[site.rep.pk]))
    assert qr["Content-Type"] == "image/svg+xml"


def test_inactive_representative_is_not_found(client: Client, site: Site) -> None:
    gone = RepresentativeFactory(name="离任代表", is_active=False)
    assert client.get(reverse("public:representative", args=[gone.pk])).status_code == 404
    assert client.get(reverse("public:representative_suggest", args=[gone.pk])).status_code == 404


def test_pages_are_chinese_by_default_and_have_no_inline_script(client: Client, site: Site) -> None:
    response = client.get(reverse("public:home"))
    assert b'<html lang="zh-hans">' in response.content
    assert re.search(rb"<script>(?!\s*</script>)", response.content) is None
    assert b"<script src=" in response.content
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_finder_and_card_pages_use_few_queries(client: Client, site: Site, django_assert_max_num_queries: Any) -> None:
    for i in range(5):
        StationFactory(name=f"鼓东{i}号联络点", region=site.world.town_a)
        shift(site, weeks=0, day=i % 5)
    with django_assert_max_num_queries(6):
        client.get(reverse("public:home"), {"region": site.world.town_a.pk})
    with django_assert_max_num_queries(6):
        client.get(reverse("public:home"), {"q": "鼓东"})
    with django_assert_max_num_queries(8):
        client.get(reverse("public:representative", args=[site.rep.pk]))


def test_english_is_available(client: Client, site: Site) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("public:home")}, follow=True)
    assert b'<html lang="en">' in response.content
