"""A representative's own pages on the phone, and committee staff reading performance files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils.translation import gettext as _

from accounts.models import User
from representatives.models import Activity, Representative
from tests.conftest import World
from tests.factories import RepresentativeFactory, SuggestionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

VALID = {"kind": "reception", "date": "2025-06-19", "hours": "2.5", "title": "进站接待选民", "notes": ""}


@pytest.fixture
def rep_client(client: Client, representative_user: User) -> Client:
    client.force_login(representative_user)
    return client


def test_a_representative_sees_only_the_suggestions_they_received(
    rep_client: Client, world: World, rep: Representative
) -> None:
    SuggestionFactory(station=world.station_a, representative=rep, title="小区路灯不亮")
    SuggestionFactory(station=world.station_a, representative=RepresentativeFactory(), title="菜市场垃圾")
    SuggestionFactory(station=world.station_a, title="无人接待")
    html = rep_client.get("/representatives/me/suggestions/").content.decode()
    assert "小区路灯不亮" in html
    assert "菜市场垃圾" not in html
    assert "无人接待" not in html
    assert "13812345678" not in html  # no voter's phone on the representative's list


def test_recording_an_activity_shows_in_the_file(rep_client: Client, world: World, rep: Representative) -> None:
    response = rep_client.post("/representatives/me/activities/new/", {**VALID, "station": world.station_a.pk})
    assert response.status_code == 302
    assert response["Location"] == "/representatives/me/activities/?year=2025"
    activity = Activity.objects.get()
    assert (activity.representative, activity.hours, activity.station) == (rep, Decimal("2.5"), world.station_a)
    listing = rep_client.get(response["Location"]).content.decode()
    assert "进站接待选民" in listing
    page = rep_client.get("/representatives/me/?year=2025").content.decode()
    assert 'data-testid="activity-count">1<' in page
    assert 'data-testid="activity-hours">2.5<' in page
    assert "data-print" in page  # the print button


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hours": "0"}, "Hours must be more than 0 and at most 24."),
        ({"hours": "24.5"}, "Hours must be more than 0 and at most 24."),
        ({"hours": "1.25"}, "Give the hours to one decimal place, for example 1.5."),
        ({"date": "2025-06-21"}, "The date cannot be in the future."),
        ({"date": "2025-02-30"}, "Enter the date as YYYY-MM-DD."),
    ],
)
def test_a_bad_activity_is_refused_with_a_message_and_nothing_saved(
    rep_client: Client, rep: Representative, changes: dict[str, str], message: str
) -> None:
    response = rep_client.post("/representatives/me/activities/new/", {**VALID, **changes})
    assert response.status_code == 400
    assert _(message) in response.content.decode()
    assert not Activity.objects.exists()


def test_a_station_the_representative_is_not_at_is_refused(rep_client: Client, world: World) -> None:
    response = rep_client.post("/representatives/me/activities/new/", {**VALID, "station": world.station_b.pk})
    assert response.status_code == 400
    assert not Activity.objects.exists()


def test_editing_and_deleting_own_activities(rep_client: Client, rep: Representative) -> None:
    activity = Activity.objects.create(
        representative=rep, kind="reception", date=dt.date(2025, 5, 1), hours=1, title="旧标题"
    )
    url = f"/representatives/me/activities/{activity.pk}/"
    assert "旧标题" in rep_client.get(url).content.decode()
    assert rep_client.post(url, {**VALID, "title": "新标题", "hours": "30"}).status_code == 400
    activity.refresh_from_db()
    assert activity.title == "旧标题"
    assert rep_client.post(url, {**VALID, "title": "新标题"}).status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.hours) == ("新标题", Decimal("2.5"))
    assert rep_client.post(f"{url}delete/").status_code == 302
    assert not Activity.objects.exists()


def test_another_representatives_activity_is_not_found(rep_client: Client) -> None:
    other = RepresentativeFactory(user=UserFactory(username="rep_b"))
    theirs = Activity.objects.create(
        representative=other, kind="reception", date=dt.date(2025, 5, 1), hours=1, title="别人的"
    )
    assert rep_client.get(f"/representatives/me/activities/{theirs.pk}/").status_code == 404
    assert rep_client.post(f"/representatives/me/activities/{theirs.pk}/", VALID).status_code == 404
    assert rep_client.post(f"/representatives/me/activities/{theirs.pk}/delete/").status_code == 404
    assert Activity.objects.get(pk=theirs.pk).title == "别人的"


def test_staff_without_a_representative_get_a_clear_refusal(client: Client, committee_staff: User) -> None:
    client.force_login(committee_staff)
    for url in ("/representatives/me/", "/representatives/me/activities/new/", "/representatives/me/suggestions/"):
        response = client.get(url)
        assert response.status_code == 403
        assert _("Only for representatives") in response.content.decode()


def test_committee_staff_read_the_files_in_their_region_only(
    client: Client, rep: Representative, committee_staff: User, other_committee_staff: User
) -> None:
    Activity.objects.create(
        representative=rep, kind="inspection", date=dt.date(2025, 4, 1), hours=4, title="视察老旧小区"
    )
    client.force_login(committee_staff)
    listing = client.get("/representatives/files/").content.decode()
    assert "陈代表" in listing
    page = client.get(f"/representatives/{rep.pk}/file/?year=2025")
    assert page.status_code == 200
    assert "视察老旧小区" in page.content.decode()
    assert 'data-testid="activity-hours">4.0<' in page.content.decode()
    client.force_login(other_committee_staff)
    assert "陈代表" not in client.get("/representatives/files/").content.decode()
    assert client.get(f"/representatives/{rep.pk}/file/?year=2025").status_code == 404


@pytest.mark.parametrize("year", ["1999", "abc", "2101"])
def test_a_nonsense_year_is_not_found(rep_client: Client, year: str) -> None:
    assert rep_client.get(f"/representatives/me/?year={year}").status_code == 404


def test_the_representatives_list_shows_tracking_codes_grouped(
    rep_client: Client, world: World, rep: Representative
) -> None:
    from suggestions.tracking import tracking_code_display

    s = SuggestionFactory(station=world.station_a, representative=rep, title="小区路灯不亮")
    html = rep_client.get("/representatives/me/suggestions/").content.decode()
    assert f">{tracking_code_display(s.tracking_code)}</a>" in html
