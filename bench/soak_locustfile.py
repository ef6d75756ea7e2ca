"""Locust users for the soak run (bench.soak): a staff + voter + API mix at a steady pace.

Environment: SOAK_SPEC_FILE (the prepared scenarios, bench.prepare's specs.json) and
SOAK_RESULT_FILE (every request's start time, scenario, status and, for writes, the path,
written when locust quits). Readers pick a random read scenario and request each time;
writers take each write request once, alternating hand-over and reply, and stop when they
run out. Nothing is judged here: bench.soak reads the record and checks the database.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.env import Environment
from locust.exception import StopUser

SPEC: dict[str, Any] = json.loads(Path(os.environ["SOAK_SPEC_FILE"]).read_text())
RESULT_FILE = Path(os.environ["SOAK_RESULT_FILE"])
SCENARIOS = {s["name"]: s for s in SPEC["scenarios"] if s.get("available") and s.get("requests")}
READS = [s for s in SCENARIOS.values() if s["kind"] != "write"]
WRITES = [s for s in SCENARIOS.values() if s["kind"] == "write"]


def _interleave() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Write requests of every write scenario, taken in turn, each once."""
    feeds = [iter([(s, r) for r in s["requests"]]) for s in WRITES]
    while feeds:
        for feed in list(feeds):
            item = next(feed, None)
            if item is None:
                feeds.remove(feed)
            else:
                yield item


WRITE_FEED = _interleave()
READ_ORDER = cycle(READS)
RECORD: list[dict[str, Any]] = []


@events.quitting.add_listener
def _on_quit(environment: Environment, **kwargs: Any) -> None:
    RESULT_FILE.write_text(json.dumps(RECORD))


class _Soaker(FastHttpUser):
    abstract = True
    network_timeout = 30.0
    connection_timeout = 10.0

    def send(self, scenario: dict[str, Any], request: dict[str, Any], *, write: bool) -> None:
        headers = {**scenario.get("headers", {}), **request.get("headers", {})}
        body = request.get("body")
        if body is not None:
            headers["Content-Type"] = request.get("content_type", "application/x-www-form-urlencoded")
        started = time.time()
        with self.client.request(
            request["method"],
            request["path"],
            name=scenario["name"],
            data=body,
            headers=headers,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            status = int(response.status_code or 0)
            location = (response.headers or {}).get("Location") or ""
            ok = status in request.get("expect", [200])
            if ok and request.get("location_contains"):
                ok = request["location_contains"] in location
            entry: dict[str, Any] = {"t": started, "d": time.time() - started, "s": scenario["name"]}
            entry.update(status=status, ok=ok)
            if write:
                entry["path"] = request["path"]
            RECORD.append(entry)
            # Judged afterwards by bench.soak; locust's own counters stay quiet.
            response.success()
        self.client.cookiejar.clear()


class Reader(_Soaker):
    """Staff, voters and API clients reading: a random read scenario each time."""

    weight = 4
    wait_time = between(0.05, 0.25)

    @task
    def read(self) -> None:
        scenario = next(READ_ORDER)
        self.send(scenario, random.choice(scenario["requests"]), write=False)


class Writer(_Soaker):
    """Committee and unit staff handing over and replying, each suggestion once."""

    weight = 1
    wait_time = between(1.5, 2.5)

    @task
    def write(self) -> None:
        item = next(WRITE_FEED, None)
        if item is None:
            raise StopUser()
        self.send(*item, write=True)
