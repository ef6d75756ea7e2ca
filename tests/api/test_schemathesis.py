"""schemathesis against the live schema: every operation, a bounded number of generated requests,
signed in as an administrator and as station staff. No answer may be a server error, and every
answer must be one the schema documents (status, content type, body, headers).

The app runs in-process through its WSGI handler, on the test database (PostgreSQL in CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from accounts.models import User
from tests.api.conftest import Scene

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
MAX_EXAMPLES = 12


# The schema is read from the running app, as a client would read it (no database needed for it).
# Bounded: the deterministic "coverage" phase alone sends hundreds of requests per operation, so
# the suite runs the schema's examples and MAX_EXAMPLES generated requests per operation and user.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application(), config=CONFIG)


@pytest.fixture(autouse=True)
def _keep_the_test_connection(db: None) -> Iterator[None]:
    """Requests go through Django's WSGI handler; keep it from closing the test's database
    connection after each request (Django's own test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch: pytest.MonkeyPatch) -> None:
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "user": "100000/minute", "anon": "100000/minute"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def _header(user: User) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def admin_header(scene: Scene, admin_user: User) -> dict[str, str]:
    """Signed in as an administrator; the scene gives them records to find."""
    return _header(admin_user)


@pytest.fixture
def station_header(scene: Scene, station_staff: User) -> dict[str, str]:
    """Signed in as station staff of station A."""
    return _header(station_staff)


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@schema.parametrize()
@HYPOTHESIS
def test_as_an_administrator_no_server_error_and_every_answer_conforms(case: Any, admin_header: dict[str, str]) -> None:
    response = case.call(headers=admin_header)
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@HYPOTHESIS
def test_as_station_staff_no_server_error_and_every_answer_conforms(case: Any, station_header: dict[str, str]) -> None:
    response = case.call(headers=station_header)
    case.validate_response(response, checks=CHECKS)


def test_real_records_conform_too(scene: Scene, admin_user: User) -> None:
    """Generated codes are mostly unknown (404); here every detail and action is called on real
    records and each answer, success or refusal, is validated against the schema."""
    headers = _header(admin_user)
    world = scene.cast.world
    code = scene.suggestion_a.tracking_code
    params = {
        "/api/v1/regions/{code}/": {"code": world.town_a.code},
        "/api/v1/stations/{id}/": {"id": world.station_a.pk},
        "/api/v1/visits/{id}/": {"id": scene.visit_a.pk},
        "/api/v1/representatives/{id}/": {"id": scene.cast.representative.pk},
        "/api/v1/duty-shifts/{id}/": {"id": scene.shift_a.pk},
        "/api/v1/categories/{code}/": {"code": scene.cast.category.code},
        "/api/v1/units/{code}/": {"code": world.unit_a.code},
    }
    called = 0
    for path, methods in schema.raw_schema["paths"].items():
        for method in methods:
            if method not in {"get", "post"}:
                continue
            operation = schema[path][method.upper()]
            path_parameters = params.get(path, {"code": code} if "{code}" in path else {})
            body: dict[str, Any] = {}
            if path.endswith("/supervise/"):
                body = {"note": "请加快办理"}
            with_body = {"body": body, "media_type": "application/json"} if method == "post" else {}
            case = operation.Case(path_parameters=path_parameters, **with_body)
            if method == "post" and path in {"/api/v1/visits/", "/api/v1/suggestions/"}:
                continue  # their bodies are covered by the generated cases and the workflow tests
            response = case.call(headers=headers)
            assert response.status_code < 500, (path, method, response.text[:300])
            case.validate_response(response, checks=CHECKS)
            called += 1
    assert called >= 30


def test_a_case_file_with_every_kind_of_round_conforms(scene: Scene, admin_user: User) -> None:
    """A re-handled case (two answers, both ratings, co-unit opinions, a progress report, an
    extension) and the representative's rating: the answers match the schema documented."""
    from tests.suggestions.casefile_builders import rehandled

    s = rehandled(scene.cast)
    detail = schema["/api/v1/suggestions/{code}/"]["GET"].Case(path_parameters={"code": s.tracking_code})
    response = detail.call(headers=_header(admin_user))
    assert response.status_code == 200
    assert len(response.json()["rounds"]) == 2
    detail.validate_response(response, checks=CHECKS)

    rep = scene.cast.users["representative_user"]
    assert rep is not None
    for status in (200, 409):  # rates round 2, then the same answer again
        rate = schema["/api/v1/suggestions/{code}/rate-as-representative/"]["POST"].Case(
            path_parameters={"code": s.tracking_code}, body={"rating": "satisfied"}, media_type="application/json"
        )
        answer = rate.call(headers=_header(rep))
        assert answer.status_code == status, answer.text[:300]
        rate.validate_response(answer, checks=CHECKS)
