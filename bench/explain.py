"""Where a scenario's time goes in the database: EXPLAIN ANALYZE of every query of one request.

    python -m bench.explain --database liaison_bench [--only staff_detail,deep_list] [--top 3]

Runs under the server's environment (bench.run.server_env) on the bench database. For each
scenario it sends one probe request through Django's test client, captures its SQL, and runs
`EXPLAIN (ANALYZE, BUFFERS)` on each SELECT, printing the slowest queries with their plans.
Writes are skipped (their probe suggestions are used once, by the query-count pass).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import django


def explain(sql: str, params: Any) -> tuple[float, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    total = 0.0
    for line in lines:
        if line.startswith("Execution Time:"):
            total = float(line.split(":")[1].split()[0])
    return total, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="a bench database prepared by bench.run")
    parser.add_argument("--only", default="")
    parser.add_argument("--top", type=int, default=2)
    parser.add_argument("--index", type=int, default=1, help="which probe request of the scenario")
    args = parser.parse_args(argv)
    from bench.run import DATA, server_env

    os.environ.update(server_env(args.database))
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.querycount import _client, _send

    only = set(filter(None, args.only.split(",")))
    specs = json.loads((DATA / args.database / "specs.json").read_text())
    for scenario in specs["scenarios"]:
        if not scenario.get("available") or scenario["kind"] == "write" or (only and scenario["name"] not in only):
            continue
        probe = scenario["probe"]
        request = probe[min(args.index, len(probe) - 1)]
        client = _client()
        _send(client, probe[0], scenario.get("headers", {}))  # warm
        with CaptureQueriesContext(connection) as captured:
            response = _send(client, request, scenario.get("headers", {}))
        plans = []
        for query in captured.captured_queries:
            sql = query["sql"]  # as executed, parameters interpolated
            if sql.lstrip().upper().startswith("SELECT"):
                plans.append((*explain(sql, None), sql))
        plans.sort(key=lambda p: -p[0])
        total = sum(p[0] for p in plans)
        print(
            f"== {scenario['name']} {request['path']} → {response.status_code}: {len(captured)} queries, "
            f"{total:.1f} ms in SELECTs"
        )
        for ms, plan, sql in plans[: args.top]:
            print(f"-- {ms:.2f} ms: {sql[:600]}")
            print(plan)
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
