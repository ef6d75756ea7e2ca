"""`manage.py anonymise_closed --years N [--dry-run]`: the retention rule (suggestions.retention)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from suggestions.retention import BATCH_SIZE, anonymise_closed


class Command(BaseCommand):
    help = (
        "Remove the voter's personal data from cases closed more than N years ago; the figures stay. "
        "Idempotent: a case done is never touched again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--years",
            type=int,
            default=settings.RETENTION_YEARS or None,
            help="Closed more than this many years ago (default: RETENTION_YEARS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what would be done; change nothing.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Cases per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        years = options["years"]
        if not years or years < 1:
            raise CommandError("Give --years N (at least 1), or set RETENTION_YEARS.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        result = anonymise_closed(
            years=years, dry_run=options["dry_run"], batch_size=options["batch_size"], trigger="command"
        )
        verb = "would anonymise" if result.dry_run else "anonymised"
        self.stdout.write(
            f"Closed before {result.cutoff.date().isoformat()}: {verb} {result.cases} cases, "
            f"{result.visits} visits, {result.attachments} attachments ({result.seconds:.2f}s)."
        )
