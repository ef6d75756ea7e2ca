"""The handling units' league table in Excel: the units of the viewer's dashboard region, ranked
as on the public page, rates as percentages, Chinese headers, every export in the log; offered
on the dashboard and, to staff, on the public league page."""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from accounts.models import User
from dashboards.league import unit_league
from suggestions.models import ExportLog
from tests.conftest import World
from tests.dashboards.conftest import Data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

HEADERS = [
    "名次",
    "承办单位",
    "地区",
    "已交办",
    "已答复",
    "按时答复率",
    "首次满意率",
    "最终满意率",
    "办成率",
    "平均办理工作日",
    "答复超期",
]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows()]


def test_a_district_committee_exports_the_league_of_its_units(data: Data, world: World, committee_staff: User) -> None:
    response = signed_in(committee_staff).get("/dashboards/league.xlsx")
    assert response["Content-Disposition"].startswith('attachment; filename="league-350102-')
    rows = sheet(response)
    assert [cell.value for cell in rows[0]] == HEADERS
    [expected] = unit_league(region=world.district_a)
    [row] = rows[1:]  # unit B lies in district B
    values = [cell.value for cell in row]
    assert values[:5] == [1, world.unit_a.name, "鼓楼区", expected.handed_over, expected.replied]
    on_time = row[5]
    assert expected.on_time_rate is not None
    assert on_time.value == pytest.approx(expected.on_time_rate / 100)
    assert on_time.number_format == "0.0%"
    assert values[9] == expected.average_working_days
    assert values[10] == expected.figures.reply_overdue
    [log] = ExportLog.objects.all()
    assert (log.kind, log.row_count, log.personal_data) == ("league", 1, "none")


def test_the_city_gets_every_unit_in_the_order_of_the_public_page(
    data: Data, world: World, city_committee_staff: User
) -> None:
    rows = sheet(signed_in(city_committee_staff).get("/dashboards/league.xlsx", {"region": world.city.code}))
    assert [(row[0].value, row[1].value) for row in rows[1:]] == [
        (rank, unit.name) for rank, unit in enumerate(unit_league(region=world.city), start=1)
    ]
    assert len(rows) == 3


def test_a_region_outside_the_viewers_area_or_no_dashboard_is_refused(
    data: Data, world: World, committee_staff: User, unit_staff: User
) -> None:
    response = signed_in(committee_staff).get("/dashboards/league.xlsx", {"region": world.district_b.code}, follow=True)
    assert response.redirect_chain[0][0] == "/dashboards/"
    assert response.status_code == 200  # the viewer's own dashboard, saying why
    assert "该地区或联络站不存在，或不在您负责的范围内。" in html.unescape(response.content.decode())
    response = signed_in(unit_staff).get("/dashboards/league.xlsx")
    assert response.status_code == 302
    assert ExportLog.objects.count() == 0


def test_the_dashboard_and_the_public_league_page_offer_the_export(
    data: Data, world: World, committee_staff: User
) -> None:
    client = signed_in(committee_staff)
    page = html.unescape(client.get("/dashboards/", {"period": "year", "year": "2025"}).content.decode())
    assert f'href="/dashboards/league.xlsx?region={world.district_a.code}" data-testid="league-export"' in page
    public = html.unescape(client.get("/s/units/").content.decode())
    assert 'href="/dashboards/league.xlsx" data-testid="league-export"' in public
    assert 'data-testid="league-export"' not in Client().get("/s/units/").content.decode()
