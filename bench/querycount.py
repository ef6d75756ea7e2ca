"""Queries per request for every available scenario (runs inside Django, on the bench database).

    python -m bench.querycount --specs bench/data/<db>/specs.json --out bench/data/<db>/queries.json

Each scenario's `probe` requests go through Django's test client with the same credentials,
headers and bodies the load generator sends, under the same production settings, and
`CaptureQueriesContext` counts the SQL statements of each (session and user lookups
included) and the time they took (one request at a time, no load: where the database's part
of a request ends and Python's begins). The first request of a scenario warms the process and is not counted for reads;
writes use their own probe suggestions (never the load's). A response with a status the
scenario does not expect is recorded as an error, so this pass is also the suite's correctness
check before any load is sent.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import traceback
from pathlib import Path
from typing import Any

import django


def _client() -> Any:
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1", raise_request_exception=True)


def _send(client: Any, request: dict[str, Any], headers: dict[str, str]) -> Any:
    merged = {**headers, **request.get("headers", {})}
    method = request["method"]
    if method == "GET":
        return client.get(request["path"], headers=merged)
    return client.generic(
        method,
        request["path"],
        data=request.get("body", ""),
        content_type=request.get("content_type", "application/x-www-form-urlencoded"),
        headers=merged,
    )


def check(request: dict[str, Any], status: int, body: bytes, location: str = "") -> str | None:
    """Why this response is not what the scenario expects, or None."""
    expect = request.get("expect", [200])
    if status not in expect:
        return f"HTTP {status} (expected {'/'.join(map(str, expect))})"
    if request.get("location_contains") and request["location_contains"] not in location:
        return f"redirected to {location!r}"
    wanted = request.get("contains_any")
    if wanted and not any(text.encode() in body for text in wanted):
        return f"body lacks {wanted[0]!r}"
    return None


def count(scenario: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client()
    headers: dict[str, str] = scenario.get("headers", {})
    probe: list[dict[str, Any]] = scenario.get("probe", [])
    counted = probe if scenario["kind"] == "write" else [probe[0], *probe]
    queries: list[int] = []
    db_ms: list[float] = []
    errors: list[str] = []
    for index, request in enumerate(counted):
        with CaptureQueriesContext(connection) as captured:
            try:
                response = _send(client, request, headers)
            except Exception as exc:  # a server error: the traceback goes to the report
                errors.append(f"{request['method']} {request['path']}: {exc!r}")
                traceback.print_exc(file=sys.stderr)
                continue
        problem = check(request, response.status_code, response.content, response.get("Location", ""))
        if problem:
            errors.append(f"{request['method']} {request['path']}: {problem}")
        if index == 0:
            continue  # warms the process (for writes: the first probe suggestion)
        queries.append(len(captured.captured_queries))
        db_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    if not queries:
        return {"queries_min": None, "queries_median": None, "queries_max": None, "probe_errors": errors}
    return {
        "queries_min": min(queries),
        "queries_median": statistics.median(queries),
        "queries_max": max(queries),
        "db_ms_median": round(statistics.median(db_ms), 2),
        "probe_errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--specs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    django.setup()
    specs = json.loads(args.specs.read_text())
    result: dict[str, Any] = {}
    for scenario in specs["scenarios"]:
        if not scenario.get("available") or not scenario.get("probe"):
            continue
        result[scenario["name"]] = count(scenario)
        r = result[scenario["name"]]
        status = f"{len(r['probe_errors'])} errors: {r['probe_errors'][:3]}" if r["probe_errors"] else "ok"
        print(f"  {scenario['name']:<28} queries {r['queries_min']}–{r['queries_max']}  {status}", file=sys.stderr)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
