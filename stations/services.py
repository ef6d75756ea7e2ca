"""Writes for stations: a voter visit with the suggestions raised in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TypedDict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import user_scope
from representatives.models import Representative
from stations.models import FIELD_WORK_CHANNELS, Region, Station, VisitChannel, VoterVisit
from suggestions.errors import WorkflowError
from suggestions.models import Category, Suggestion

CLOCK_TOLERANCE = dt.timedelta(minutes=5)


class SuggestionEntry(TypedDict, total=False):
    """One suggestion raised during a visit, as typed at the station."""

    title: str
    content: str
    category: Category | None
    urgency: str
    # Where the problem is, when not in the station's own region; it must lie in the station's area.
    region: Region | None
    address: str
    submitter_name: str
    submitter_phone: str
    submitter_address: str
    consent_to_publish: bool
    representative: Representative | None


@transaction.atomic
def visit_record(
    *,
    actor: User,
    station: Station,
    channel: str,
    occurred_at: dt.datetime,
    representatives: Iterable[Representative] = (),
    voters_received: int = 1,
    place: str = "",
    notes: str = "",
    suggestions: Sequence[SuggestionEntry] = (),
) -> tuple[VoterVisit, list[Suggestion]]:
    """Log one reception of voters and record every suggestion raised in it, all or nothing.

    Staff of the station (or administrators) log any of its visits. A representative logs
    field work for a station they are assigned to: only outreach, night talks and service
    booths, listed as present at the visit and the receiving representative of every
    suggestion recorded in it. A visit cannot lie in the future. Each suggestion goes
    through the workflow's `suggestion_record`, so a refusal of any one of them rolls back
    the visit and the others.
    """
    scope = user_scope(actor)
    as_staff = scope.is_admin or station.pk in scope.station_ids
    recorder = None
    if not as_staff and scope.representative_id is not None and station.pk in scope.field_station_ids:
        recorder = Representative.objects.get(pk=scope.representative_id)
    if not as_staff and recorder is None:
        if scope.representative_id is not None:
            message = _(
                "You are not assigned to this station: representatives record field work only for their own stations."
            )
            raise WorkflowError("not_allowed", message, status=403, fields={"station": [str(message)]})
        raise WorkflowError("not_allowed", _("You cannot log visits for this station."), status=403)
    if channel not in VisitChannel.values:
        raise WorkflowError("validation", _("Choose a channel."), fields={"channel": [str(_("Choose a channel."))]})
    if recorder is not None and channel not in FIELD_WORK_CHANNELS:
        message = _(
            "Field work is an outreach visit, a night talk or a service booth; station staff log the other channels."
        )
        raise WorkflowError("channel_not_field_work", message, fields={"channel": [str(message)]})
    if occurred_at > timezone.now() + CLOCK_TOLERANCE:
        message = _("The visit cannot be in the future.")
        raise WorkflowError("visit_in_future", message, fields={"occurred_at": [str(message)]})
    if voters_received < 1:
        message = _("At least one voter was received.")
        raise WorkflowError("validation", message, fields={"voters_received": [str(message)]})
    if recorder is not None:
        suggestions = [_received_by(entry, recorder=recorder, row=index) for index, entry in enumerate(suggestions)]

    visit = VoterVisit.objects.create(
        station=station,
        channel=channel,
        occurred_at=occurred_at,
        recorded_by=actor,
        voters_received=voters_received,
        place=place,
        notes=notes,
    )
    reps = list(representatives)
    if recorder is not None and recorder not in reps:
        reps.append(recorder)
    if reps:
        visit.representatives.set(reps)
    recorded = []
    for index, entry in enumerate(suggestions):
        try:
            recorded.append(_record_entry(actor=actor, station=station, visit=visit, channel=channel, entry=entry))
        except WorkflowError as error:
            # Say which row was refused; the transaction rolls the visit and the other rows back.
            error.data = {**error.data, "row": index}
            raise
    return visit, recorded


def _received_by(entry: SuggestionEntry, *, recorder: Representative, row: int) -> SuggestionEntry:
    """A field-work suggestion is received by the representative who records it: they heard the
    voter, and it shows on their own list and in their performance file. Another is refused."""
    chosen = entry.get("representative")
    if chosen is not None and chosen.pk != recorder.pk:
        message = _("In field work you are the receiving representative of the suggestions you record.")
        raise WorkflowError("validation", message, fields={"representative": [str(message)]}, data={"row": row})
    received = entry.copy()
    received["representative"] = recorder
    return received


def _record_entry(
    *, actor: User, station: Station, visit: VoterVisit, channel: str, entry: SuggestionEntry
) -> Suggestion:
    from suggestions.workflow import suggestion_record

    return suggestion_record(
        actor=actor,
        title=entry["title"].strip(),
        content=(entry.get("content") or "").strip() or entry["title"].strip(),
        region=entry.get("region") or station.region,
        station=station,
        visit=visit,
        category=entry.get("category"),
        urgency=entry.get("urgency") or "normal",
        address=entry.get("address", ""),
        submitter_name=entry.get("submitter_name", ""),
        submitter_phone=entry.get("submitter_phone", ""),
        submitter_address=entry.get("submitter_address", ""),
        consent_to_publish=bool(entry.get("consent_to_publish")),
        representative=entry.get("representative"),
        channel=channel,
    )
