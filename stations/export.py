"""Excel export of the visit list (README, "Personal data 个人信息").

A visit's notes and place are free text that may name a voter or give their number: they go
out in full to the staff of its station, the committee of its region and administrators,
and masked (suggestions.masking.mask_text, as the retention run masks them) to anyone else
who sees the visit, i.e. the representatives who were there. Every export is logged
(exports.services), like the suggestion list's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import IO

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponseBase, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.selectors import user_scope
from exports.sources import Column, ExportRefused, Progress, Source, capped_count, write_sheet
from exports.views import export_response
from representatives.models import Representative
from stations.models import VoterVisit
from stations.views import visits_filtered
from suggestions.export import Exported, personal_data_of
from suggestions.masking import mask_text
from suggestions.models import ExportKind

COLUMNS = (
    Column(_("Time of visit"), 16),
    Column(_("Station"), 24),
    Column(_("Region"), 14),
    Column(_("Channel"), 12),
    Column(_("Voters received"), 10),
    Column(_("Representatives present"), 24),
    Column(_("Place"), 24),
    Column(_("Notes"), 50),
    Column(_("Suggestions"), 8),
    Column(_("Recorded by"), 14),
    Column(_("Recorded at"), 16),
)


def visit_personal_visible(*, user: User | AnonymousUser, visit: VoterVisit) -> bool:
    """Whether this viewer gets a visit's notes and place in full: staff of its station, the
    committee of its region, administrators (suggestions.selectors.personal_data_visible's rule)."""
    scope = user_scope(user)
    if scope.is_admin or visit.station_id in scope.station_ids:
        return True
    return bool(scope.region_paths) and scope.covers_region_path(visit.station.region.path)


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def visits_workbook(
    *, qs: QuerySet[VoterVisit], out: IO[bytes], user: User | AnonymousUser, progress: Progress
) -> Exported:
    """Write the visits of `qs` (scoped and filtered), newest first, to `out`."""
    rows = (
        qs.select_related("station__region", "recorded_by")
        .prefetch_related(Prefetch("representatives", queryset=Representative.objects.order_by("name", "id")))
        .annotate(suggestion_count=Count("suggestions"))
        .order_by("-occurred_at", "-id")
    )
    full = 0

    def lines() -> Iterator[list[object]]:
        nonlocal full
        for visit in rows.iterator(chunk_size=1000):
            personal = visit_personal_visible(user=user, visit=visit)
            full += personal
            notes, place = visit.notes, visit.place
            if not personal:
                notes, place = mask_text(notes or ""), mask_text(place or "")
            yield [
                _local(visit.occurred_at),
                visit.station.name,
                visit.station.region.name,
                visit.get_channel_display(),
                visit.voters_received,
                "、".join(r.name for r in visit.representatives.all()),
                place,
                notes,
                visit.suggestion_count,
                str(visit.recorded_by) if visit.recorded_by else "",
                _local(visit.created_at),
            ]

    count = write_sheet(out, title=gettext("Visits"), columns=COLUMNS, rows=lines(), progress=progress)
    return Exported(rows=count, personal_data=personal_data_of(rows=count, full=full))


def visit_export_source(user: User | AnonymousUser, query: QueryDict) -> Source:
    """The visit list as `user` sees it with these filters (exports.sources)."""
    filter_form, qs = visits_filtered(user, query)
    if filter_form.is_bound and not filter_form.is_valid():
        raise ExportRefused(gettext("Correct the filters before exporting."))

    def write(out: IO[bytes], progress: Progress) -> Exported:
        return visits_workbook(qs=qs, out=out, user=user, progress=progress)

    return Source(kind=ExportKind.VISITS, stem="visits", count=lambda limit: capped_count(qs, limit), write=write)


@login_required
@require_GET
def visit_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered visit list as an Excel workbook: at once when short, else as a background job."""
    return export_response(request, kind=ExportKind.VISITS, back=reverse("stations:visit_list"))
