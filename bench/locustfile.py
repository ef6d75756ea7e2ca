"""Locust user for one scenario of the benchmark suite (run headless by bench.run).

Environment: BENCH_SCENARIO_FILE (one scenario from specs.json: headers and request list),
BENCH_RESULT_FILE (where the summary goes). Every simulated user sends the scenario's
requests back to back (no think time): reads cycle through the list, writes take each
request once and the test ends when they run out. A response with an unexpected status, or
without the text the scenario expects, counts as an error. Latencies are recorded with
sub-millisecond precision; all users start at once.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.exception import StopUser

SCENARIO: dict[str, Any] = json.loads(Path(os.environ["BENCH_SCENARIO_FILE"]).read_text())
RESULT_FILE = Path(os.environ["BENCH_RESULT_FILE"])
IS_WRITE = SCENARIO["kind"] == "write"
REQUESTS: list[dict[str, Any]] = SCENARIO["requests"]
FEED: Iterator[dict[str, Any]] = iter(REQUESTS) if IS_WRITE else cycle(REQUESTS)
BASE_HEADERS: dict[str, str] = SCENARIO.get("headers", {})


class Recorder:
    """Every request's start time, latency and outcome; the window is from the first request's
    start to the moment the test was told to stop (requests in flight then still count)."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, float, str | None]] = []
        self.stopped_at: float | None = None
        self.exhausted = False

    def stop(self) -> None:
        if self.stopped_at is None:
            self.stopped_at = time.time()

    def summary(self) -> dict[str, Any]:
        if not self.samples:
            return {"requests": 0, "errors": 0, "error_kinds": {}, "duration_s": 0.0, "rps": 0.0}
        first = min(start for start, _, _ in self.samples)
        last = self.stopped_at or max(start + latency / 1000 for start, latency, _ in self.samples)
        window = [(latency, error) for start, latency, error in self.samples if start <= last]
        values = sorted(latency for latency, _ in window)
        kinds = Counter(error for _, error in window if error is not None)
        errors = sum(kinds.values())
        duration = max(last - first, 1e-6)
        return {
            "requests": len(values),
            "errors": errors,
            "error_kinds": dict(kinds.most_common(10)),
            "duration_s": round(duration, 2),
            "rps": round((len(values) - errors) / duration, 1),
            "p50_ms": percentile(values, 50),
            "p95_ms": percentile(values, 95),
            "p99_ms": percentile(values, 99),
            "mean_ms": sum(values) / len(values),
            "max_ms": values[-1],
            "exhausted": self.exhausted,
        }


RECORDER = Recorder()


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@events.request.add_listener
def _on_request(response_time: float, exception: BaseException | None, start_time: float, **kwargs: Any) -> None:
    RECORDER.samples.append((start_time, float(response_time), None if exception is None else str(exception)[:200]))


@events.test_stopping.add_listener
def _on_stopping(environment: Environment, **kwargs: Any) -> None:
    RECORDER.stop()


@events.quitting.add_listener
def _on_quit(environment: Environment, **kwargs: Any) -> None:
    RESULT_FILE.write_text(json.dumps(RECORDER.summary(), indent=1))


class ScenarioUser(FastHttpUser):
    # Closed loop: each user sends its next request as soon as the last one is answered.
    network_timeout = 30.0
    connection_timeout = 10.0

    @task
    def send(self) -> None:
        try:
            request = next(FEED)
        except StopIteration:
            # Every write target used: end the test (once, outside this user's greenlet).
            if not RECORDER.exhausted and self.environment.runner is not None:
                RECORDER.exhausted = True
                RECORDER.stop()
                gevent.spawn(self.environment.runner.quit)
            raise StopUser() from None
        headers = {**BASE_HEADERS, **request.get("headers", {})}
        body = request.get("body")
        if body is not None:
            headers["Content-Type"] = request.get("content_type", "application/x-www-form-urlencoded")
        expect = request.get("expect", [200])
        wanted = [text.encode() for text in request.get("contains_any", [])]
        with self.client.request(
            request["method"],
            request["path"],
            name=SCENARIO["name"],
            data=body,
            headers=headers,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            location = (response.headers or {}).get("Location") or ""
            if response.status_code not in expect:
                response.failure(f"HTTP {response.status_code}")
            elif request.get("location_contains") and request["location_contains"] not in location:
                response.failure("redirected elsewhere (not to the suggestion)")
            elif wanted and not any(text in (response.content or b"") for text in wanted):
                response.failure("body lacks the expected text")
            else:
                response.success()
        # Keep no cookie the server set (a messages cookie, a rotated token): every request
        # carries exactly the scenario's credentials.
        self.client.cookiejar.clear()
