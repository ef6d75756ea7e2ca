"""Error pages with DEBUG off, as deployed: Chinese, in the layout of the site the visitor is on,
with a way back, and no English on them; the API keeps answering JSON."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tests.conftest import World
from tests.liaison.pages import english_words, visible_text

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.liaison.boom_urls")]

STAFF_HOME = 'href="/"'
VOTER_HOME = 'href="/s/"'


def _page(response: Any, status: int, title: str, *, data: str = "") -> str:
    """The page's HTML, checked for its status, its title and no English (but `data`, such as
    the signed-in user's name, which is not the portal's wording)."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    html: str = response.content.decode()
    text = visible_text(html)
    assert title in text, text
    assert english_words(html.replace(data, "") if data else html) == [], text
    return html


def _staff_layout(html: str) -> None:
    assert 'class="topbar"' in html
    assert "pub-header" not in html
    assert STAFF_HOME in html
    assert "返回我的工作台" in visible_text(html)


def _voter_layout(html: str) -> None:
    assert "pub-header" in html
    assert 'class="topbar"' not in html
    assert VOTER_HOME in html
    assert "返回首页" in visible_text(html)


def test_deployment_settings_have_debug_off() -> None:
    assert settings.DEBUG is False


def test_an_unknown_staff_address_is_a_chinese_404_in_the_staff_layout(client: Client, station_staff: User) -> None:
    _staff_layout(_page(client.get("/no/such/page/"), 404, "页面不存在"))
    client.force_login(station_staff)
    html = _page(client.get("/suggestions/ABCDEFGHJK/"), 404, "页面不存在", data=station_staff.username)
    _staff_layout(html)
    assert "退出" in visible_text(html)  # still signed in, with the usual menu


def test_a_cut_voter_link_is_a_chinese_404_in_the_voter_layout(client: Client, world: World) -> None:
    for cut in ("/s/rate/Zx8Kq/", "/s/stations/", "/s/board/999999/", "/s/statu"):
        html = _page(client.get(cut), 404, "页面不存在")
        _voter_layout(html)
        assert "查询办理进度" in visible_text(html)


def test_a_refusal_is_a_chinese_403(client: Client, world: World) -> None:
    _staff_layout(_page(client.get("/_boom/forbidden/"), 403, "没有权限打开此页面"))
    _voter_layout(_page(client.get("/s/_boom/forbidden/"), 403, "没有权限打开此页面"))


def test_a_request_no_browser_sends_is_a_chinese_400(client: Client, world: World) -> None:
    _staff_layout(_page(client.get("/_boom/suspicious/"), 400, "无法处理此请求"))
    _voter_layout(_page(client.get("/s/_boom/suspicious/"), 400, "无法处理此请求"))


def test_a_bug_is_a_chinese_500_and_still_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        _staff_layout(_page(client.get("/_boom/"), 500, "系统出现问题"))
        _voter_layout(_page(client.get("/s/_boom/"), 500, "系统出现问题"))
    assert any("a bug in a page" in str(record.exc_info) for record in caplog.records)


def test_the_500_page_needs_no_database(world: World, django_assert_num_queries: Any) -> None:
    """Drawn without context processors: it shows when the database is what failed."""
    client = Client(raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.get("/s/_boom/")
    _voter_layout(_page(response, 500, "系统出现问题"))


def test_a_stale_form_is_a_chinese_csrf_page(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    html = _page(client.post("/accounts/login/", {"username": "a", "password": "b"}), 403, "页面已过期")
    _staff_layout(html)
    html = _page(client.post("/s/status/", {"code": "23456789AB", "last4": "1234"}), 403, "页面已过期")
    _voter_layout(html)


def test_the_api_keeps_its_json_errors(client: Client, world: World) -> None:
    quiet = Client(raise_request_exception=False)
    for url, status, code in (
        ("/api/v1/no/such/", 404, "not_found"),
        ("/api/v1/_boom/forbidden/", 403, "not_allowed"),
        ("/api/v1/_boom/plain/", 500, "server_error"),
    ):
        response = quiet.get(url)
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/json")
        assert json.loads(response.content)["code"] == code
    csrf = Client(enforce_csrf_checks=True)
    staff = User.objects.create_user(username="csrf_user", password="x-Password-1")
    csrf.force_login(staff)
    refused = csrf.post("/api/v1/suggestions/", {"title": "t"})
    assert refused.status_code == 403
    assert json.loads(refused.content)["code"] == "not_allowed"
