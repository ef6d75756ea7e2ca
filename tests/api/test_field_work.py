"""Field work by representatives over the API (issue 14 §7): POST /api/v1/visits/ under the
same rules as the representative's page."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from representatives.models import Representative
from stations.models import VoterVisit
from suggestions.models import State, Suggestion, SuggestionEvent
from tests.api.conftest import token_client
from tests.conftest import World
from tests.factories import RepresentativeFactory

pytestmark = pytest.mark.django_db


def body(world: World, **changes: Any) -> dict[str, Any]:
    return {
        "station": world.station_a.pk,
        "channel": "night_talk",
        "occurred_at": timezone.now().isoformat(),
        "voters_received": 4,
        "place": "鼓东街道三坊社区",
        "suggestions": [
            {"title": "楼道灯坏了", "content": "三楼楼道灯不亮。", "submitter_phone": "13812345678"},
            {"title": "小区停车难"},
        ],
        **changes,
    }


def nothing_saved() -> None:
    assert VoterVisit.objects.count() == 0
    assert Suggestion.objects.count() == 0
    assert SuggestionEvent.objects.count() == 0


def test_a_representative_logs_field_work_with_two_suggestions(world: World, representative_user: User) -> None:
    rep = Representative.objects.get(user=representative_user)
    response = token_client(representative_user).post("/api/v1/visits/", body(world), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["visit"]["representatives"] == [rep.pk]
    assert data["visit"]["recorded_by"] == representative_user.username
    assert data["visit"]["channel"] == "night_talk"
    assert [s["state"] for s in data["suggestions"]] == [State.RECEIVED, State.RECEIVED]
    rows = Suggestion.objects.order_by("id")
    assert [(s.station_id, s.representative_id, s.recorded_by_id) for s in rows] == [
        (world.station_a.pk, rep.pk, representative_user.pk)
    ] * 2


def test_the_representative_may_name_themselves_but_nobody_else_as_receiving(
    world: World, representative_user: User
) -> None:
    rep = Representative.objects.get(user=representative_user)
    colleague = RepresentativeFactory(name="郑代表")
    colleague.stations.add(world.station_a)
    client = token_client(representative_user)
    rows = [{"title": "路灯", "representative": rep.pk}, {"title": "停车", "representative": colleague.pk}]
    refused = client.post("/api/v1/visits/", body(world, suggestions=rows), format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "validation"
    assert "representative" in refused.json()["fields"]
    nothing_saved()
    accepted = client.post("/api/v1/visits/", body(world, suggestions=rows[:1]), format="json")
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"station": "b"}, 403, "not_allowed"),
        ({"channel": "hotline"}, 400, "channel_not_field_work"),
        ({"channel": "reception"}, 400, "channel_not_field_work"),
    ],
)
def test_field_work_outside_the_rules_is_refused_and_writes_nothing(
    world: World, representative_user: User, changes: dict[str, Any], status: int, code: str
) -> None:
    if changes.get("station") == "b":
        changes = {"station": world.station_b.pk}
    response = token_client(representative_user).post("/api/v1/visits/", body(world, **changes), format="json")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    nothing_saved()


def test_station_staff_still_log_every_channel(world: World, station_staff: User) -> None:
    response = token_client(station_staff).post("/api/v1/visits/", body(world, channel="hotline"), format="json")
    assert response.status_code == 201
