"""The figures in the API (issue 14 §2): the same definitions as the dashboards and the league table."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from suggestions import workflow
from tests.suggestions.workflow_builders import Cast, build, latest_token

pytestmark = pytest.mark.django_db


def _rehandled(cast: Cast) -> None:
    """Answered, 不满意, answered again, 满意."""
    s, token = build(cast, "replied", reply_category="C")
    assert token is not None
    s = workflow.suggestion_feedback(suggestion=s, actor=None, token=token, rating="dissatisfied")
    s = workflow.suggestion_reply(suggestion=s, actor=cast.admin, category="A", text="已全部修复。")
    workflow.suggestion_feedback(suggestion=s, actor=None, token=latest_token(s), rating="satisfied")


def test_committee_reads_first_round_and_final_satisfaction(cast: Cast, client_for: Callable[[str], APIClient]) -> None:
    _rehandled(cast)
    year = timezone.localdate().year
    response = client_for("committee").get(f"/api/v1/figures/?period=year&year={year}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["counts"]["answered"] == 1
    assert (body["counts"]["replied_with_due"], body["counts"]["replied_on_time"]) == (2, 2)
    assert body["rates"]["first_satisfaction_rate"] == 0.0
    assert body["rates"]["satisfaction_rate"] == 100.0
    assert body["rates"]["rehandle_rate"] == 100.0
    assert body["rates"]["solved_rate"] == 100.0
    league = client_for("committee").get("/api/v1/league/").json()["results"]
    assert [(u["unit"], u["rates"]["first_satisfaction_rate"], u["rates"]["satisfaction_rate"]) for u in league] == [
        (cast.world.unit_a.pk, 0.0, 100.0)
    ]


def test_figures_refuse_bad_input_and_other_roles(client_for: Callable[[str], APIClient]) -> None:
    bad = client_for("committee").get("/api/v1/figures/?period=year&year=1800")
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation"
    assert "year" in bad.json()["fields"]
    unit = client_for("unit").get("/api/v1/figures/")
    assert unit.status_code == 403
    assert unit.json()["code"] == "not_allowed"
    assert client_for("anonymous").get("/api/v1/figures/").status_code in (401, 403)
    outside = client_for("committee").get("/api/v1/figures/?region=999999999")
    assert outside.status_code == 404
