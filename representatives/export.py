"""Excel export of the representatives' performance files 一人一档: one row per representative
the viewer may read (representative_file_scope_q), with the year's totals of their file.

The totals are the file's own (representatives.selectors.performance_file), summed with a few
grouped queries per thousand representatives instead of six queries each. A file holds no
voter's data; the export is logged like every other (exports.services).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponseBase, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.models import User
from exports.sources import Column, ExportRefused, Percent, Progress, Source, capped_count, write_sheet
from exports.views import export_response
from representatives.models import Activity, Representative
from representatives.selectors import _year_bounds, representative_file_scope_q
from stations.models import Station, VoterVisit
from suggestions.export import Exported
from suggestions.models import OPEN_STATES, ExportKind, ExportPersonalData, Rating, State, Suggestion

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
CHUNK = 1000

COLUMNS = (
    Column(_("Representative"), 12),
    Column(_("Stations"), 30),
    Column(_("Year"), 6),
    Column(_("Activities"), 8),
    Column(_("Hours"), 8),
    Column(_("Visits attended"), 8),
    Column(_("Voters met at those visits"), 10),
    Column(_("Suggestions received"), 10),
    Column(_("of which resolved on the spot"), 10),
    Column(_("of which replied"), 10),
    Column(_("of which closed"), 10),
    Column(_("of which still being handled"), 10),
    Column(_("Rated by voters"), 10),
    Column(_("Satisfied or basically satisfied"), 10),
    Column(_("Voters' satisfaction"), 10),
)


def _year(value: str | None) -> int:
    if not value:
        return timezone.localdate().year
    if not value.isdigit() or not EARLIEST_YEAR <= int(value) <= LATEST_YEAR:
        raise ExportRefused(
            gettext("Pick a year between %(first)s and %(last)s.") % {"first": EARLIEST_YEAR, "last": LATEST_YEAR},
            drop=("year",),  # the list page would answer 404 for it
        )
    return int(value)


def file_list_filtered(*, user: User | AnonymousUser, search: str) -> QuerySet[Representative]:
    """The representatives of the file list (representatives.views.file_list), all pages."""
    qs = Representative.objects.filter(representative_file_scope_q(user=user))
    if search:
        qs = qs.filter(name__contains=search)
    return qs.order_by("name", "pk")


def _totals(ids: Sequence[int], year: int) -> dict[int, dict[str, Any]]:
    """The file's totals for these representatives, by id: as performance_file counts them."""
    start, end = _year_bounds(year)
    totals: dict[int, dict[str, Any]] = defaultdict(dict)
    activities = (
        Activity.objects.filter(representative_id__in=ids, date__year=year)
        .values("representative_id")
        .annotate(n=Count("id"), h=Coalesce(Sum("hours"), Decimal(0)))
        .order_by()
    )
    for row in activities:
        totals[row["representative_id"]].update(activities=row["n"], hours=row["h"])
    through = VoterVisit.representatives.through
    visits = (
        through.objects.filter(
            representative_id__in=ids, votervisit__occurred_at__gte=start, votervisit__occurred_at__lt=end
        )
        .values("representative_id")
        .annotate(n=Count("votervisit_id"), voters=Coalesce(Sum("votervisit__voters_received"), 0))
        .order_by()
    )
    for row in visits:
        totals[row["representative_id"]].update(visits=row["n"], voters=row["voters"])
    answered = Q(replied_at__isnull=False, state__in=[State.REPLIED, State.CLOSED])
    received = (
        Suggestion.objects.filter(representative_id__in=ids, created_at__gte=start, created_at__lt=end)
        .values("representative_id")
        .annotate(
            total=Count("id", filter=~Q(state=State.MERGED)),
            on_spot=Count("id", filter=Q(resolved_on_spot=True)),
            replied=Count("id", filter=answered),
            closed=Count("id", filter=Q(state=State.CLOSED)),
            still_open=Count("id", filter=Q(state__in=OPEN_STATES) & ~answered),
            rated=Count("id", filter=~Q(rating="")),
            satisfied=Count("id", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC])),
        )
        .order_by()
    )
    for row in received:
        totals[row.pop("representative_id")].update(row)
    return totals


def _rows(qs: QuerySet[Representative], year: int) -> Iterator[list[object]]:
    stations = Station.objects.order_by("name", "id")
    chunk: list[Representative] = []

    def flush() -> Iterator[list[object]]:
        totals = _totals([r.pk for r in chunk], year)
        for r in chunk:
            t = totals.get(r.pk, {})
            rated, satisfied = int(t.get("rated", 0)), int(t.get("satisfied", 0))
            yield [
                r.name,
                "、".join(s.name for s in r.stations.all()),
                year,
                int(t.get("activities", 0)),
                t.get("hours", Decimal(0)),
                int(t.get("visits", 0)),
                int(t.get("voters", 0)),
                int(t.get("total", 0)),
                int(t.get("on_spot", 0)),
                int(t.get("replied", 0)),
                int(t.get("closed", 0)),
                int(t.get("still_open", 0)),
                rated,
                satisfied,
                Percent(round(100.0 * satisfied / rated, 1) if rated else None),
            ]

    for representative in qs.prefetch_related(Prefetch("stations", queryset=stations)).iterator(chunk_size=CHUNK):
        chunk.append(representative)
        if len(chunk) == CHUNK:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


def file_export_source(user: User | AnonymousUser, query: QueryDict) -> Source:
    """The file list as `user` sees it, searched by name, with one year's totals."""
    year = _year(query.get("year"))
    qs = file_list_filtered(user=user, search=(query.get("q") or "").strip()[:64])

    def write(out: IO[bytes], progress: Progress) -> Exported:
        count = write_sheet(
            out, title=gettext("Performance files"), columns=COLUMNS, rows=_rows(qs, year), progress=progress
        )
        return Exported(rows=count, personal_data=ExportPersonalData.NONE)

    return Source(
        kind=ExportKind.REPRESENTATIVES,
        stem=f"performance-files-{year}",
        count=lambda limit: capped_count(qs, limit),
        write=write,
    )


@login_required
@require_GET
def file_export(request: HttpRequest) -> HttpResponseBase:
    """The representatives' files of the list, one row each, as an Excel workbook."""
    return export_response(request, kind=ExportKind.REPRESENTATIVES, back=reverse("representatives:file_list"))
