"""The soak run behind `make soak`: a staff + voter + API mix for ten minutes on a
production-like stack, with Redis stopped for 60 s and PostgreSQL restarted once.

    python -m bench.soak                       # 10 minutes, 20,000 suggestions
    python -m bench.soak --minutes 3 --suggestions 5000

Everything it stops and starts is its own: a PostgreSQL cluster (initdb in a scratch
directory, on a free port), a redis-server on a free port (cache and broker), a real SMTP
server (aiosmtpd, in this process), gunicorn with 2 sync workers, one Celery worker and
Celery beat. The machine's PostgreSQL and Redis are never touched.

Timeline over the load (locust headless, bench/soak_locustfile.py): Redis is stopped at 30 %
of the run for `--redis-down` seconds and started again on the same port; PostgreSQL is
restarted (fast shutdown, start) at 65 %. Afterwards, with the load stopped, it waits for
the outbox and the deliveries to drain and checks:

- no answer 500 (or a dropped connection) outside the database outage window (from the
  restart until PostgreSQL accepts connections again, plus 5 s);
- no lost write: every hand-over and reply the server acknowledged (its redirect) is in the
  case file, and none the server refused is half there;
- every notification delivered once: no delivery left pending or failed, each e-mail
  delivery received by the SMTP server exactly once (by its stable Message-ID), each in-app
  delivery one notification.

Results: bench/results/soak-<date>.md and .json. Exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.run import BIN, RESULTS, ROOT, free_port, gunicorn, log, server_env

PG_BIN = Path(os.environ.get("SOAK_PG_BIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "soak"
READS = "staff_detail,unit_to_acknowledge,committee_overdue_district,dashboard_year,api_list,api_detail"
VOTERS = "status_lookup,open311_requests"
WRITES = {"hand_over": "suggestion.handed_over", "reply": "suggestion.replied"}


# --- Our own services ----------------------------------------------------------------------


class Postgres:
    """A scratch PostgreSQL cluster on a free port, run as the `postgres` user when we are root."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "pg"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir.parent, "postgres")
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60"
        self._run("pg_ctl", "-D", str(self.dir), "-o", options, "-l", str(self.dir / "server.log"), "-w", "start")
        import psycopg

        with psycopg.connect(f"{self.url}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir), "-m", "fast", "-w", "restart")

    def ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(f"{self.url}/postgres", connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.dir), "-m", "immediate", "-w", "stop")


class Redis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.log = workdir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        import redis

        for _ in range(100):
            with contextlib.suppress(redis.exceptions.ConnectionError):
                if redis.Redis.from_url(self.url).ping():
                    return
            time.sleep(0.05)
        raise SystemExit("soak: redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Inbox:
    """aiosmtpd handler counting the messages it receives by Message-ID."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email

        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.ids[str(message.get("Message-ID", "")).strip()] += 1
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@contextlib.contextmanager
def process(command: list[str], env: dict[str, str], log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log_file.open("ab") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- The run ---------------------------------------------------------------------------------


def manage(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"soak: manage.py {' '.join(args)} failed")


def stack_env(pg: Postgres, redis_url: str, smtp_port: int) -> dict[str, str]:
    env = server_env(DATABASE)
    env.update(
        DATABASE_URL=f"{pg.url}/{DATABASE}",
        REDIS_URL=f"{redis_url}/0",
        CELERY_BROKER_URL=f"{redis_url}/1",
        CELERY_RESULT_BACKEND=f"{redis_url}/1",
        CELERY_TASK_ALWAYS_EAGER="0",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_USE_TLS="0",
        NOTIFY_RELAY_INTERVAL_SECONDS="10",
        LOG_LEVEL="WARNING",
    )
    env.pop("BENCH_ENDPOINTS", None)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--suggestions", type=int, default=20_000)
    parser.add_argument("--redis-down", type=float, default=60, help="seconds Redis stays stopped")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, data)")
    args = parser.parse_args(argv)
    duration = int(args.minutes * 60)
    workdir = Path(tempfile.mkdtemp(prefix="liaison-soak-"))
    log(f"soak: scratch directory {workdir}")
    pg, redis = Postgres(workdir), Redis(workdir)
    try:
        pg.init()
        redis.start()
        with smtp_server() as (smtp_port, inbox):
            env = stack_env(pg, redis.url, smtp_port)
            return run(args, duration, workdir, env, pg, redis, inbox)
    finally:
        redis.stop()
        pg.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def run(
    args: argparse.Namespace,
    duration: int,
    workdir: Path,
    env: dict[str, str],
    pg: Postgres,
    redis: Redis,
    inbox: Inbox,
) -> int:
    started = time.perf_counter()
    manage(["migrate", "--noinput"], env)
    manage(["seed_demo", "--volume", str(args.suggestions)], env)
    log(f"soak: {args.suggestions:,} suggestions generated in {time.perf_counter() - started:.0f} s")
    spec_file = workdir / "specs.json"
    # Two writers take one suggestion about every 2 s each, the kinds in turn: about one write
    # per kind every 2 s, so duration / 2 per kind (and a margin) outlast the run.
    writes = duration // 2 + 30
    only = ",".join([READS, VOTERS, *WRITES])
    command = [str(BIN / "python"), "-m", "bench.prepare", "--out", str(spec_file), "--reads", "300"]
    prepared = subprocess.run(
        [*command, "--writes", str(writes), "--only", only], cwd=ROOT, env=env, capture_output=True, text=True
    )
    sys.stderr.write(prepared.stderr[-3000:])
    if prepared.returncode != 0:
        raise SystemExit("soak: bench.prepare failed")
    spec = json.loads(spec_file.read_text())
    missing = [s["name"] for s in spec["scenarios"] if not s.get("available")]
    if missing:
        raise SystemExit(f"soak: scenarios not available: {missing}")
    # The writes' warm-up and probe requests are not sent: each target is written once, in the load.
    for s in spec["scenarios"]:
        if s["kind"] == "write":
            s["requests"] = s["probe"] + s["warm"] + s["requests"]
    spec_file.write_text(json.dumps(spec, ensure_ascii=False))
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        row = conn.execute("SELECT now()").fetchone()
        assert row is not None
        db_start = row[0]

    celery = [str(BIN / "celery"), "-A", "liaison"]
    result_file = workdir / "record.json"
    locust_env = {**env, "SOAK_SPEC_FILE": str(spec_file), "SOAK_RESULT_FILE": str(result_file)}
    events: dict[str, float] = {}
    with (
        gunicorn(env, workdir / "gunicorn.log") as port,
        process([*celery, "worker", "-l", "WARNING", "--concurrency", "2"], env, workdir / "worker.log") as worker,
        process([*celery, "beat", "-l", "WARNING", "-s", str(workdir / "beat")], env, workdir / "beat.log") as beat,
    ):
        locust = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "soak_locustfile.py"), "--headless"]
        locust += ["--users", str(args.users), "--spawn-rate", "5", "--run-time", f"{duration}s"]
        locust += ["--stop-timeout", "10", "--host", f"http://127.0.0.1:{port}", "--only-summary"]
        locust += ["--loglevel", "WARNING"]
        log(
            f"soak: load for {duration} s; Redis down at {0.3 * duration:.0f} s,"
            f" PostgreSQL restart at {0.65 * duration:.0f} s"
        )
        with process(locust, locust_env, workdir / "locust.log") as load:
            t0 = time.time()
            events["load_start"] = t0
            sleep_until(t0 + 0.3 * duration)
            events["redis_stop"] = time.time()
            redis.stop()
            log("soak: Redis stopped")
            sleep_until(events["redis_stop"] + args.redis_down)
            redis.start()
            events["redis_start"] = time.time()
            log("soak: Redis started again")
            sleep_until(t0 + 0.65 * duration)
            events["pg_restart"] = time.time()
            pg.restart()
            while not pg.ready():
                time.sleep(0.1)
            events["pg_ready"] = time.time()
            log(f"soak: PostgreSQL restarted in {events['pg_ready'] - events['pg_restart']:.1f} s")
            load.wait(timeout=duration + 120)
            events["load_end"] = time.time()
        log("soak: load over; waiting for the outbox and deliveries to drain")
        drained = drain(env["DATABASE_URL"], db_start, timeout=240)
        time.sleep(2)  # the last SMTP conversations
        alive = {"worker": worker.poll() is None, "beat": beat.poll() is None}
    record = json.loads(result_file.read_text()) if result_file.exists() else []
    report = judge(record, events, env["DATABASE_URL"], db_start, inbox, drained=drained, alive=alive)
    report.update(
        minutes=args.minutes,
        suggestions=args.suggestions,
        users=args.users,
        redis_down_s=args.redis_down,
        events={k: round(v - events["load_start"], 1) for k, v in events.items()},
        generated_at=dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
    )
    write_results(report)
    failed = report["failures"]
    for line in failed:
        log(f"soak: FAILED: {line}")
    if not failed:
        log("soak: all checks passed")
    return 1 if failed else 0


def sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


def drain(url: str, since: Any, *, timeout: float) -> bool:
    import psycopg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(psycopg.OperationalError), psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM notifications_outbox WHERE status = 'pending' AND created_at >= %s)"
                " + (SELECT count(*) FROM notifications_delivery WHERE status IN ('pending', 'sending')"
                " AND created_at >= %s)",
                [since, since],
            ).fetchone()
            if row is not None and row[0] == 0:
                return True
        time.sleep(2)
    return False


def judge(
    record: list[dict[str, Any]],
    events: dict[str, float],
    url: str,
    since: Any,
    inbox: Inbox,
    *,
    drained: bool,
    alive: dict[str, bool],
) -> dict[str, Any]:
    import psycopg

    pg_window = (events["pg_restart"], events["pg_ready"] + 5)
    redis_window = (events["redis_stop"], events["redis_start"])

    def phase(entry: dict[str, Any]) -> str:
        # A request belongs to an outage when it was in flight at any moment of it.
        start, end = entry["t"], entry["t"] + entry.get("d", 0)
        if start <= pg_window[1] and end >= pg_window[0]:
            return "postgres_restart"
        if start <= redis_window[1] and end >= redis_window[0]:
            return "redis_down"
        return "normal"

    statuses: dict[str, Counter[str]] = {"normal": Counter(), "redis_down": Counter(), "postgres_restart": Counter()}
    by_scenario: dict[str, Counter[str]] = {}
    for entry in record:
        key = str(entry["status"])
        statuses[phase(entry)][key] += 1
        by_scenario.setdefault(entry["s"], Counter())[key] += 1
    bad_outside = sum(
        n for p in ("normal", "redis_down") for s, n in statuses[p].items() if int(s) == 0 or int(s) >= 500
    )

    acked: dict[str, set[str]] = {name: set() for name in WRITES}
    refused: dict[str, set[str]] = {name: set() for name in WRITES}
    for entry in record:
        if entry["s"] in WRITES:
            code = entry["path"].rsplit("/do/", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            (acked if entry["ok"] else refused)[entry["s"]].add(code)
    with psycopg.connect(url, autocommit=True) as conn:
        applied: dict[str, set[str]] = {}
        for name, action in WRITES.items():
            rows = conn.execute(
                "SELECT DISTINCT s.tracking_code FROM suggestions_suggestionevent e"
                " JOIN suggestions_suggestion s ON s.id = e.suggestion_id WHERE e.action = %s AND e.created_at >= %s",
                [action, since],
            ).fetchall()
            applied[name] = {r[0] for r in rows}
        deliveries = conn.execute(
            "SELECT channel, status, count(*) FROM notifications_delivery WHERE created_at >= %s GROUP BY 1, 2",
            [since],
        ).fetchall()
        sent_mail = conn.execute(
            "SELECT id FROM notifications_delivery WHERE created_at >= %s AND channel = 'email' AND status = 'sent'",
            [since],
        ).fetchall()
        in_app = conn.execute(
            "SELECT count(*), count(n.id) FROM notifications_delivery d LEFT JOIN notifications_notification n"
            " ON n.delivery_id = d.id WHERE d.created_at >= %s AND d.channel = 'in_app' AND d.status = 'sent'",
            [since],
        ).fetchone()
        outbox = conn.execute(
            "SELECT status, count(*) FROM notifications_outbox WHERE created_at >= %s GROUP BY 1", [since]
        ).fetchall()
    lost = {name: sorted(acked[name] - applied[name]) for name in WRITES}
    half = {name: sorted((refused[name] - acked[name]) & applied[name]) for name in WRITES}
    with inbox.lock:
        received = Counter({k: v for k, v in inbox.ids.items() if k.startswith("<delivery.")})
    # Message-IDs are <delivery.<pk>@<site host>> (notifications.channels.message_id).
    expected_ids = {f"<delivery.{r[0]}" for r in sent_mail}
    got = {k.split("@", 1)[0] for k in received}
    missing_mail = len(expected_ids - got)
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    delivery_table = {f"{c}/{s}": n for c, s, n in deliveries}
    undelivered = sum(n for c, s, n in deliveries if s != "sent")
    in_app_sent, in_app_shown = (in_app or (0, 0))[0], (in_app or (0, 0))[1]
    failures: list[str] = []
    if not record:
        failures.append("the load generator recorded no request")
    if bad_outside:
        failures.append(f"{bad_outside} answers 500 or dropped connections outside the PostgreSQL restart")
    if any(lost.values()):
        failures.append(f"lost writes: { {k: len(v) for k, v in lost.items()} }")
    if any(half.values()):
        failures.append(f"writes refused but applied: { {k: len(v) for k, v in half.items()} }")
    if not drained or undelivered:
        failures.append(f"{undelivered} deliveries not sent after the drain (drained: {drained})")
    if missing_mail or duplicates:
        failures.append(f"e-mail: {missing_mail} sent but not received, {duplicates} received twice")
    if in_app_sent != in_app_shown:
        failures.append(f"in-app: {in_app_sent} sent, {in_app_shown} shown")
    if not all(alive.values()):
        failures.append(f"a process died: {alive}")
    return {
        "requests": len(record),
        "statuses_by_phase": {k: dict(v) for k, v in statuses.items()},
        "statuses_by_scenario": {k: dict(v) for k, v in sorted(by_scenario.items())},
        "writes": {
            name: {
                "acknowledged": len(acked[name]),
                "refused": len(refused[name] - acked[name]),
                "lost": len(lost[name]),
            }
            for name in WRITES
        },
        "deliveries": delivery_table,
        "outbox": {str(s): int(n) for s, n in outbox},
        "email": {"sent": len(expected_ids), "received": sum(received.values()), "duplicates": duplicates},
        "in_app": {"sent": in_app_sent, "shown": in_app_shown},
        "processes_alive": alive,
        "failures": failures,
    }


def write_results(report: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"soak-{dt.date.today():%Y-%m-%d}"  # noqa: DTZ011 - the machine's date names the file
    stem.with_suffix(".json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    lines = [
        f"# Soak run, {report['generated_at']}",
        "",
        f"{report['minutes']} minutes, {report['users']} locust users (staff, voter and API reads; hand-overs and"
        f" replies), {report['suggestions']:,} suggestions; Redis stopped for {report['redis_down_s']:.0f} s,"
        " PostgreSQL restarted once. Events (seconds into the load): "
        + ", ".join(f"{k} {v}" for k, v in report["events"].items()),
        "",
        "| phase | answers by status |",
        "|---|---|",
    ]
    for name, counts in report["statuses_by_phase"].items():
        lines.append(f"| {name} | " + ", ".join(f"{s}: {n:,}" for s, n in sorted(counts.items())) + " |")
    lines += ["", "| scenario | answers by status |", "|---|---|"]
    for name, counts in report["statuses_by_scenario"].items():
        lines.append(f"| {name} | " + ", ".join(f"{s}: {n:,}" for s, n in sorted(counts.items())) + " |")
    lines += [
        "",
        f"Writes: {json.dumps(report['writes'])}",
        f"Deliveries: {json.dumps(report['deliveries'])}; outbox: {json.dumps(report['outbox'])}",
        f"E-mail: {json.dumps(report['email'])}; in-app: {json.dumps(report['in_app'])}",
        f"Processes alive at the end: {json.dumps(report['processes_alive'])}",
        "",
        "Result: " + ("all checks passed" if not report["failures"] else "FAILED: " + "; ".join(report["failures"])),
        "",
    ]
    stem.with_suffix(".md").write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
