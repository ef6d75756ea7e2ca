"""Exports of the voters' personal data: masked for handling units and representatives, in full
for station and committee staff, and every export written to the log that administrators read."""

from __future__ import annotations

import html
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from suggestions.models import ExportLog, State, Suggestion
from tests.factories import UserFactory
from tests.suggestions.workflow_builders import Cast, build

pytestmark = pytest.mark.django_db

NAME, PHONE, ADDRESS = 11, 12, 13  # columns of the voter's name, phone and address
CONTENT = 2


def signed_in(cast: Cast, persona: str) -> Client:
    client = Client()
    user = cast.users[persona]
    assert user is not None
    client.force_login(user)
    return client


def sheet_rows(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()][1:]


@pytest.fixture
def handed_over(cast: Cast) -> Suggestion:
    """In progress at unit A, received by the representative; the voter's phone is also in the text."""
    suggestion, _token = build(cast, State.IN_PROGRESS)
    Suggestion.objects.filter(pk=suggestion.pk).update(
        content="张三说：晚上路灯不亮，有事打13812345678。", submitter_address="鼓东路8号3单元"
    )
    return suggestion


@pytest.mark.parametrize("persona", ["unit_staff", "representative_user"])
def test_a_units_and_a_representatives_export_masks_the_voter(
    cast: Cast, handed_over: Suggestion, persona: str
) -> None:
    [row] = sheet_rows(signed_in(cast, persona).get("/suggestions/export.xlsx", {"state": "in_progress"}))
    assert row[NAME] == "张**"
    assert row[PHONE] == "138****5678"
    assert row[ADDRESS] == "***"
    assert "13812345678" not in row[CONTENT]
    assert "138****5678" in row[CONTENT]
    assert "张三" not in row[CONTENT]
    [log] = ExportLog.objects.all()
    assert (log.row_count, log.personal_data, log.query, log.kind) == (1, "masked", "state=in_progress", "suggestions")
    assert log.user == cast.users[persona]


@pytest.mark.parametrize("persona", ["committee_staff", "station_staff", "admin_user"])
def test_station_and_committee_staff_export_the_voter_in_full(
    cast: Cast, handed_over: Suggestion, persona: str
) -> None:
    [row] = sheet_rows(signed_in(cast, persona).get("/suggestions/export.xlsx"))
    assert (row[NAME], row[PHONE], row[ADDRESS]) == ("张三", "13812345678", "鼓东路8号3单元")
    assert "13812345678" in row[CONTENT]
    [log] = ExportLog.objects.all()
    assert (log.row_count, log.personal_data, log.query) == (1, "full", "")


def test_each_export_writes_one_log_row_with_its_count_and_filters(cast: Cast) -> None:
    for state in (State.RECEIVED, State.SORTED, State.PROPOSED):
        build(cast, state)
    committee = signed_in(cast, "committee_staff")
    assert len(sheet_rows(committee.get("/suggestions/export.xlsx"))) == 3
    assert len(sheet_rows(committee.get("/suggestions/export.xlsx", {"state": ["received", "sorted"]}))) == 2
    assert len(sheet_rows(committee.get("/suggestions/export.xlsx", {"q": "不存在的词"}))) == 0
    logs = list(ExportLog.objects.order_by("id").values_list("query", "row_count", "personal_data"))
    assert logs == [
        ("", 3, "full"),
        ("state=received&state=sorted", 2, "full"),
        ("q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E8%AF%8D", 0, "none"),
    ]
    assert set(ExportLog.objects.values_list("roles", flat=True)) == {"committee_staff"}


def test_a_refused_export_is_not_logged(cast: Cast) -> None:
    committee = signed_in(cast, "committee_staff")
    committee.get("/suggestions/export.xlsx", {"created_after": "昨天"})
    committee.get("/suggestions/export.xlsx", {"queue": "no-such-queue"})
    assert ExportLog.objects.count() == 0


def test_a_dashboard_export_is_logged_too(cast: Cast) -> None:
    build(cast, State.RECEIVED)
    committee = signed_in(cast, "committee_staff")
    response = committee.get("/dashboards/export.xlsx", {"period": "year", "year": "2025"})
    assert response.status_code == 200
    [log] = ExportLog.objects.all()
    assert (log.kind, log.personal_data, log.query) == ("dashboard", "none", "period=year&year=2025")
    assert log.row_count >= 1


def test_administrators_read_the_export_log_others_may_not(cast: Cast, handed_over: Suggestion) -> None:
    sheet_rows(signed_in(cast, "unit_staff").get("/suggestions/export.xlsx", {"state": "in_progress"}))
    admin = signed_in(cast, "admin_user")
    page = html.unescape(admin.get("/suggestions/export-log/").content.decode())
    assert "state=in_progress" in page
    assert "unit_a" in page
    for persona in ("committee_staff", "unit_staff", "station_staff"):
        assert signed_in(cast, persona).get("/suggestions/export-log/").status_code == 403
    # The Django admin lists it too, read-only.
    root = Client()
    root.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    listing = html.unescape(root.get("/admin/suggestions/exportlog/").content.decode())
    assert "state=in_progress" in listing
    log = ExportLog.objects.get()
    assert root.get("/admin/suggestions/exportlog/add/").status_code == 403
    assert root.post(f"/admin/suggestions/exportlog/{log.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ExportLog.objects.filter(pk=log.pk, row_count=1).exists()
