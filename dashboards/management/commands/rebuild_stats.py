"""`manage.py rebuild_stats`: recompute the dashboards' daily summary from the base tables."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboards.services import stats_rebuild, stats_refresh


class Command(BaseCommand):
    help = "Recompute the dashboards' daily summary (all days, or only the changed ones with --changed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--changed", action="store_true", help="Only the days changed since the last run (what beat does)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = stats_refresh() if options["changed"] else stats_rebuild()
        if result.skipped:
            self.stdout.write(self.style.WARNING("Another run is updating the summary; nothing done."))
            return
        kind = "rebuilt" if result.full else "refreshed"
        self.stdout.write(
            self.style.SUCCESS(
                f"Summary {kind}: {result.days} days, {result.rows} rows written in {result.seconds:.2f} s."
            )
        )
