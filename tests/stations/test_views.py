"""Logging a voter visit with its suggestions on one screen, the tracking-code slips, the visit list."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from representatives.models import Representative
from stations.models import VoterVisit
from suggestions.forms import phone_normalize
from suggestions.models import Category, State, Suggestion, SuggestionEvent
from tests.conftest import World
from tests.factories import CategoryFactory, VoterVisitFactory

pytestmark = pytest.mark.django_db


def page_text(response: HttpResponse) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def category(world: World) -> Category:
    return CategoryFactory(code="roads", name="道路交通")


def visit_data(world: World, *rows: dict[str, Any], **visit: Any) -> dict[str, Any]:
    """The POST of the visit screen: the visit's fields, then one block per suggestion row."""
    when = timezone.localtime() - dt.timedelta(hours=1)
    data: dict[str, Any] = {
        "station": world.station_a.pk,
        "channel": "reception",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "voters_received": "2",
        "place": "",
        "notes": "",
        "s-TOTAL_FORMS": str(len(rows)),
        "s-INITIAL_FORMS": "0",
        "s-MIN_NUM_FORMS": "0",
        "s-MAX_NUM_FORMS": "50",
        **visit,
    }
    for index, row in enumerate(rows):
        defaults = {"title": "", "content": "", "category": "", "urgency": "normal", "address": ""}
        for key, value in {**defaults, **row}.items():
            data[f"s-{index}-{key}"] = value
    return data


def nothing_saved() -> None:
    assert VoterVisit.objects.count() == 0
    assert Suggestion.objects.count() == 0
    assert SuggestionEvent.objects.count() == 0


# --- Phone numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("0591-87654321", "0591-87654321"),
        ("（０５９１）８７６５４３２１", "0591-87654321"),
        ("010 1234 5678", "010-12345678"),
        ("02112345678", "021-12345678"),
        ("0755-1234567", "0755-1234567"),
        ("", ""),
    ],
)
def test_chinese_phone_numbers_are_normalised(typed: str, stored: str) -> None:
    assert phone_normalize(typed) == stored


@pytest.mark.parametrize(
    "typed", ["12345678901", "1381234567", "138123456789", "87654321", "0591-123", "电话13812345678", "abc"]
)
def test_other_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(forms.ValidationError):
        phone_normalize(typed)


# --- Logging a visit -------------------------------------------------------------------------------


def test_station_staff_log_a_visit_with_two_suggestions(
    client: Client, world: World, station_staff: User, representative_user: User, category: Category
) -> None:
    client.force_login(station_staff)
    form = client.get("/visits/new/")
    assert form.status_code == 200
    assert "陈代表" in page_text(form)  # the station's representatives are offered
    rep = Representative.objects.get(user=representative_user)
    data = visit_data(
        world,
        {
            "title": "鼓东路路灯不亮",
            "content": "三盏路灯一周没亮。",
            "category": category.pk,
            "address": "鼓东路88号",
            "submitter_name": "张三",
            "submitter_phone": "１３８ １２３４ ５６７８",
            "submitter_address": "鼓东路90号",
            "consent_to_publish": "on",
            "representative": rep.pk,
        },
        {"title": "菜市场垃圾清运不及时", "urgency": "urgent", "submitter_phone": "0591 8765 4321"},
        representatives=[rep.pk],
        channel="night_talk",
    )
    response = client.post("/visits/new/", data)
    visit = VoterVisit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/visits/{visit.pk}/"
    assert visit.channel == "night_talk"
    assert visit.recorded_by == station_staff
    assert list(visit.representatives.all()) == [rep]
    first, second = Suggestion.objects.filter(visit=visit).order_by("id")
    assert (first.title, first.submitter_phone, first.category, first.consent_to_publish) == (
        "鼓东路路灯不亮",
        "13812345678",
        category,
        True,
    )
    assert first.representative == rep
    assert first.station == world.station_a
    assert first.region == world.town_a
    assert first.channel == "night_talk"
    assert (second.urgency, second.submitter_phone, second.content) == ("urgent", "0591-87654321", second.title)
    assert {s.state for s in (first, second)} == {State.RECEIVED}

    slips = page_text(client.get(response["Location"]))
    for s in (first, second):
        assert f"{s.tracking_code[:5]}-{s.tracking_code[5:]}" in slips


def test_a_visit_without_suggestions_is_fine(client: Client, world: World, station_staff: User) -> None:
    client.force_login(station_staff)
    response = client.post("/visits/new/", visit_data(world, {}))
    assert response.status_code == 302
    assert VoterVisit.objects.count() == 1
    assert Suggestion.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"title": "", "content": "只写了内容"}, "Enter a title for the suggestion."),
        ({"title": "路灯", "submitter_phone": "12345"}, None),
        ({"title": "路灯", "submitter_phone": "８７６５４３２１"}, None),
    ],
)
def test_one_bad_suggestion_saves_nothing_and_keeps_what_was_typed(
    client: Client, world: World, station_staff: User, row: dict[str, Any], message: str | None
) -> None:
    client.force_login(station_staff)
    good = {"title": "第一条好好的建议", "submitter_name": "王五", "submitter_phone": "13912345678"}
    response = client.post("/visits/new/", visit_data(world, good, row))
    assert response.status_code == 400
    text = page_text(response)
    assert "第一条好好的建议" in text
    assert "王五" in text
    for value in row.values():
        assert value in text
    expected = (
        _(message)
        if message
        else _(
            "This is not a Chinese mobile number (11 digits starting with 1) or a landline with its area "
            "code (for example 0591-87654321)."
        )
    )
    assert expected in text
    assert _("Nothing was saved. Correct the fields marked below; everything you typed is kept.") in text
    nothing_saved()


def test_a_visit_in_the_future_is_refused(client: Client, world: World, station_staff: User) -> None:
    client.force_login(station_staff)
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    response = client.post(
        "/visits/new/", visit_data(world, {"title": "路灯"}, occurred_at=tomorrow.strftime("%Y-%m-%dT%H:%M"))
    )
    assert response.status_code == 400
    assert _("The visit cannot be in the future.") in page_text(response)
    nothing_saved()


def test_an_unreadable_time_is_refused(client: Client, world: World, station_staff: User) -> None:
    client.force_login(station_staff)
    response = client.post("/visits/new/", visit_data(world, {"title": "路灯"}, occurred_at="昨天下午"))
    assert response.status_code == 400
    assert _("Enter the date and time of the visit, for example 2025-03-20 09:30.") in page_text(response)
    nothing_saved()


def test_another_stations_visit_cannot_be_logged(client: Client, world: World, station_staff: User) -> None:
    client.force_login(station_staff)
    response = client.post("/visits/new/", visit_data(world, {"title": "路灯"}, station=world.station_b.pk))
    assert response.status_code == 400
    nothing_saved()


def test_only_station_staff_log_visits(client: Client, world: World, committee_staff: User, unit_staff: User) -> None:
    for user in (committee_staff, unit_staff):
        client.force_login(user)
        assert client.get("/visits/new/").status_code == 403
        assert client.post("/visits/new/", visit_data(world, {"title": "路灯"})).status_code == 403
    nothing_saved()


def test_adding_a_row_without_javascript_keeps_the_typed_rows(
    client: Client, world: World, station_staff: User
) -> None:
    client.force_login(station_staff)
    data = visit_data(world, {"title": "第一条"})
    data["add_row"] = "1"
    response = client.post("/visits/new/", data)
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="s-TOTAL_FORMS" value="2"' in content
    assert 'name="s-1-title"' in content
    assert "第一条" in content
    nothing_saved()


def test_a_removed_row_is_not_saved(client: Client, world: World, station_staff: User) -> None:
    client.force_login(station_staff)
    data = visit_data(world, {"title": "保留这条"}, {"title": "删掉这条", "submitter_phone": "bad", "DELETE": "on"})
    assert client.post("/visits/new/", data).status_code == 302
    assert list(Suggestion.objects.values_list("title", flat=True)) == ["保留这条"]


def test_the_same_title_twice_in_one_visit_is_refused(client: Client, world: World, station_staff: User) -> None:
    client.force_login(station_staff)
    response = client.post("/visits/new/", visit_data(world, {"title": "路灯"}, {"title": "路灯"}))
    assert response.status_code == 400
    assert _("Two suggestions have the same title; merge them or tell them apart.") in page_text(response)
    nothing_saved()


# --- The slips and the list -------------------------------------------------------------------------


def test_a_visit_is_seen_by_its_station_and_committee_only(
    client: Client,
    world: World,
    station_staff: User,
    other_station_staff: User,
    committee_staff: User,
    other_committee_staff: User,
    unit_staff: User,
) -> None:
    visit = VoterVisitFactory(station=world.station_a)
    for user, status in (
        (station_staff, 200),
        (committee_staff, 200),
        (other_station_staff, 404),
        (other_committee_staff, 404),
        (unit_staff, 404),
    ):
        client.force_login(user)
        assert client.get(f"/visits/{visit.pk}/").status_code == status, user.username


def test_the_visit_list_pages_by_time_and_costs_the_same_for_more_rows(
    client: Client, world: World, station_staff: User, django_assert_max_num_queries: Any
) -> None:
    start = timezone.now() - dt.timedelta(days=200)
    for day in range(60):
        VoterVisitFactory(station=world.station_a, occurred_at=start + dt.timedelta(days=day))
    VoterVisitFactory(station=world.station_b, occurred_at=start)
    client.force_login(station_staff)
    with CaptureQueriesContext(connection) as first_page:
        content = client.get("/visits/").content.decode()
    first_page_queries = len(first_page.captured_queries)

    def visit_links(page: str) -> int:
        others = ('href="/visits/new/', 'href="/visits/"', 'href="/visits/export.xlsx')
        return page.count('href="/visits/') - sum(page.count(other) for other in others)

    assert visit_links(content) == 50
    more = re.search(r'rel="next" href="\?([^"]+)"', content)
    assert more is not None
    second = client.get(f"/visits/?{html.unescape(more.group(1))}").content.decode()
    assert visit_links(second) == 10
    assert 'rel="next"' not in second
    for day in range(60, 120):
        VoterVisitFactory(station=world.station_a, occurred_at=start + dt.timedelta(days=day))
    with django_assert_max_num_queries(first_page_queries):
        client.get("/visits/")


def test_the_visit_list_filters_by_channel(client: Client, world: World, committee_staff: User) -> None:
    VoterVisitFactory(station=world.station_a, channel="hotline", occurred_at=timezone.now() - dt.timedelta(days=1))
    VoterVisitFactory(station=world.station_a, channel="reception", occurred_at=timezone.now() - dt.timedelta(days=2))
    client.force_login(committee_staff)
    content = page_text(client.get("/visits/?channel=hotline"))
    assert content.count(str(_("12345 hotline"))) >= 1
    rows = re.findall(r"<tr>\s*<td data-label", content)
    assert len(rows) == 1
