"""The benchmark runner behind `make bench` and `make bench-smoke`.

    python -m bench.run              # full: 100,000 and 1,000,000 suggestions, ~20 s per scenario
    python -m bench.run --smoke      # CI: 10,000 suggestions in a fresh database, a few seconds each

For each data volume it
1. makes sure PostgreSQL and Redis are up (scripts/services.sh);
2. creates the data in its own database with `seed_demo --volume N` (timed, then VACUUM
   ANALYZE), or reuses it when it is already there (applying any new migration);
3. prepares every scenario's requests from the data (bench.prepare) and counts queries per
   request with Django's test client (bench.querycount);
4. starts gunicorn on a free 127.0.0.1 port with production settings, 2 sync workers and
   persistent database connections, and warms it;
5. drives each scenario for a fixed time from a separate process (locust headless, 8 users,
   no think time), with the two floor views measured at the start and the end;
and then writes bench/results/*.md and *.json. It exits non-zero if any response was an error
(or a scenario could not run), never because of a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import report

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
# Smoke runs are part of `make test`, which must leave the working tree as it found it.
SMOKE_RESULTS = ROOT / "test-artifacts" / "bench"
BIN = Path(sys.executable).parent
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
# A Redis database of its own, flushed before each volume: cache and broker start empty.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
USERS = 8
WORKERS = 2
FLOORS = ("floor_trivial", "floor_one_query")


@dataclass(frozen=True)
class Volume:
    suggestions: int
    database: str


FULL = (Volume(100_000, "liaison_bench_100k"), Volume(1_000_000, "liaison_bench"))
SMOKE = (Volume(10_000, "liaison_bench_smoke"),)


def log(message: str) -> None:
    stamp = dt.datetime.now().strftime("%H:%M:%S")  # noqa: DTZ005 - local wall clock for the log
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


# --- Database -----------------------------------------------------------------------------


def _connect(database: str) -> Any:
    import psycopg

    return psycopg.connect(f"{PG_BASE}/{database}", autocommit=True)


def db_exists(database: str) -> bool:
    with _connect("postgres") as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone() is not None


def suggestion_count(database: str) -> int | None:
    with _connect(database) as conn:
        exists = conn.execute("SELECT to_regclass('suggestions_suggestion')").fetchone()
        if not exists or exists[0] is None:
            return None
        row = conn.execute("SELECT count(*) FROM suggestions_suggestion").fetchone()
        return int(row[0]) if row else 0


def others_active(database: str) -> int:
    """Other sessions working in the database right now (e.g. a seed_demo still running)."""
    with _connect("postgres") as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() AND state = 'active'",
            [database],
        ).fetchone()
        return int(row[0]) if row else 0


def drop_db(database: str) -> None:
    with _connect("postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def create_db(database: str) -> None:
    with _connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{database}"')


def vacuum_analyze(database: str) -> None:
    with _connect(database) as conn:
        conn.execute("VACUUM ANALYZE")


def meta_path(database: str) -> Path:
    return DATA / f"{database}.meta.json"


def manage(args: list[str], env: dict[str, str], *, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def must(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"bench: {what} failed (exit {result.returncode})")


def ensure_data(volume: Volume, env: dict[str, str], *, fresh: bool, refresh: bool = True) -> dict[str, Any]:
    """The database with `volume.suggestions` suggestions; generated (and timed) if missing."""
    database = volume.database
    if fresh and db_exists(database):
        log(f"dropping {database} (fresh run)")
        drop_db(database)
    if db_exists(database):
        count = suggestion_count(database)
        waited = 0
        while (count or 0) < volume.suggestions * 0.9 and others_active(database) and waited < 2400:
            log(f"{database} holds {count} suggestions and is being written by another process; waiting")
            time.sleep(15)
            waited += 15
            count = suggestion_count(database)
        if count is None or count == 0 or count < volume.suggestions * 0.9:
            raise SystemExit(
                f"bench: database {database} exists but holds {count} suggestions, not ~{volume.suggestions}. "
                f"Drop it (dropdb -h 127.0.0.1 -U postgres {database}) and run again to regenerate it."
            )
        check = manage(["migrate", "--check", "--noinput"], env)
        if check.returncode != 0:
            log(f"{database}: applying new migrations")
            must(manage(["migrate", "--noinput"], env), f"migrate {database}")
            vacuum_analyze(database)
        meta: dict[str, Any] = {}
        if meta_path(database).exists():
            meta = json.loads(meta_path(database).read_text())
        meta.update(suggestions=count, reused=True)
        if refresh:
            log(f"{database}: refreshing the dashboards' summary (rebuild_stats --changed)")
            meta["stats_refresh_s"] = refresh_stats(env, changed=True)
        else:
            meta["stats_refresh_s"] = None
            meta["stats_refresh_skipped"] = True
        return meta
    log(f"creating {database} with {volume.suggestions:,} suggestions (seed_demo --volume)")
    create_db(database)
    started = time.perf_counter()
    must(manage(["migrate", "--noinput"], env), f"migrate {database}")
    migrated = time.perf_counter()
    seeded = manage(["seed_demo", "--volume", str(volume.suggestions)], env)
    must(seeded, f"seed_demo --volume {volume.suggestions}")
    generated = time.perf_counter()
    stats_s = refresh_stats(env, changed=False)
    vacuum_started = time.perf_counter()
    vacuum_analyze(database)
    done = time.perf_counter()
    meta = {
        "suggestions": suggestion_count(database),
        "migrate_s": round(migrated - started, 1),
        "seed_s": round(generated - migrated, 1),
        "rebuild_stats_s": stats_s,
        "vacuum_analyze_s": round(done - vacuum_started, 1),
        "generated_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
        "seed_output": seeded.stdout[-2000:],
        "reused": False,
    }
    DATA.mkdir(parents=True, exist_ok=True)
    meta_path(database).write_text(json.dumps(meta, indent=1, ensure_ascii=False))
    log(f"{database}: seeded in {meta['seed_s']} s")
    return meta


def refresh_stats(env: dict[str, str], *, changed: bool) -> float | None:
    """The dashboards' summary tables, as beat keeps them (`rebuild_stats`, if the app has it)."""
    started = time.perf_counter()
    result = manage(["rebuild_stats", *(["--changed"] if changed else [])], env)
    if "Unknown command" in result.stderr:
        return None
    must(result, "rebuild_stats")
    return round(time.perf_counter() - started, 1)


# --- The server -----------------------------------------------------------------------------


def server_env(database: str) -> dict[str, str]:
    """Production settings, as issue 9 asks: DEBUG off, persistent connections, Redis, and the
    limits that would otherwise throttle eight clients on one address raised."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="liaison.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"{PG_BASE}/{database}",
        DB_CONN_MAX_AGE="600",
        REDIS_URL=REDIS_URL,
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        STATIC_MANIFEST="0",
        AXES_ENABLED="0",
        API_THROTTLE_ANON="1000000/minute",
        API_THROTTLE_USER="1000000/minute",
        API_THROTTLE_OPEN311="1000000/minute",
        PUBLIC_LOOKUP_PER_IP_PER_HOUR="1000000",
        PUBLIC_LOOKUP_PER_CODE_PER_HOUR="1000000",
        BENCH_ENDPOINTS="1",
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str, timeout: float = 5) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1"})
        return conn.getresponse().status
    finally:
        conn.close()


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log_file: Path) -> Iterator[int]:
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "liaison.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log_file),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"bench: gunicorn exited with {process.returncode}; see {log_file}")
            with contextlib.suppress(OSError):
                if http_get(port, "/healthz") == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"bench: gunicorn did not answer /healthz within 60 s; see {log_file}")
            time.sleep(0.3)
        log(f"gunicorn up on 127.0.0.1:{port} (pid {process.pid}, {WORKERS} workers)")
        yield port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def send(port: int, headers: dict[str, str], request: dict[str, Any]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        merged = {"Host": "127.0.0.1", **headers, **request.get("headers", {})}
        body = request.get("body")
        if body is not None:
            merged["Content-Type"] = request.get("content_type", "application/x-www-form-urlencoded")
        conn.request(request["method"], request["path"], body=body.encode() if body else None, headers=merged)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def warm(port: int, scenarios: list[dict[str, Any]], *, per_scenario: int) -> None:
    """Each scenario's warm-up requests (imports, templates, connections in both workers)."""
    for scenario in scenarios:
        for request in scenario.get("warm", [])[:per_scenario]:
            with contextlib.suppress(OSError):
                send(port, scenario.get("headers", {}), request)


# --- Load ------------------------------------------------------------------------------------


def run_locust(scenario: dict[str, Any], port: int, duration: int, workdir: Path) -> dict[str, Any]:
    scenario_file = workdir / f"{scenario['name']}.scenario.json"
    result_file = workdir / f"{scenario['name']}.result.json"
    scenario_file.write_text(json.dumps(scenario, ensure_ascii=False))
    result_file.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(BENCH_SCENARIO_FILE=str(scenario_file), BENCH_RESULT_FILE=str(result_file))
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        "100",  # all users within a tenth of a second
        "--run-time",
        f"{duration}s",
        "--stop-timeout",
        "5",
        "--host",
        f"http://127.0.0.1:{port}",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    with (workdir / f"{scenario['name']}.locust.log").open("w") as out:
        subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=duration + 90)
    if not result_file.exists():
        return {"requests": 0, "errors": 1, "error_kinds": {"locust wrote no result": 1}}
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result


def run_volume(
    volume: Volume, *, duration: int, fresh: bool, reads: int, writes: int, smoke: bool = False, refresh: bool = True
) -> dict[str, Any]:
    env = server_env(volume.database)
    workdir = DATA / volume.database
    workdir.mkdir(parents=True, exist_ok=True)
    generation = ensure_data(volume, env, fresh=fresh, refresh=refresh)
    with contextlib.suppress(Exception):
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    specs_file = workdir / "specs.json"
    log(f"{volume.database}: preparing scenarios")
    command = [str(BIN / "python"), "-m", "bench.prepare", "--out", str(specs_file)]
    command += ["--reads", str(reads), "--writes", str(writes)]
    prepared = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    sys.stderr.write(prepared.stderr[-6000:])
    must(prepared, "bench.prepare")
    specs = json.loads(specs_file.read_text())
    log(f"{volume.database}: counting queries per request")
    queries_file = workdir / "queries.json"
    counted = subprocess.run(
        [str(BIN / "python"), "-m", "bench.querycount", "--specs", str(specs_file), "--out", str(queries_file)],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    sys.stderr.write(counted.stderr[-8000:])
    must(counted, "bench.querycount")
    queries = json.loads(queries_file.read_text())
    by_name = {s["name"]: s for s in specs["scenarios"]}
    results: dict[str, Any] = {}
    started = time.perf_counter()
    with gunicorn(env, workdir / "gunicorn.log") as port:
        warm(port, specs["scenarios"], per_scenario=4 if smoke else 10)
        # The floors run first and, except in the smoke run, again last.
        order = [(name, name) for name in FLOORS]
        order += [(s["name"], s["name"]) for s in specs["scenarios"] if s["name"] not in FLOORS]
        if not smoke:
            order += [(name, f"{name}@end") for name in FLOORS]
        for name, key in order:
            scenario = by_name[name]
            if not scenario.get("available"):
                results[key] = {"available": False, "reason": scenario.get("reason", "")}
                continue
            log(f"{volume.database}: {key} for {duration} s")
            load_before = os.getloadavg()[0]
            outcome = run_locust(scenario, port, duration, workdir)
            outcome.update(available=True, loadavg_before=round(load_before, 2), **queries.get(name, {}))
            results[key] = outcome
            failed = outcome.get("errors", 0)
            log(
                f"  {outcome.get('rps')} rps, p50 {_ms(outcome.get('p50_ms'))}, p95 {_ms(outcome.get('p95_ms'))}"
                + (f", {failed} ERRORS {outcome.get('error_kinds')}" if failed else "")
            )
    return {
        "database": volume.database,
        "suggestions": specs["meta"]["suggestions"],
        "volume": volume.suggestions,
        "meta": specs["meta"],
        "generation": generation,
        "load_seconds": round(time.perf_counter() - started, 1),
        "scenarios": {s["name"]: _scenario_info(s) for s in specs["scenarios"]},
        "results": results,
    }


def _ms(value: Any) -> str:
    return f"{value:.1f} ms" if isinstance(value, int | float) else "–"


def _scenario_info(s: dict[str, Any]) -> dict[str, Any]:
    keys = ("title", "role", "kind", "target_p95_ms", "target_ratio", "available", "reason", "note")
    return {k: s.get(k) for k in keys}


# --- The sweep benchmark of the reminders issue ------------------------------------------------


def sweep_benchmark() -> dict[str, Any]:
    """Run `make bench-sweep` (the reminders issue's) if the Makefile has a recipe for it."""
    makefile = (ROOT / "Makefile").read_text()
    if "\nbench-sweep:" not in makefile:
        return {"available": False, "reason": "make bench-sweep is not there yet"}
    log("make bench-sweep")
    started = time.perf_counter()
    done = subprocess.run(
        ["make", "-s", "bench-sweep"], cwd=ROOT, text=True, capture_output=True, timeout=1800, check=False
    )
    return {
        "available": True,
        "exit_code": done.returncode,
        "seconds": round(time.perf_counter() - started, 1),
        "output": (done.stdout + done.stderr)[-3000:],
    }


# --- Main ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    pg = ""
    with contextlib.suppress(Exception), _connect("postgres") as conn:
        row = conn.execute("SHOW server_version").fetchone()
        pg = str(row[0]) if row else ""
    import django

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "host": urlsplit(PG_BASE).hostname,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="10,000 suggestions, fresh database, short runs")
    parser.add_argument("--duration", type=int, help="seconds per scenario (default 20; smoke 2)")
    parser.add_argument("--volumes", default="", help="e.g. 100000 or 100000,1000000 (default: all of the mode)")
    parser.add_argument("--no-sweep", action="store_true", help="skip make bench-sweep")
    parser.add_argument("--database", help="run on this existing database as it is (no generation, any size)")
    parser.add_argument(
        "--no-stats-refresh",
        action="store_true",
        help="do not bring the dashboards' summary up to date in reused databases (the dashboard reads it as it is)",
    )
    args = parser.parse_args(argv)

    services = subprocess.run(["bash", str(ROOT / "scripts" / "services.sh")], check=False)
    if services.returncode != 0:
        return services.returncode
    volumes: tuple[Volume, ...] = SMOKE if args.smoke else FULL
    if args.volumes:
        wanted = {int(v) for v in args.volumes.split(",")}
        volumes = tuple(v for v in volumes if v.suggestions in wanted)
    mode = "smoke" if args.smoke else "full"
    if args.database or len(volumes) < len(SMOKE if args.smoke else FULL):
        mode = "partial"
    if args.database:
        volumes = (Volume(0, args.database),)
    duration = args.duration or (2 if args.smoke else 20)
    started = time.perf_counter()
    runs = [
        run_volume(
            v,
            duration=duration,
            fresh=args.smoke,
            reads=200 if args.smoke else 2000,
            writes=60 if args.smoke else 600,
            smoke=args.smoke,
            refresh=not args.no_stats_refresh,
        )
        for v in volumes
    ]
    sweep = {"available": False, "reason": "skipped"} if args.smoke or args.no_sweep else sweep_benchmark()
    run = {
        "date": dt.datetime.now(tz=dt.UTC).astimezone().isoformat(timespec="seconds"),
        "mode": mode,
        "machine": machine(),
        "settings": {"workers": WORKERS, "worker_class": "sync", "users": USERS, "duration_s": duration},
        "volumes": runs,
        "sweep": sweep,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    paths = report.write(run, SMOKE_RESULTS if args.smoke else RESULTS)
    for path in paths:
        log(f"wrote {path.relative_to(ROOT)}")
    problems = report.problems(run)
    for problem in problems:
        log(f"ERROR: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
