"""`manage.py health [--only worker,beat]`: the health checks from a shell or a container's
health check; prints the JSON and exits 1 when a check fails."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from health import checks


class Command(BaseCommand):
    help = "Run the health checks (database, cache, broker, worker, beat); exit 1 if one fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", default="", help="Comma-separated checks to run, e.g. worker,beat.")

    def handle(self, *args: Any, **options: Any) -> None:
        names = [name.strip() for name in options["only"].split(",") if name.strip()]
        unknown = sorted(set(names) - set(checks.CHECKS))
        if unknown:
            raise CommandError(f"Unknown checks: {', '.join(unknown)}; known: {', '.join(checks.CHECKS)}.")
        results = checks.run(names or None)
        self.stdout.write(json.dumps({name: r.as_dict() for name, r in results.items()}, sort_keys=True))
        if not all(r.ok for r in results.values()):
            raise SystemExit(1)
