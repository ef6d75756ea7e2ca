"""Endpoint × role matrix: every endpoint and method, for every persona, in and out of scope.

Each row names the status each role must get. District A's records (station A, unit A with a
co-unit, the representative who received the suggestion) are in scope for A's staff and out
of scope for B's; out of scope answers 404, exactly as for a record that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.conftest import ROLES, Scene

pytestmark = pytest.mark.django_db

ALL_SIGNED_IN = {role: 200 for role in ROLES if role != "anonymous"}
DISTRICT_A = {
    "representative": 200,
    "station": 200,
    "other_station": 404,
    "committee": 200,
    "other_committee": 404,
    "unit": 404,
    "co_unit": 404,
    "other_unit": 404,
    "admin": 200,
}


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    url: Callable[[Scene], str]
    expected: dict[str, int]
    body: Callable[[Scene], dict[str, Any]] = field(default=lambda scene: {})


def _visit_body(scene: Scene) -> dict[str, Any]:
    return {
        "station": scene.cast.world.station_a.pk,
        "channel": "reception",
        "occurred_at": timezone.now().isoformat(),
        "voters_received": 3,
        "suggestions": [{"title": "楼道灯坏了", "content": "三楼楼道灯不亮。", "submitter_phone": "13812345678"}],
    }


def _suggestion_body(scene: Scene) -> dict[str, Any]:
    return {"title": "路口红绿灯时间太短", "content": "老人过马路来不及。", "station": scene.cast.world.station_a.pk}


ROWS = [
    Row("regions list", "get", lambda s: "/api/v1/regions/", ALL_SIGNED_IN),
    Row("region detail", "get", lambda s: f"/api/v1/regions/{s.cast.world.town_a.code}/", ALL_SIGNED_IN),
    Row("stations list", "get", lambda s: "/api/v1/stations/", ALL_SIGNED_IN),
    Row(
        "station A detail",
        "get",
        lambda s: f"/api/v1/stations/{s.cast.world.station_a.pk}/",
        {**DISTRICT_A, "representative": 404},
    ),
    Row("visits list", "get", lambda s: "/api/v1/visits/", ALL_SIGNED_IN),
    Row("visit A detail", "get", lambda s: f"/api/v1/visits/{s.visit_a.pk}/", DISTRICT_A),
    Row(
        "log a visit at station A",
        "post",
        lambda s: "/api/v1/visits/",
        # Station A's representative may log field work there, but not an in-station reception.
        dict.fromkeys(ROLES, 403) | {"anonymous": 401, "station": 201, "admin": 201, "representative": 400},
        _visit_body,
    ),
    Row(
        "log field work at station A",
        "post",
        lambda s: "/api/v1/visits/",
        dict.fromkeys(ROLES, 403) | {"anonymous": 401, "station": 201, "admin": 201, "representative": 201},
        lambda s: {**_visit_body(s), "channel": "night_talk"},
    ),
    Row("representatives list", "get", lambda s: "/api/v1/representatives/", ALL_SIGNED_IN),
    Row("representative detail", "get", lambda s: f"/api/v1/representatives/{s.cast.representative.pk}/", DISTRICT_A),
    Row("duty shifts list", "get", lambda s: "/api/v1/duty-shifts/", ALL_SIGNED_IN),
    Row("duty shift A detail", "get", lambda s: f"/api/v1/duty-shifts/{s.shift_a.pk}/", DISTRICT_A),
    Row("categories list", "get", lambda s: "/api/v1/categories/", ALL_SIGNED_IN),
    Row("category detail", "get", lambda s: f"/api/v1/categories/{s.cast.category.code}/", ALL_SIGNED_IN),
    Row("units list", "get", lambda s: "/api/v1/units/", ALL_SIGNED_IN),
    Row("unit detail", "get", lambda s: f"/api/v1/units/{s.cast.world.unit_a.code}/", ALL_SIGNED_IN),
    Row("suggestions list", "get", lambda s: "/api/v1/suggestions/", ALL_SIGNED_IN),
    Row(
        "suggestion A detail",
        "get",
        lambda s: f"/api/v1/suggestions/{s.suggestion_a.tracking_code}/",
        DISTRICT_A | {"unit": 200, "co_unit": 200},
    ),
    Row(
        "suggestion A events",
        "get",
        lambda s: f"/api/v1/suggestions/{s.suggestion_a.tracking_code}/events/",
        DISTRICT_A | {"unit": 200, "co_unit": 200},
    ),
    Row(
        "record a suggestion at station A",
        "post",
        lambda s: "/api/v1/suggestions/",
        dict.fromkeys(ROLES, 403) | {"anonymous": 401, "station": 201, "committee": 201, "admin": 201},
        _suggestion_body,
    ),
    Row(
        "delete a suggestion (not offered)",
        "delete",
        lambda s: f"/api/v1/suggestions/{s.suggestion_a.tracking_code}/",
        dict.fromkeys(ROLES, 405) | {"anonymous": 401},
    ),
    Row(
        "edit a suggestion (not offered)",
        "patch",
        lambda s: f"/api/v1/suggestions/{s.suggestion_a.tracking_code}/",
        dict.fromkeys(ROLES, 405) | {"anonymous": 401},
        lambda s: {"title": "改标题"},
    ),
    Row("notifications list", "get", lambda s: "/api/v1/notifications/", ALL_SIGNED_IN),
    Row("mark notifications read", "post", lambda s: "/api/v1/notifications/mark-read/", ALL_SIGNED_IN),
    Row("schema", "get", lambda s: "/api/v1/schema/", dict.fromkeys(ROLES, 200)),
]
for row in ROWS:
    row.expected.setdefault("anonymous", 401)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_every_role_gets_the_status_its_scope_allows(
    row: Row, scene: Scene, client_for: Callable[[str], APIClient]
) -> None:
    actual: dict[str, int] = {}
    for role in ROLES:
        client = client_for(role)
        response = getattr(client, row.method)(row.url(scene), row.body(scene), format="json")
        actual[role] = response.status_code
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), (role, response.content[:200])
            body = response.json()
            assert set(body) == {"code", "message", "fields"}, (role, body)
            assert body["message"], (role, body)
    assert actual == {role: row.expected[role] for role in ROLES}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("representative", {"a"}),
        ("station", {"a"}),
        ("other_station", {"b"}),
        ("committee", {"a"}),
        ("other_committee", {"b"}),
        ("unit", {"a"}),
        ("co_unit", {"a"}),
        ("other_unit", set()),
        ("admin", {"a", "b"}),
    ],
)
def test_lists_hold_only_what_is_in_scope(
    role: str, visible: set[str], scene: Scene, client_for: Callable[[str], APIClient]
) -> None:
    client = client_for(role)
    codes = {scene.suggestion_a.tracking_code: "a", scene.suggestion_b.tracking_code: "b"}
    listed = {codes[item["tracking_code"]] for item in client.get("/api/v1/suggestions/").json()["results"]}
    assert listed == visible

    visits = {scene.visit_a.pk: "a", scene.visit_b.pk: "b"}
    listed_visits = {visits[v["id"]] for v in client.get("/api/v1/visits/").json()["results"] if v["id"] in visits}
    # Units see no visits; the representative sees the visit they attended.
    assert listed_visits == (visible if role not in {"unit", "co_unit"} else set())

    shifts = {scene.shift_a.pk: "a", scene.shift_b.pk: "b"}
    listed_shifts = {shifts[s["id"]] for s in client.get("/api/v1/duty-shifts/").json()["results"]}
    assert listed_shifts == (visible if role not in {"unit", "co_unit"} else set())


def test_notifications_are_only_ever_ones_own(scene: Scene, client_for: Callable[[str], APIClient]) -> None:
    station = client_for("station").get("/api/v1/notifications/").json()
    assert [n["title"] for n in station["results"]] == ["给station_staff的通知"]
    assert client_for("other_station").get("/api/v1/notifications/").json()["results"] == []
    # Marking someone else's notification read changes nothing of theirs.
    theirs = station["results"][0]["id"]
    response = client_for("unit").post("/api/v1/notifications/mark-read/", {"ids": [theirs]}, format="json")
    assert response.json() == {"marked": 0}
    assert client_for("station").get("/api/v1/notifications/").json()["results"][0]["is_read"] is False
    response = client_for("station").post("/api/v1/notifications/mark-read/", {"ids": [theirs]}, format="json")
    assert response.json() == {"marked": 1}
    unread = client_for("station").get("/api/v1/notifications/", {"unread": "true"}).json()
    assert unread["results"] == []
