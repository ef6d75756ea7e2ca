"""Every workflow action over the API: who may take it, what a refusal looks like, and that a
refusal writes nothing. The rules themselves are the workflow's (tests/suggestions); here we
check the API reaches them and reports them faithfully."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from stations.models import VoterVisit
from suggestions import workflow
from suggestions.models import Suggestion, SuggestionEvent
from tests.api.conftest import ROLES, token_client, user_of
from tests.suggestions.workflow_builders import Cast, build, snapshot

pytestmark = pytest.mark.django_db

# In scope before the hand-over: the station, the committee, the receiving representative.
EARLY = {"unit": 404, "co_unit": 404}
OUT_OF_SCOPE = {"anonymous": 401, "other_station": 404, "other_committee": 404, "other_unit": 404}


@dataclass(frozen=True)
class Case:
    path: str
    state: str
    body: Callable[[Cast], dict[str, Any]]
    allowed: frozenset[str]  # roles that succeed
    moves_to: str
    early: bool = False  # before the hand-over: unit staff cannot see it yet
    prepare: Callable[[Cast, Suggestion], Suggestion] | None = None
    reply_category: str = "B"
    days_later: int = 0  # perform the request this many days after building


def _request_extension(cast: Cast, s: Suggestion) -> Suggestion:
    return workflow.suggestion_request_extension(suggestion=s, actor=cast.admin, days=3, reason="需协调资金")


def _publish(cast: Cast, s: Suggestion) -> Suggestion:
    return workflow.suggestion_publish(suggestion=s, actor=cast.admin)


CASES = [
    Case("sort", "received", lambda c: {"category": c.category.code}, frozenset({"station", "admin"}), "sorted", True),
    Case(
        "resolve-on-spot",
        "received",
        lambda c: {"reply_text": "代表现场协调，已修好。"},
        frozenset({"station", "admin"}),
        "replied",
        True,
    ),
    Case(
        "propose",
        "sorted",
        lambda c: {"route": "unit", "unit": c.world.unit_a.code},
        frozenset({"station", "admin"}),
        "proposed",
        True,
    ),
    Case(
        "hand-over",
        "proposed",
        lambda c: {"lead_unit": c.world.unit_a.code, "co_units": [c.co_unit.code]},
        frozenset({"committee", "admin"}),
        "assigned",
        True,
    ),
    Case(
        "decline",
        "proposed",
        lambda c: {"note": "不属于人大代表联络站受理范围"},
        frozenset({"committee", "admin"}),
        "closed",
        True,
    ),
    Case("acknowledge", "assigned", lambda c: {}, frozenset({"unit", "admin"}), "in_progress"),
    Case("return", "assigned", lambda c: {"reason": "不属于本单位职责"}, frozenset({"unit", "admin"}), "proposed"),
    Case("co-opinion", "assigned", lambda c: {"text": "同意。"}, frozenset({"co_unit", "admin"}), "assigned"),
    Case(
        "request-extension",
        "in_progress",
        lambda c: {"days": 3, "reason": "需协调资金"},
        frozenset({"unit", "admin"}),
        "in_progress",
    ),
    Case(
        "decide-extension",
        "in_progress",
        lambda c: {"approve": True, "note": "同意"},
        frozenset({"committee", "admin"}),
        "in_progress",
        prepare=_request_extension,
    ),
    Case("supervise", "assigned", lambda c: {"note": "请加快办理"}, frozenset({"committee", "admin"}), "assigned"),
    Case(
        "reply",
        "in_progress",
        lambda c: {"category": "A", "text": "路灯已修复。"},
        frozenset({"unit", "admin"}),
        "replied",
    ),
    Case(
        "report-follow-up",
        "replied",
        lambda c: {"text": "施工已完成。", "solved": True},
        frozenset({"unit", "admin"}),
        "replied",
    ),
    Case(
        "feedback",
        "replied",
        lambda c: {"rating": "satisfied", "text": "电话回访：满意"},
        # The voter's rating (选民评) only: the representative now gives their own (代表评).
        frozenset({"station", "committee", "admin"}),
        "closed",
    ),
    Case(
        "rate-as-representative",
        "replied",
        lambda c: {"rating": "basic", "text": "路灯已修，但进度偏慢。"},
        # The receiving representative in person; an administrator cannot rate for them.
        frozenset({"representative"}),
        "replied",
    ),
    Case("close", "replied", lambda c: {}, frozenset({"committee", "admin"}), "closed", days_later=30),
    Case("publish", "closed", lambda c: {}, frozenset({"committee", "admin"}), "closed"),
    Case(
        "withdraw-publication",
        "closed",
        lambda c: {"reason": "公示内容含第三人住址"},
        frozenset({"committee", "admin"}),
        "closed",
        prepare=_publish,
    ),
]


def _expected(case: Case) -> dict[str, int]:
    expected = {role: (200 if role in case.allowed else 403) for role in ROLES}
    if case.early:
        expected.update(EARLY)
    expected.update(OUT_OF_SCOPE)
    return expected


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_each_action_succeeds_for_its_roles_only_and_a_refusal_writes_nothing(
    case: Case, cast: Cast, client_for: Callable[[str], APIClient]
) -> None:
    actual: dict[str, int] = {}
    for role in ROLES:
        suggestion, _ = build(cast, case.state, reply_category=case.reply_category)
        if case.prepare is not None:
            suggestion = case.prepare(cast, suggestion)
        before = snapshot(suggestion)
        url = f"/api/v1/suggestions/{suggestion.tracking_code}/{case.path}/"
        with time_machine.travel(timezone.now() + dt.timedelta(days=case.days_later), tick=False):
            response = client_for(role).post(url, case.body(cast), format="json")
        actual[role] = response.status_code
        if response.status_code == 200:
            body = response.json()
            assert body["state"] == case.moves_to
            assert body["version"] == before["row"]["version"] + 1
            assert Suggestion.objects.get(pk=suggestion.pk).state == case.moves_to
            assert SuggestionEvent.objects.filter(suggestion=suggestion).count() == len(before["events"]) + 1
        else:
            assert set(response.json()) == {"code", "message", "fields"}
            assert snapshot(suggestion) == before, f"{role} was refused but something was written"
    assert actual == _expected(case)


def test_allowed_actions_in_the_detail_match_what_the_api_accepts(
    cast: Cast, client_for: Callable[[str], APIClient]
) -> None:
    suggestion, _ = build(cast, "assigned")
    url = f"/api/v1/suggestions/{suggestion.tracking_code}/"
    assert client_for("unit").get(url).json()["allowed_actions"] == ["acknowledge", "return"]
    assert client_for("committee").get(url).json()["allowed_actions"] == ["supervise"]
    assert client_for("co_unit").get(url).json()["allowed_actions"] == ["co_opinion"]
    assert client_for("station").get(url).json()["allowed_actions"] == []


def _post(client: APIClient, suggestion: Suggestion, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/suggestions/{suggestion.tracking_code}/{path}/", body, format="json")


@pytest.mark.parametrize(
    ("state", "path", "role", "body", "code"),
    [
        ("received", "acknowledge", "admin", {}, "invalid_state"),
        ("closed", "reply", "admin", {"category": "A", "text": "已答复"}, "invalid_state"),
        ("replied", "close", "committee", {}, "feedback_pending"),
        ("in_progress", "decide-extension", "committee", {"approve": True}, "extension_not_pending"),
        ("in_progress", "report-follow-up", "unit", {"text": "进展", "solved": True}, "invalid_state"),
    ],
)
def test_a_conflicting_action_answers_409_with_its_code_and_writes_nothing(
    state: str,
    path: str,
    role: str,
    body: dict[str, Any],
    code: str,
    cast: Cast,
    client_for: Callable[[str], APIClient],
) -> None:
    suggestion, _ = build(cast, state)
    before = snapshot(suggestion)
    response = _post(client_for(role), suggestion, path, body)
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert snapshot(suggestion) == before


def test_repeating_an_action_past_its_limit_is_a_conflict(cast: Cast, client_for: Callable[[str], APIClient]) -> None:
    suggestion, _ = build(cast, "assigned")
    committee = client_for("committee")
    assert _post(committee, suggestion, "supervise", {}).json()["supervision_level"] == 1
    assert _post(committee, suggestion, "supervise", {}).json()["supervision_level"] == 2
    third = _post(committee, suggestion, "supervise", {})
    assert (third.status_code, third.json()["code"]) == (409, "supervision_at_maximum")

    closed, _ = build(cast, "closed")
    assert _post(committee, closed, "publish", {}).status_code == 200
    again = _post(committee, closed, "publish", {})
    assert (again.status_code, again.json()["code"]) == (409, "already_published")

    working, _ = build(cast, "in_progress")
    unit = client_for("unit")
    assert _post(unit, working, "request-extension", {"days": 2, "reason": "资金"}).status_code == 200
    second = _post(unit, working, "request-extension", {"days": 2, "reason": "资金"})
    assert (second.status_code, second.json()["code"]) == (409, "extension_pending")


def test_a_stale_version_is_refused_and_the_current_one_accepted(
    cast: Cast, client_for: Callable[[str], APIClient]
) -> None:
    suggestion, _ = build(cast, "assigned")
    read_version = suggestion.version
    committee = client_for("committee")
    # Someone else acts first.
    assert _post(committee, suggestion, "supervise", {"expected_version": read_version}).status_code == 200
    before = snapshot(suggestion)
    stale = _post(client_for("unit"), suggestion, "acknowledge", {"expected_version": read_version})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert snapshot(suggestion) == before
    fresh = _post(client_for("unit"), suggestion, "acknowledge", {"expected_version": read_version + 1})
    assert fresh.status_code == 200
    assert fresh.json()["state"] == "in_progress"


@pytest.mark.parametrize(
    ("state", "path", "role", "body", "code", "field"),
    [
        ("assigned", "return", "unit", {"reason": "  "}, "reason_required", "reason"),
        ("in_progress", "reply", "unit", {"category": "A", "text": ""}, "reply_text_required", "text"),
        ("proposed", "hand-over", "committee", {"lead_unit": "@unit_b"}, "unit_out_of_region", "lead_unit"),
        (
            "proposed",
            "hand-over",
            "committee",
            {"lead_unit": "@unit_a", "reply_due": "2020-01-01"},
            "deadline_in_past",
            "reply_due",
        ),
        ("in_progress", "request-extension", "unit", {"days": 30, "reason": "工程"}, "extension_cap_exceeded", "days"),
        ("proposed", "hand-over", "committee", {"lead_unit": "no-such-unit"}, "validation", "lead_unit"),
        ("received", "sort", "station", {"category": "roads", "urgency": "soon"}, "validation", "urgency"),
        ("assigned", "acknowledge", "unit", {"expected_version": "abc"}, "validation", "expected_version"),
    ],
)
def test_bad_input_answers_400_with_a_code_and_the_field(
    state: str,
    path: str,
    role: str,
    body: dict[str, Any],
    code: str,
    field: str,
    cast: Cast,
    client_for: Callable[[str], APIClient],
) -> None:
    suggestion, _ = build(cast, state)
    units = {"@unit_a": cast.world.unit_a.code, "@unit_b": cast.world.unit_b.code}
    body = {key: units.get(value, value) if isinstance(value, str) else value for key, value in body.items()}
    before = snapshot(suggestion)
    response = _post(client_for(role), suggestion, path, body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["code"] == code
    assert field in payload["fields"]
    assert payload["message"]
    assert snapshot(suggestion) == before


def test_merging_through_sort_points_at_the_earlier_suggestion(
    cast: Cast, client_for: Callable[[str], APIClient]
) -> None:
    earlier, _ = build(cast, "received")
    later, _ = build(cast, "received")
    response = _post(client_for("station"), later, "sort", {"merge_into": earlier.tracking_code.lower()})
    assert response.status_code == 200
    assert response.json()["state"] == "merged"
    assert response.json()["merged_into"] == earlier.tracking_code
    # A suggestion outside the caller's scope cannot be named as the target.
    stranger = workflow.suggestion_record(
        actor=cast.users["other_station_staff"],
        title="别处的问题",
        content="内容",
        region=cast.world.town_b,
        station=cast.world.station_b,
    )
    third, _ = build(cast, "received")
    refused = _post(client_for("station"), third, "sort", {"merge_into": stranger.tracking_code})
    assert refused.status_code == 400
    assert "merge_into" in refused.json()["fields"]


def test_a_client_runs_the_whole_loop_with_tokens(cast: Cast) -> None:
    station = token_client(user_of(cast, "station"))
    committee = token_client(user_of(cast, "committee"))
    unit = token_client(user_of(cast, "unit"))

    created = station.post(
        "/api/v1/visits/",
        {
            "station": cast.world.station_a.pk,
            "channel": "night_talk",
            "occurred_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            "representatives": [cast.representative.pk],
            "voters_received": 5,
            "suggestions": [
                {
                    "title": "小区路灯不亮",
                    "content": "晚上路灯不亮，老人出行不便。",
                    "submitter_name": "张三",
                    "submitter_phone": "１３８ １２３４ ５６７８",
                    "consent_to_publish": True,
                    "representative": cast.representative.pk,
                }
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    code = created.json()["suggestions"][0]["tracking_code"]
    detail = station.get(f"/api/v1/suggestions/{code}/").json()
    assert detail["submitter_phone"] == "13812345678"  # full-width digits and spaces normalised
    assert detail["allowed_actions"] == ["sort", "merge", "resolve_on_spot"]

    def act(client: APIClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
        version = client.get(f"/api/v1/suggestions/{code}/").json()["version"]
        response = client.post(
            f"/api/v1/suggestions/{code}/{path}/", {**body, "expected_version": version}, format="json"
        )
        assert response.status_code == 200, response.json()
        result: dict[str, Any] = response.json()
        return result

    assert act(station, "sort", {"category": cast.category.code, "urgency": "urgent"})["state"] == "sorted"
    assert act(station, "propose", {"route": "unit", "unit": cast.world.unit_a.code})["state"] == "proposed"
    handed = act(committee, "hand-over", {"lead_unit": cast.world.unit_a.code})
    assert (handed["state"], handed["lead_unit"]) == ("assigned", cast.world.unit_a.code)
    assert handed["reply_due"] is not None
    assert act(unit, "acknowledge", {})["state"] == "in_progress"
    assert act(unit, "reply", {"category": "A", "text": "已更换路灯。"})["state"] == "replied"
    assert act(committee, "feedback", {"rating": "satisfied", "text": "电话回访满意"})["state"] == "closed"
    published = act(committee, "publish", {})
    assert published["is_published"] is True
    events = [e["action"] for e in committee.get(f"/api/v1/suggestions/{code}/events/").json()]
    assert events == [
        "suggestion.recorded",
        "suggestion.sorted",
        "suggestion.proposed",
        "suggestion.handed_over",
        "suggestion.acknowledged",
        "suggestion.replied",
        "suggestion.feedback_received",
        "suggestion.published",
    ]


def test_a_visit_with_one_bad_suggestion_saves_nothing(cast: Cast) -> None:
    station = token_client(user_of(cast, "station"))
    visits, suggestions = VoterVisit.objects.count(), Suggestion.objects.count()
    response = station.post(
        "/api/v1/visits/",
        {
            "station": cast.world.station_a.pk,
            "channel": "reception",
            "occurred_at": timezone.now().isoformat(),
            "suggestions": [
                {"title": "第一条", "content": "内容"},
                {"title": "第二条", "content": "内容", "submitter_phone": "12345"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation"
    assert list(response.json()["fields"]) == ["suggestions.1.submitter_phone"]
    assert (VoterVisit.objects.count(), Suggestion.objects.count()) == (visits, suggestions)


def test_a_visit_in_the_future_is_refused_by_the_service(cast: Cast) -> None:
    station = token_client(user_of(cast, "station"))
    response = station.post(
        "/api/v1/visits/",
        {
            "station": cast.world.station_a.pk,
            "channel": "reception",
            "occurred_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
            "suggestions": [{"title": "第一条", "content": "内容"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "visit_in_future"
    assert not VoterVisit.objects.filter(station=cast.world.station_a).exists()
