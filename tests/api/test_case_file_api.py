"""The case file 督办档案 over the API: every round with its two ratings, each co-unit opinion,
progress report and extension in the detail; the representative's own rating (代表评) once per
answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from suggestions.models import Feedback, Reply
from tests.suggestions.casefile_builders import (
    CO_OPINIONS,
    FIRST_ANSWER,
    PROGRESS,
    REP_FIRST_COMMENT,
    SECOND_ANSWER,
    VOTER_FIRST_COMMENT,
    rehandled,
)
from tests.suggestions.workflow_builders import Cast, build, snapshot

pytestmark = pytest.mark.django_db


def _url(code: str, path: str = "") -> str:
    return f"/api/v1/suggestions/{code}/{path + '/' if path else ''}"


def test_the_detail_holds_every_round_with_both_ratings(cast: Cast, client_for: Callable[[str], APIClient]) -> None:
    s = rehandled(cast)
    body = client_for("committee").get(_url(s.tracking_code)).json()

    first, second = body["rounds"]
    assert (first["round"], first["category"], first["text"], first["text_lost"]) == (1, "B", FIRST_ANSWER, False)
    assert first["unit"] == cast.world.unit_a.code
    assert first["on_time"] is True
    assert first["due"] is not None
    assert first["voter_rating"]["rating"] == "dissatisfied"
    assert first["voter_rating"]["text"] == VOTER_FIRST_COMMENT
    assert (first["voter_rating"]["via"], first["voter_rating"]["outcome"]) == ("link", "rehandling")
    assert first["representative_rating"]["rating"] == "basic"
    assert first["representative_rating"]["text"] == REP_FIRST_COMMENT
    assert first["representative_rating"]["party"] == "representative"
    assert (second["round"], second["category"], second["text"]) == (2, "A", SECOND_ANSWER)
    assert second["voter_rating"]["rating"] == "satisfied"
    assert second["representative_rating"] is None

    assert [o["text"] for o in body["co_opinions"]] == list(CO_OPINIONS)
    assert {o["unit"] for o in body["co_opinions"]} == {cast.co_unit.code}
    assert [(f["round"], f["text"], f["solved"]) for f in body["follow_ups"]] == [(1, PROGRESS, False)]
    (extension,) = body["extensions"]
    assert (extension["days"], extension["status"], extension["decision_note"]) == (3, "approved", "同意延期")
    assert extension["decided_by"] == str(cast.admin)
    # The voter's personal data stays as it was for staff in scope.
    assert body["submitter_phone"] == "13812345678"


def test_a_round_whose_text_was_overwritten_says_so(cast: Cast, client_for: Callable[[str], APIClient]) -> None:
    s = rehandled(cast)
    # As the migration left a case re-handled before the case file existed.
    Reply.objects.filter(suggestion=s, round=1).update(text="", text_lost=True)
    first = client_for("committee").get(_url(s.tracking_code)).json()["rounds"][0]
    assert (first["text"], first["text_lost"]) == ("", True)


def test_the_representative_rates_once_per_answer(cast: Cast, client_for: Callable[[str], APIClient]) -> None:
    s, _token = build(cast, "replied", reply_category="A")
    rep = client_for("representative")
    assert "rate_as_representative" in rep.get(_url(s.tracking_code)).json()["allowed_actions"]

    first = rep.post(_url(s.tracking_code, "rate-as-representative"), {"rating": "satisfied", "text": "很好"})
    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["state"] == "replied"  # 代表评 never moves the case
    assert body["rounds"][0]["representative_rating"]["rating"] == "satisfied"
    assert "rate_as_representative" not in body["allowed_actions"]

    before = snapshot(s)
    second = rep.post(_url(s.tracking_code, "rate-as-representative"), {"rating": "dissatisfied"}, format="json")
    assert second.status_code == 409
    assert second.json()["code"] == "representative_rating_given"
    assert set(second.json()) == {"code", "message", "fields"}
    assert snapshot(s) == before
    assert Feedback.objects.filter(suggestion=s, party="representative").count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("station", 403),
        ("committee", 403),
        ("unit", 403),
        ("admin", 403),
        ("other_station", 404),
        ("other_unit", 404),
        ("anonymous", 401),
    ],
)
def test_only_the_receiving_representative_may_rate_as_representative(
    role: str, status: int, cast: Cast, client_for: Callable[[str], APIClient]
) -> None:
    s, _token = build(cast, "replied", reply_category="A")
    before = snapshot(s)
    response = client_for(role).post(_url(s.tracking_code, "rate-as-representative"), {"rating": "satisfied"})
    assert response.status_code == status
    assert snapshot(s) == before


def test_a_bad_rating_is_a_validation_error(cast: Cast, client_for: Callable[[str], APIClient]) -> None:
    s, _token = build(cast, "replied", reply_category="A")
    response = client_for("representative").post(_url(s.tracking_code, "rate-as-representative"), {"rating": "meh"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["rating"]


def test_the_detail_costs_the_same_however_many_rounds(cast: Cast, client_for: Callable[[str], APIClient]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one = rehandled(cast, first_round_only=True)
    two = rehandled(cast)
    committee = client_for("committee")
    counts = []
    for s in (one, two):
        with CaptureQueriesContext(connection) as ctx:
            assert committee.get(_url(s.tracking_code)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
