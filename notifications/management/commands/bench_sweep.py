"""Benchmark of the deadline sweep: 100,000 open suggestions, 10,000 of them due.

    DATABASE_URL=postgres://… python manage.py bench_sweep [--suggestions 100000] [--due 10000] [--keep]

Builds a scratch PostgreSQL database next to the configured one (Django's test-database
machinery: created, migrated, dropped at the end), fills it, then runs the sweep in a fresh
process so its peak memory is the sweep's own, and reports wall time, number of queries and
peak memory of the first sweep (which creates the reminders) and of a second one (which must
create nothing). Exit status 1 when the sweep is wrong, not when it is slow.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

TARGET_SECONDS = 10.0
TARGET_MB = 200.0
# Reminders each due suggestion makes: 2 contacts → in-app + e-mail, e-mail, SMS; escalated ones also
# tell 2 committee staff (in-app + e-mail each).
PER_DUE = 4
PER_ESCALATED = 4


class Command(BaseCommand):
    help = "Benchmark the deadline sweep on a scratch PostgreSQL database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--suggestions", type=int, default=100_000, help="open suggestions (default 100,000)")
        parser.add_argument("--due", type=int, default=10_000, help="of which due soon/today/overdue (default 10,000)")
        parser.add_argument("--database", default="liaison_bench_sweep", help="scratch database name")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
        parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_sweep needs PostgreSQL: set DATABASE_URL=postgres://…")
        if options["measure"]:
            self.stdout.write(json.dumps(measure()))
            return
        total, due = options["suggestions"], options["due"]
        if not 0 < due <= total:
            raise CommandError("--due must be between 1 and --suggestions")
        settings_dict = connection.settings_dict
        original = settings_dict["NAME"]
        settings_dict.setdefault("TEST", {})["NAME"] = options["database"]
        self.stdout.write(f"Scratch database {options['database']}: creating and migrating …")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            started = time.perf_counter()
            expected = populate(total=total, due=due)
            self.stdout.write(f"Filled in {time.perf_counter() - started:.1f} s; expecting {expected:,} reminders.")
            result = self._measure_in_child(settings_dict)
        finally:
            connection.creation.destroy_test_db(original, verbosity=0, keepdb=options["keep"])
        self._report(result, total=total, due=due, expected=expected)
        first, second = result["first"], result["second"]
        if first["created"] != expected or second["created"] != 0:
            raise CommandError(
                f"wrong result: created {first['created']}, expected {expected}; second {second['created']}"
            )

    def _measure_in_child(self, db: dict[str, Any]) -> dict[str, Any]:
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{db['NAME']}"
        env = {**os.environ, "DATABASE_URL": url}
        done = subprocess.run(
            [sys.executable, "manage.py", "bench_sweep", "--measure"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        if done.returncode != 0:
            raise CommandError(f"the measuring process failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    def _report(self, result: dict[str, Any], *, total: int, due: int, expected: int) -> None:
        first, second = result["first"], result["second"]
        ok_time = first["seconds"] < TARGET_SECONDS
        ok_memory = result["peak_rss_mb"] < TARGET_MB
        lines = [
            f"Deadline sweep on {total:,} open suggestions, {due:,} due (PostgreSQL {result['server']}):",
            f"  first sweep : {first['seconds']:.2f} s, {first['queries']} queries, "
            f"{first['created']:,} reminders created (expected {expected:,})",
            f"  second sweep: {second['seconds']:.2f} s, {second['queries']} queries, {second['created']} created",
            f"  peak memory : {result['peak_rss_mb']:.0f} MB resident for the whole process "
            f"({result['startup_rss_mb']:.0f} MB before the sweep), "
            f"{first['python_peak_mb']:.1f} MB allocated by the sweep itself",
            f"  targets     : under {TARGET_SECONDS:.0f} s {'met' if ok_time else 'MISSED'}, "
            f"under {TARGET_MB:.0f} MB {'met' if ok_memory else 'MISSED'}; "
            "the query count does not depend on the number of suggestions",
        ]
        self.stdout.write("\n".join(lines))


def measure() -> dict[str, Any]:
    """Run the sweep twice in this (fresh) process; time, queries, memory."""
    from notifications.reminders import reminder_sweep

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    server = str(row[0]) if row else "?"
    startup_rss = _rss_mb()
    runs = []
    for _ in range(2):
        tracemalloc.start()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            created = len(reminder_sweep().created_ids)
            seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        runs.append(
            {
                "seconds": round(seconds, 3),
                "queries": len(queries.captured_queries),
                "created": created,
                "python_peak_mb": round(peak / 2**20, 1),
            }
        )
    return {
        "server": server,
        "first": runs[0],
        "second": runs[1],
        "startup_rss_mb": round(startup_rss, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def copy_rows(model: type[Model], rows: Iterable[dict[str, Any]]) -> None:
    """COPY rows into the model's table: every concrete field, its default unless the row sets it.

    bulk_create is limited by the number of query parameters to a few dozen rows per INSERT
    here; COPY fills 100,000 suggestions in seconds.
    """
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    prepared: list[Any] = []
    for f in fields:
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        prepared.append(f.get_db_prep_save(now if auto else f.get_default(), connection))
    names = [f.name for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:  # the rows hold plain values (text, numbers, dates, ids) that need no preparing
            copy.write_row([row.get(name, default) for name, default in zip(names, prepared, strict=True)])


def populate(*, total: int, due: int) -> int:
    """Regions, units with contacts, committee staff and `total` open suggestions; returns the reminders expected."""
    from accounts.models import Membership, Role, User
    from notifications.reminders import sweep_window
    from stations.models import Region, RegionLevel, Station
    from suggestions.models import HandlingUnit, HandlingUnitContact, State, Suggestion

    today = timezone.localdate()
    window = sweep_window(today)
    city = Region.objects.create(code="350100", name="福州市", level=RegionLevel.CITY)
    district = Region.objects.create(code="350102", name="鼓楼区", level=RegionLevel.COUNTY, parent=city)
    towns = [
        Region.objects.create(code=f"350102{i:03d}", name=f"街道{i}", level=RegionLevel.TOWNSHIP, parent=district)
        for i in range(10)
    ]
    stations = [Station.objects.create(name=f"联络站{i}", region=town) for i, town in enumerate(towns)]
    units = [HandlingUnit.objects.create(code=f"u{i}", name=f"承办单位{i}", region=district) for i in range(50)]
    for i, unit in enumerate(units):
        user = User.objects.create(username=f"unit{i}", email=f"unit{i}@example.cn")
        Membership.objects.create(user=user, role=Role.UNIT_STAFF, unit=unit)
        HandlingUnitContact.objects.create(unit=unit, name="科长", user=user, email=user.email, phone="13900000000")
        HandlingUnitContact.objects.create(unit=unit, name="干事", email=f"clerk{i}@example.cn")
    for name, region in (("committee_district", district), ("committee_city", city)):
        user = User.objects.create(username=name, email=f"{name}@example.cn")
        Membership.objects.create(user=user, role=Role.COMMITTEE_STAFF, region=region)

    # The due ones: soon, today, overdue (not yet escalated), and long overdue (escalated).
    soon, today_n, overdue = due * 3 // 10, due * 2 // 10, due * 3 // 10
    escalated = due - soon - today_n - overdue
    recent_overdue = max(window.escalate_until + dt.timedelta(days=1), today - dt.timedelta(days=1))
    assert recent_overdue < today
    far = today + dt.timedelta(days=90)
    plan: list[tuple[int, str, dt.date | None, dt.date | None]] = [  # (count, state, ack_due, reply_due)
        (soon, State.IN_PROGRESS, None, window.soon_until),
        (today_n, State.IN_PROGRESS, None, today),
        (overdue, State.IN_PROGRESS, None, recent_overdue),
        (escalated, State.ASSIGNED, today - dt.timedelta(days=30), far),
    ]
    rest = total - due
    plan += [
        (rest * 4 // 9, State.IN_PROGRESS, None, far),
        (rest * 2 // 9, State.ASSIGNED, far, far),
        (rest - rest * 4 // 9 - rest * 2 // 9, State.SORTED, None, None),
    ]

    def rows() -> Iterator[dict[str, Any]]:
        number = 0
        for count, state, ack_due, reply_due in plan:
            for _ in range(count):
                station = stations[number % len(stations)]
                handed = state in (State.ASSIGNED, State.IN_PROGRESS)
                yield {
                    "tracking_code": f"B{number:09d}",
                    "title": f"建议{number}",
                    "content": "基准测试数据",
                    "region": station.region_id,
                    "station": station.pk,
                    "state": state,
                    "lead_unit": units[number % len(units)].pk if handed else None,
                    "ack_due": ack_due,
                    "reply_due": reply_due,
                }
                number += 1

    copy_rows(Suggestion, rows())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return due * PER_DUE + escalated * PER_ESCALATED
