"""Logging in as each role shows a page scoped to that person; the admin works in Chinese."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tests.conftest import World
from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_suggestions(world: World) -> None:
    SuggestionFactory(station=world.station_a, title="鼓东路灯不亮")
    SuggestionFactory(station=world.station_b, title="瀛洲排水不畅")


def test_anonymous_is_sent_to_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_login_page_is_chinese(client: Client, world: World) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert "登录" in html


def test_wrong_password_is_refused_with_a_message(client: Client, station_staff: User) -> None:
    response = client.post("/accounts/login/", {"username": "station_a", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_station_staff_home_shows_only_their_station(
    client: Client, station_staff: User, two_suggestions: None
) -> None:
    client.force_login(station_staff)
    html = client.get("/").content.decode()
    assert "鼓东路灯不亮" in html
    assert "瀛洲排水不畅" not in html


def test_committee_home_shows_their_district(
    client: Client, other_committee_staff: User, two_suggestions: None
) -> None:
    client.force_login(other_committee_staff)
    html = client.get("/").content.decode()
    assert "瀛洲排水不畅" in html
    assert "鼓东路灯不亮" not in html


def test_unit_and_representative_see_nothing_not_theirs(
    client: Client, unit_staff: User, representative_user: User, two_suggestions: None
) -> None:
    for user in (unit_staff, representative_user):
        client.force_login(user)
        html = client.get("/").content.decode()
        assert "鼓东路灯不亮" not in html
        assert "瀛洲排水不畅" not in html


def test_admin_sees_everything_and_the_admin_site_in_chinese(
    client: Client, admin_user: User, two_suggestions: None
) -> None:
    client.force_login(admin_user)
    html = client.get("/").content.decode()
    assert "鼓东路灯不亮" in html
    assert "瀛洲排水不畅" in html
    admin_html = client.get("/admin/").content.decode()
    assert "人大代表联络站平台管理" in admin_html
    for url in ("/admin/suggestions/suggestion/", "/admin/stations/station/", "/admin/accounts/membership/"):
        assert client.get(url).status_code == 200


def test_english_is_available(client: Client, station_staff: User) -> None:
    client.force_login(station_staff)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "Log out" in html


def test_chinese_even_for_a_browser_set_to_english(client: Client, world: World) -> None:
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in html
    assert "Log in" not in html


def test_navigation_leads_representatives_and_committee_to_the_performance_files(
    client: Client, representative_user: User, committee_staff: User
) -> None:
    client.force_login(representative_user)
    assert 'href="/representatives/me/"' in client.get("/").content.decode()
    client.force_login(committee_staff)
    html = client.get("/").content.decode()
    assert 'href="/representatives/files/"' in html
    assert 'href="/representatives/me/"' not in html
