"""The visit list in Excel: the viewer's visits with the list's filters, Chinese headers, text
that stays text, a visit's notes masked for anyone but its station's staff, the committee and
administrators, and every export in the log."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from exports.models import ExportJob, JobStatus
from representatives.models import Representative
from stations.models import VisitChannel, VoterVisit
from suggestions.models import ExportLog
from tests.conftest import World
from tests.exports.conftest import media, tasks_in_process  # noqa: F401 - fixtures
from tests.factories import SuggestionFactory, VoterVisitFactory

pytestmark = pytest.mark.django_db

NOTES = "张三先生反映：路灯坏了，电话13812345678。"
HEADERS = [
    "接待时间",
    "联络站",
    "地区",
    "接待方式",
    "接待选民人数",
    "在场代表",
    "地点",
    "备注",
    "意见建议",
    "登记人",
    "登记时间",
]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sheet(response: Any) -> list[list[Any]]:
    assert response.status_code == 200, response
    assert response["Content-Disposition"].startswith('attachment; filename="visits-')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows()]


def values(rows: list[list[Any]]) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in rows]


@pytest.fixture
def visits(world: World, representative_user: User, station_staff: User) -> dict[str, VoterVisit]:
    rep = Representative.objects.get(user=representative_user)
    attended = VoterVisitFactory(
        station=world.station_a, notes=NOTES, place="张三先生家门口", voters_received=3, recorded_by=station_staff
    )
    attended.representatives.add(rep)
    SuggestionFactory(station=world.station_a, visit=attended)
    formula = VoterVisitFactory(station=world.station_a, channel=VisitChannel.OUTREACH, notes='=HYPERLINK("x","y")')
    other_station = VoterVisitFactory(station=world.station_b, notes="瀛洲街道的接待")
    return {"attended": attended, "formula": formula, "other_station": other_station}


def test_station_staff_export_their_visits_in_full_and_formulas_stay_text(
    visits: dict[str, VoterVisit], station_staff: User
) -> None:
    rows = sheet(signed_in(station_staff).get("/visits/export.xlsx"))
    header, body = values(rows[:1])[0], rows[1:]
    assert header == HEADERS
    assert len(body) == 2  # station B's visit is not theirs
    by_notes = {row[7].value: row for row in body}
    attended = by_notes[NOTES]
    assert attended[1].value == "鼓东街道代表联络站"
    assert attended[4].value == 3  # a number stays a number
    assert attended[5].value == "陈代表"
    assert attended[6].value == "张三先生家门口"
    assert attended[8].value == 1
    formula = by_notes['=HYPERLINK("x","y")']
    assert formula[7].data_type == "s"
    assert formula[7].quotePrefix
    assert formula[3].value == "出站走访"
    [log] = ExportLog.objects.all()
    assert (log.kind, log.row_count, log.personal_data, log.query) == ("visits", 2, "full", "")


def test_a_representative_gets_the_visits_they_attended_with_the_voters_masked(
    visits: dict[str, VoterVisit], representative_user: User
) -> None:
    [row] = values(sheet(signed_in(representative_user).get("/visits/export.xlsx"))[1:])
    notes, place = row[7], row[6]
    assert "13812345678" not in notes
    assert "张三" not in notes
    assert "张**先生" in notes
    assert "路灯坏了" in notes
    assert place == "张**先生家门口"
    [log] = ExportLog.objects.all()
    assert (log.row_count, log.personal_data) == (1, "masked")


def test_the_list_filters_apply_and_a_wrong_one_is_refused_in_chinese(
    visits: dict[str, VoterVisit], station_staff: User, committee_staff: User
) -> None:
    client = signed_in(committee_staff)
    rows = values(sheet(client.get("/visits/export.xlsx", {"channel": "outreach"}))[1:])
    assert [row[7] for row in rows] == ['=HYPERLINK("x","y")']
    response = client.get("/visits/export.xlsx", {"date_from": "昨天"}, follow=True)
    assert response.redirect_chain[-1][0] == "/visits/?date_from=%E6%98%A8%E5%A4%A9"
    assert "请先修正筛选条件再导出。" in html.unescape(response.content.decode())
    assert list(ExportLog.objects.values_list("query", "row_count")) == [("channel=outreach", 1)]


def test_the_visit_list_offers_the_export_with_its_filters(visits: dict[str, VoterVisit], station_staff: User) -> None:
    page = html.unescape(signed_in(station_staff).get("/visits/", {"channel": "outreach"}).content.decode())
    assert 'href="/visits/export.xlsx?channel=outreach" data-testid="export" data-export' in page
    assert 'data-busy-label="正在导出…">导出 Excel</a>' in page


def test_a_long_visit_list_is_exported_by_a_job(
    visits: dict[str, VoterVisit],
    committee_staff: User,
    media: Path,  # noqa: F811
    settings: SettingsWrapper,
    tasks_in_process: None,  # noqa: F811
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.EXPORT_INSTANT_MAX_ROWS = 1
    client = signed_in(committee_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/visits/export.xlsx")
    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert (job.kind, job.status, job.rows_done) == ("visits", JobStatus.DONE, 2)
    assert "导出：接待记录清单" in html.unescape(client.get(response["Location"]).content.decode())
    download = client.get(f"/exports/{job.pk}/download/")
    rows = values(sheet(download))
    assert rows[0] == HEADERS
    assert {row[7] for row in rows[1:]} == {NOTES, '=HYPERLINK("x","y")'}
    assert ExportLog.objects.get().kind == "visits"
