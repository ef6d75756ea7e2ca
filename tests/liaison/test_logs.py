"""Request IDs: taken from a sane X-Request-ID or made, returned in the response, and on every
log line of the request, in text or (LOG_FORMAT=json) JSON lines."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
HEX_ID = re.compile(r"[0-9a-f]{32}")

# A request that logs (Django's WARNING for a 404) in a real process with the portal's LOGGING.
SCRIPT = """
from django.test import Client
import logging
logging.getLogger("liaison.test").warning("outside any request")
response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="lb-7f3a.42")
print("HEADER", response["X-Request-ID"])
Client().get("/s/board/", HTTP_X_REQUEST_ID="lb-cache.1")  # logs from inside: Redis is unreachable
"""


def test_a_sane_incoming_id_is_kept_and_returned(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-01:9f8e7d6c")
    assert response["X-Request-ID"] == "edge-01:9f8e7d6c"


@pytest.mark.parametrize("incoming", [None, "", "has space", "<script>", "x" * 129, "换行"])
def test_a_missing_or_odd_id_is_replaced_by_a_new_one(client: Client, incoming: str | None) -> None:
    extra = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}
    first = client.get("/s/", **extra)["X-Request-ID"]
    second = client.get("/s/", **extra)["X-Request-ID"]
    assert HEX_ID.fullmatch(first)
    assert first != second


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_portal(log_format: str) -> subprocess.CompletedProcess[str]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "log-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "LOG_FORMAT": log_format,
    }
    env["REDIS_URL"] = f"redis://127.0.0.1:{dead_port()}/0"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_json_logs_carry_the_request_id() -> None:
    result = run_portal("json")
    assert "HEADER lb-7f3a.42" in result.stdout
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines, result.stderr
    assert len(lines) == len(result.stderr.splitlines())  # every line is JSON
    not_found = next(line for line in lines if line["logger"] == "django.request")
    assert not_found["request_id"] == "lb-7f3a.42"
    assert not_found["level"] == "WARNING"
    assert not_found["message"] == "Not Found: /no-such-page/"
    assert set(not_found) == {"time", "level", "logger", "request_id", "message"}
    inside = next(line for line in lines if line["logger"] == "liaison.cache")
    assert inside["request_id"] == "lb-cache.1"
    assert inside["message"].startswith("Redis cache unreachable")
    outside = next(line for line in lines if line["logger"] == "liaison.test")
    assert outside["request_id"] == "-"


def test_text_logs_carry_the_request_id() -> None:
    result = run_portal("text")
    line = next(line for line in result.stderr.splitlines() if "Not Found: /no-such-page/" in line)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d [\d:,]+ WARNING django.request \[lb-7f3a\.42\] Not Found: /no-such-page/", line
    )


def test_an_unknown_log_format_stops_the_start() -> None:
    env = {**os.environ, "DEBUG": "1", "LOG_FORMAT": "xml"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "LOG_FORMAT" in result.stderr
