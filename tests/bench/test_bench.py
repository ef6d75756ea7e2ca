"""The benchmark suite's own pieces: the floor views and the report's arithmetic.

The benchmark itself is `make bench` / `make bench-smoke`, never part of `make test`.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from bench import report, views
from tests.factories import SuggestionFactory


def test_floor_endpoints_are_not_routed_unless_bench_endpoints_is_on(client: object) -> None:
    response = client.get("/_bench/trivial")  # type: ignore[attr-defined]
    assert response.status_code == 404


def test_trivial_floor_answers_without_touching_the_database(db: None) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = views.trivial(RequestFactory().get("/_bench/trivial"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert len(queries) == 0


def test_one_query_floor_does_exactly_one_primary_key_query_and_leaks_no_personal_data(world: object) -> None:
    suggestion = SuggestionFactory(submitter_name="张三", submitter_phone="13812345678")
    with CaptureQueriesContext(connection) as queries:
        response = views.one_query(RequestFactory().get("/"), pk=suggestion.pk)
    assert len(queries) == 1
    assert response.status_code == 200
    assert b"13812345678" not in response.content
    assert "张三".encode() not in response.content
    with pytest.raises(Http404):
        views.one_query(RequestFactory().get("/"), pk=suggestion.pk + 1000)


def _volume(p95: dict[str, float], floor: float = 10.0) -> dict[str, object]:
    scenarios = {
        "floor_one_query": {"title": "floor", "kind": "floor", "target_p95_ms": None, "target_ratio": None},
        "status_lookup": {"title": "lookup", "kind": "read", "target_p95_ms": 20, "target_ratio": 3},
    }
    results = {
        "floor_one_query": {"available": True, "p95_ms": floor, "p50_ms": floor / 2, "errors": 0, "requests": 9},
        "floor_one_query@end": {"available": True, "p95_ms": floor, "p50_ms": floor / 2, "errors": 0, "requests": 9},
        "status_lookup": {"available": True, "p95_ms": p95["status_lookup"], "errors": 0, "requests": 9},
    }
    return {"database": "bench_test", "scenarios": scenarios, "results": results}


def test_report_gives_ratio_to_the_one_query_floor_and_judges_both_targets() -> None:
    met = {r["key"]: r for r in report.rows(_volume({"status_lookup": 18.0}))}
    assert met["status_lookup"]["p95_ratio"] == 1.8
    assert met["status_lookup"]["verdict"] == "met"
    slow = {r["key"]: r for r in report.rows(_volume({"status_lookup": 35.0}))}
    assert slow["status_lookup"]["verdict"] == "missed: p95 > 20 ms, > 3× floor"


def test_report_growth_compares_the_same_scenario_across_volumes() -> None:
    grown = report.growth([_volume({"status_lookup": 10.0}), _volume({"status_lookup": 16.0})])
    lookup = next(g for g in grown if g["name"] == "status_lookup")
    assert lookup["growth"] == 1.6
    assert lookup["verdict"] == "missed"


def test_report_fails_the_run_on_any_error_response_but_not_on_timings() -> None:
    slow = _volume({"status_lookup": 500.0})
    run = {"volumes": [slow], "sweep": {}}
    assert report.problems(run) == []
    slow["results"]["status_lookup"]["errors"] = 2  # type: ignore[index]
    assert len(report.problems(run)) == 1
