"""Time and profile one scenario in-process, one request at a time (where a slow page spends it).

    python -m bench.profile --specs bench/data/liaison_bench/specs.json unit_to_acknowledge [-n 30] [--top 25]

Sends the scenario's probe requests (reads only) through Django's test client under the
benchmark's production settings, prints the mean and median milliseconds per request and the
SQL statements' share, then the functions with the most cumulative time under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import time
from itertools import cycle, islice
from pathlib import Path

import django


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--specs", type=Path, required=True)
    parser.add_argument("scenario")
    parser.add_argument("-n", type=int, default=30, help="requests to time (after 3 to warm)")
    parser.add_argument("--top", type=int, default=25, help="functions to list; 0 for none")
    args = parser.parse_args(argv)
    from bench.run import server_env

    # The benchmark server's own environment: production settings on the specs' database.
    os.environ.update(server_env(args.specs.parent.name))
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.querycount import _client, _send, check

    specs = json.loads(args.specs.read_text())
    scenario = next((s for s in specs["scenarios"] if s["name"] == args.scenario), None)
    if scenario is None or not scenario.get("available"):
        raise SystemExit(f"no available scenario {args.scenario!r}")
    if scenario["kind"] == "write":
        # Each write target is used once, by the query-count pass and the load: none is left here.
        raise SystemExit("writes change the data; profile reads only")
    requests = scenario["requests"]
    headers = scenario.get("headers", {})
    client = _client()
    for request in requests[:3]:
        _send(client, request, headers)
    batch = islice(cycle(requests[3:] or requests), args.n)
    timings: list[float] = []
    db: list[float] = []
    profiler = cProfile.Profile()
    for request in batch:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            profiler.enable()
            response = _send(client, request, headers)
            profiler.disable()
            timings.append((time.perf_counter() - started) * 1000)
        db.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        problem = check(request, response.status_code, response.content, response.get("Location", ""))
        if problem:
            print(f"! {request['path']}: {problem}")
    print(
        f"{args.scenario}: {len(timings)} requests, mean {statistics.mean(timings):.1f} ms, "
        f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms; "
        f"SQL median {statistics.median(db):.1f} ms, {len(captured.captured_queries)} queries in the last"
    )
    if args.top:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
