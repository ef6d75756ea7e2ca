"""`manage.py seed_demo`: the demo city and its accounts; `--volume N`: a benchmark province."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from stations.demo.seeding import DEMO_SUGGESTIONS, SeedResult, demo_remove, seed_demo, seed_volume


class Command(BaseCommand):
    help = (
        "Load the demo city (about 150 stations, 600 representatives, 60 units, thousands of suggestions in every "
        "state) and one demo account per role. Does nothing when the demo city is already there. With --volume N, "
        "generate a province with N suggestions for benchmarks instead."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--suggestions",
            type=int,
            default=DEMO_SUGGESTIONS,
            help="suggestions in the demo city (default %(default)s)",
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo city and its accounts first, then load it again"
        )
        parser.add_argument(
            "--volume",
            type=int,
            default=None,
            metavar="N",
            help="generate the benchmark province with N suggestions and 3N visits",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        volume: int | None = options["volume"]
        if volume is not None:
            self._volume(volume)
            return
        count: int = options["suggestions"]
        if count < 1:
            raise CommandError(_("The number of suggestions must be at least 1."))
        if options["reset"]:
            demo_remove()
        result = seed_demo(suggestions=count, progress=self._progress)
        if not result.created:
            self.stdout.write(
                _(
                    "The demo city is already there (%(count)s suggestions); nothing to do. "
                    "Use --reset to load it again."
                )
                % {"count": result.suggestions}
            )
            return
        self._report(result)

    def _volume(self, volume: int) -> None:
        if volume < 1:
            raise CommandError(_("The number of suggestions must be at least 1."))
        try:
            result = seed_volume(suggestions=volume, progress=self._progress)
        except ValueError as exc:
            raise CommandError(
                _(
                    "This database already holds a volume dataset of %(count)s suggestions; use an empty database for "
                    "another size."
                )
                % {"count": exc.args[0]}
            ) from None
        if not result.created:
            self.stdout.write(
                _("A volume dataset of %(count)s suggestions is already there; nothing to do.")
                % {"count": result.suggestions}
            )
            return
        self._report(result)

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(_("%(done)s of %(total)s suggestions generated") % {"done": done, "total": total})

    def _report(self, result: SeedResult) -> None:
        counts = ", ".join(f"{name} {number}" for name, number in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                _("Generated %(count)s suggestions in %(seconds).1f s. Database now holds: %(counts)s.")
                % {"count": result.suggestions, "seconds": result.seconds, "counts": counts}
            )
        )
