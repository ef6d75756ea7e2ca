"""Redis stopped under the portal: every path that counts a rate limit or throttle in the cache
still answers (no 500), the limits keep counting in each process while Redis is away, and they
count in Redis again once it is back.

Our own redis-server on a free port is the cache; the test stops and restarts it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from suggestions.models import Suggestion
from tests.redis_server import RedisServer
from tests.voters.conftest import Site, form_data, walk

pytestmark = pytest.mark.django_db

FALLBACK_SECONDS = 0.5
MADE_UP_CODE = "23456789AB"


@pytest.fixture
def own_redis(tmp_path: Path, settings: Any) -> Iterator[RedisServer]:
    """The portal's cache is a redis-server of this test's own (production settings otherwise)."""
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHE_FALLBACK_SECONDS = FALLBACK_SECONDS
    settings.CACHES = {
        "default": {"BACKEND": "liaison.cache.RedisCache", "LOCATION": server.url, "KEY_PREFIX": uuid.uuid4().hex}
    }
    yield server
    server.stop()


@pytest.fixture
def low_api_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "3/minute", "open311": "3/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def api_client(site: Site) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=site.station_staff)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def lookup(client: Client, code: str, last4: str) -> Any:
    return client.post(reverse("public:status"), {"code": code, "last4": last4})


def test_every_rate_limited_path_answers_while_redis_is_down(
    site: Site, own_redis: RedisServer, settings: Any, low_api_rates: None, station_staff: Any
) -> None:
    published, _token = walk(site, to="published", title="公园厕所没有灯")
    received, _token = walk(site, to="received", title="路口红绿灯太短", phone="13900001111")
    settings.PUBLIC_LOOKUP_PER_CODE_PER_HOUR = 3
    api = api_client(site)
    assert api.get("/api/v1/regions/").status_code == 200  # Redis is up: one throttle count there
    assert own_redis.client().dbsize() > 0

    own_redis.stop()
    started = time.monotonic()

    # REST API with a token: list and detail.
    listing = api.get("/api/v1/suggestions/")
    assert listing.status_code == 200, listing.content[:500]
    assert received.tracking_code in {item["tracking_code"] for item in listing.json()["results"]}
    detail = api.get(f"/api/v1/suggestions/{received.tracking_code}/")
    assert detail.status_code == 200
    assert detail.json()["title"] == "路口红绿灯太短"
    # ... and its throttle still counts, from zero in this process: 3 a minute, the fourth is refused.
    assert api.get("/api/v1/regions/").status_code == 200
    throttled = api.get("/api/v1/regions/")
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"

    # Voter status lookup.
    voter = Client()
    found = lookup(voter, received.tracking_code, "1111")
    assert found.status_code == 200
    assert "路口红绿灯太短" in found.content.decode()
    assert [lookup(voter, MADE_UP_CODE, "0000").status_code for _i in range(4)] == [200, 200, 200, 429]

    # Public board and Open311.
    board = voter.get(reverse("public:board"))
    assert board.status_code == 200
    assert "公园厕所没有灯" in board.content.decode()
    requests = Client().get("/open311/v2/requests.json")
    assert requests.status_code == 200
    assert published.tracking_code in {item["service_request_id"] for item in requests.json()}
    assert [Client().get("/open311/v2/requests.json").status_code for _i in range(3)] == [200, 200, 429]

    # Online suggestion form.
    submitted = Client().post(reverse("public:suggest"), form_data(site, title="停电时电梯困人"))
    assert submitted.status_code == 302
    assert submitted["Location"] == reverse("public:suggest_done")
    assert Suggestion.objects.filter(title="停电时电梯困人").count() == 1

    # Staff sign in (sessions live in the database) and work.
    staff = Client()
    station_staff.set_password("correct horse 9")
    station_staff.save()
    signed_in = staff.post(reverse("login"), {"username": station_staff.username, "password": "correct horse 9"})
    assert signed_in.status_code == 302
    assert staff.get("/suggestions/").status_code == 200

    # A refused connection costs nothing; the whole outage round took well under a second a request.
    assert time.monotonic() - started < 20


def test_limits_count_in_redis_again_once_it_is_back(
    site: Site, own_redis: RedisServer, settings: Any, low_api_rates: None
) -> None:
    settings.PUBLIC_LOOKUP_PER_CODE_PER_HOUR = 3
    voter = Client()
    own_redis.stop()
    assert [lookup(voter, MADE_UP_CODE, "0000").status_code for _i in range(2)] == [200, 200]

    own_redis.start()  # the same port, empty (nothing was saved)
    time.sleep(FALLBACK_SECONDS + 0.2)
    statuses = [lookup(voter, MADE_UP_CODE, "0000").status_code for _i in range(4)]
    assert statuses == [200, 200, 200, 429]
    api = api_client(site)
    assert [api.get("/api/v1/regions/").status_code for _i in range(4)] == [200, 200, 200, 429]
    # The counters are in Redis, where every process sees them.
    keys = [key.decode() for key in own_redis.client().keys("*")]
    assert any(":rl:" in key for key in keys), keys
    assert any("throttle_user_" in key for key in keys), keys
    # A refused lookup says so, in the voter's language, as it always did.
    refused = lookup(voter, MADE_UP_CODE, "0000")
    assert refused.status_code == 429
    assert _("Too many attempts. Please wait an hour and try again, or call the liaison station.") in (
        refused.content.decode()
    )
