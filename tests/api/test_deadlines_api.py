"""Issue 14 §6 over the API: the stage limit and the formal reply date are in the suggestion's
detail, and committee staff supervise a "B" follow-up (a reply without one is a 409 with a code)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from suggestions.models import Suggestion
from tests.suggestions.workflow_builders import Cast, build, record, snapshot

pytestmark = pytest.mark.django_db


def _detail(client: APIClient, s: Suggestion) -> dict[str, object]:
    response = client.get(f"/api/v1/suggestions/{s.tracking_code}/")
    assert response.status_code == 200
    data: dict[str, object] = response.json()
    return data


def test_the_detail_carries_the_stage_limit(cast: Cast, client_for: Callable[[str], APIClient]) -> None:
    s = record(cast)
    data = _detail(client_for("station"), s)
    assert data["stage_due"] == s.stage_due.isoformat()  # type: ignore[union-attr]
    assert data["formal_reply_due"] is None
    assert data["deadline_basis"]["stage_due"]["days"] == 2  # type: ignore[index]


def test_committee_staff_supervise_a_b_follow_up_over_the_api(
    cast: Cast, client_for: Callable[[str], APIClient]
) -> None:
    follow_up, _ = build(cast, "replied", reply_category="B")
    committee = client_for("committee")
    assert "supervise" in _detail(committee, follow_up)["allowed_actions"]  # type: ignore[operator]
    response = committee.post(f"/api/v1/suggestions/{follow_up.tracking_code}/supervise/", {}, format="json")
    assert (response.status_code, response.json()["supervision_level"]) == (200, 1)

    answered, _ = build(cast, "replied", reply_category="A")
    before = snapshot(answered)
    refused = committee.post(f"/api/v1/suggestions/{answered.tracking_code}/supervise/", {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "no_follow_up_due")
    assert snapshot(answered) == before
