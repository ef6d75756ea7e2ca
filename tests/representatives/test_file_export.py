"""The performance files 一人一档 in Excel: one row per representative whose file the viewer may
read, with the same year's totals as the file's page, and every export in the log."""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import User
from representatives.models import Representative
from representatives.selectors import performance_file
from suggestions.models import ExportLog
from tests.conftest import World
from tests.factories import RepresentativeFactory
from tests.representatives.test_selectors import activity, year_2025  # noqa: F401 - the year's data

pytestmark = pytest.mark.django_db

HEADERS = [
    "人大代表",
    "所在联络站",
    "年度",
    "履职活动",
    "时长（小时）",
    "参加接待次数",
    "接待选民人数",
    "接收意见建议",
    "其中现场办理",
    "其中已答复",
    "其中已办结",
    "其中正在办理",
    "选民已评价",
    "满意及基本满意",
    "选民满意率",
]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="performance-files-2025-')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows()]


@pytest.fixture
def colleague(world: World) -> Representative:
    """林代表 at station B (district B): outside district A's committee."""
    other = RepresentativeFactory(name="林代表")
    other.stations.add(world.station_b)
    activity(other, "2025-05-01", "reception", "2")
    return other


@pytest.mark.usefixtures("year_2025")
def test_committee_staff_export_the_files_of_their_region_with_the_files_totals(
    rep: Representative, colleague: Representative, committee_staff: User
) -> None:
    rows = sheet(signed_in(committee_staff).get("/representatives/files/export.xlsx", {"year": "2025"}))
    assert len(rows) == 2  # 陈代表 only
    row = rows[1]
    f = performance_file(representative=rep, year=2025)
    expected = [
        "陈代表",
        "鼓东街道代表联络站",
        2025,
        f.activity_count,
        float(f.activity_hours),
        f.visits_attended,
        f.voters_met,
        f.suggestions_received,
        f.resolved_on_spot,
        f.replied,
        f.closed,
        f.still_open,
        f.rated,
        f.satisfied,
    ]
    assert [cell.value for cell in row[:-1]] == expected
    assert expected[3:] == [4, 11.0, 2, 20, 4, 1, 3, 2, 1, 2, 1]
    rate = row[-1]
    assert (rate.value, rate.number_format) == (0.5, "0.0%")
    [log] = ExportLog.objects.all()
    assert (log.kind, log.row_count, log.personal_data, log.query) == ("representatives", 1, "none", "year=2025")


def test_the_headers_are_chinese(rep: Representative, committee_staff: User) -> None:
    rows = sheet(signed_in(committee_staff).get("/representatives/files/export.xlsx", {"year": "2025"}))
    assert [cell.value for cell in rows[0]] == HEADERS


def test_the_city_sees_both_districts_and_the_name_search_narrows_it(
    rep: Representative,
    colleague: Representative,
    city_committee_staff: User,
) -> None:
    client = signed_in(city_committee_staff)
    rows = sheet(client.get("/representatives/files/export.xlsx", {"year": "2025"}))
    assert sorted((r[0].value, r[3].value) for r in rows[1:]) == sorted([("林代表", 1), ("陈代表", 0)])
    rows = sheet(client.get("/representatives/files/export.xlsx", {"year": "2025", "q": "林"}))
    assert [r[0].value for r in rows[1:]] == ["林代表"]


def test_a_representative_exports_only_their_own_file_and_a_unit_nothing(
    rep: Representative, colleague: Representative, representative_user: User, unit_staff: User
) -> None:
    rows = sheet(signed_in(representative_user).get("/representatives/files/export.xlsx", {"year": "2025"}))
    assert [r[0].value for r in rows[1:]] == ["陈代表"]
    rows = sheet(signed_in(unit_staff).get("/representatives/files/export.xlsx", {"year": "2025"}))
    assert len(rows) == 1  # the header, no one's file


def test_a_wrong_year_is_refused_in_chinese_without_a_log(rep: Representative, committee_staff: User) -> None:
    response = signed_in(committee_staff).get("/representatives/files/export.xlsx", {"year": "二〇二五"}, follow=True)
    assert response.redirect_chain[-1][0] == "/representatives/files/"
    assert "请选择 2000 至 2100 年之间的年度。" in html.unescape(response.content.decode())
    assert ExportLog.objects.count() == 0


def test_the_export_costs_the_same_queries_for_one_or_many_representatives(
    world: World, rep: Representative, city_committee_staff: User
) -> None:
    client = signed_in(city_committee_staff)
    with CaptureQueriesContext(connection) as few:
        sheet(client.get("/representatives/files/export.xlsx", {"year": "2025"}))
    for n in range(30):
        RepresentativeFactory(name=f"代表{n:02d}").stations.add(world.station_b)
    with CaptureQueriesContext(connection) as many:
        sheet(client.get("/representatives/files/export.xlsx", {"year": "2025"}))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_file_list_offers_the_export_of_its_search_and_year(rep: Representative, committee_staff: User) -> None:
    page = html.unescape(
        signed_in(committee_staff).get("/representatives/files/", {"q": "陈", "year": "2025"}).content.decode()
    )
    assert 'href="/representatives/files/export.xlsx?q=%E9%99%88&year=2025" data-testid="export" data-export' in page
