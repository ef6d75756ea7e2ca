"""Tokens (management command and admin), sessions, throttling, and the error format for
everything that can go wrong, including Django's own 404 and 500 under /api/."""

from __future__ import annotations

import json
import logging
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from tests.api.conftest import token_client
from tests.conftest import World

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "fields"}


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = json.loads(response.content)
    assert set(body) == ERROR_KEYS
    assert body["code"] == code
    assert body["message"]
    return body


def test_the_command_prints_a_token_that_signs_the_client_in(station_staff: User) -> None:
    out = StringIO()
    call_command("api_token", "station_a", stdout=out)
    key = out.getvalue().strip()
    assert len(key) == 40
    again = StringIO()
    call_command("api_token", "station_a", stdout=again)
    assert again.getvalue().strip() == key  # one token per user, printed again
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/stations/").status_code == 200

    call_command("api_token", "station_a", "--revoke", stdout=StringIO())
    assert not Token.objects.filter(user=station_staff).exists()
    _error(client.get("/api/v1/stations/"), 401, "authentication_failed")
    revoked_again = StringIO()
    call_command("api_token", "station_a", "--revoke", stdout=revoked_again)
    assert "no API token" in revoked_again.getvalue()


def test_the_command_refuses_unknown_and_inactive_users(station_staff: User) -> None:
    with pytest.raises(CommandError, match="No user"):
        call_command("api_token", "nobody", stdout=StringIO())
    station_staff.is_active = False
    station_staff.save()
    with pytest.raises(CommandError, match="inactive"):
        call_command("api_token", "station_a", stdout=StringIO())


def test_administrators_manage_tokens_in_the_admin(admin_user: User, station_staff: User, client: Client) -> None:
    client.force_login(admin_user)
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 200
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": station_staff.pk})
    assert response.status_code == 302
    token = Token.objects.get(user=station_staff)
    assert token_client(None).get("/api/v1/stations/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200


def test_anonymous_requests_get_401_with_the_scheme_to_use(world: World) -> None:
    response = APIClient().get("/api/v1/suggestions/")
    _error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    _error(
        APIClient().get("/api/v1/suggestions/", HTTP_AUTHORIZATION="Token not-a-real-token"),
        401,
        "authentication_failed",
    )


def test_a_browser_session_works_and_its_writes_need_the_csrf_token(station_staff: User, world: World) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(station_staff)
    page = client.get("/api/v1/stations/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert b"<html" in page.content  # the browsable API
    body = {"title": "标题", "content": "内容", "station": world.station_a.pk}
    refused = client.post("/api/v1/suggestions/", body, format="json")
    _error(refused, 403, "not_allowed")


def test_unknown_api_urls_answer_json_not_html(station_staff: User) -> None:
    client = token_client(station_staff)
    for url in ("/api/v1/nothing/", "/api/nothing", "/api/v1/suggestions/ABCDEFGHJK/nothing/"):
        _error(client.get(url), 404, "not_found")
    _error(client.get("/api/v1/suggestions/ABCDEFGHJK/"), 404, "not_found")
    _error(client.get("/api/v1/suggestions/not-a-code/"), 404, "not_found")


@pytest.mark.urls("tests.api.boom_urls")
def test_a_server_error_under_the_api_is_json_too(station_staff: User, caplog: pytest.LogCaptureFixture) -> None:
    client = token_client(station_staff)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        _error(client.get("/api/v1/_boom/plain/"), 500, "server_error")
        _error(client.get("/api/v1/_boom/rest/"), 500, "server_error")
    assert any("a bug in a REST view" in str(r.exc_info) for r in caplog.records)  # still logged for the team
    open311 = Client(raise_request_exception=False).get("/open311/v2/_boom.json")
    assert open311.status_code == 500
    assert json.loads(open311.content)[0]["code"] == 500


def test_validation_errors_name_each_field(station_staff: User) -> None:
    response = token_client(station_staff).post("/api/v1/suggestions/", {"content": ""}, format="json")
    body = _error(response, 400, "validation")
    assert set(body["fields"]) == {"title", "content"}
    bad_cursor = token_client(station_staff).get("/api/v1/suggestions/", {"cursor": "garbage"})
    assert "cursor" in _error(bad_cursor, 400, "validation")["fields"]
    bad_filter = token_client(station_staff).get("/api/v1/suggestions/", {"state": "lost", "region": "000"})
    assert set(_error(bad_filter, 400, "validation")["fields"]) == {"state", "region"}
    not_json = token_client(station_staff).post("/api/v1/suggestions/", "{oops", content_type="application/json")
    _error(not_json, 400, "parse_error")


def test_each_user_and_each_address_is_throttled(
    station_staff: User, unit_staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/minute", "anon": "2/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    station = token_client(station_staff)
    assert [station.get("/api/v1/regions/").status_code for _ in range(3)] == [200, 200, 200]
    limited = station.get("/api/v1/regions/")
    _error(limited, 429, "throttled")
    assert int(limited["Retry-After"]) >= 1
    # Another user is counted separately.
    assert token_client(unit_staff).get("/api/v1/regions/").status_code == 200
    # Anonymous clients, and clients guessing tokens, are counted per address.
    anonymous = [APIClient().get("/api/v1/regions/").status_code for _ in range(2)]
    guessing = APIClient().get("/api/v1/regions/", HTTP_AUTHORIZATION="Token guess")
    assert anonymous == [401, 401]
    _error(guessing, 429, "throttled")
    assert APIClient(REMOTE_ADDR="10.1.2.3").get("/api/v1/regions/").status_code == 401
