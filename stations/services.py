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
from stations.models import Station, VisitChannel, VoterVisit
from suggestions.errors import WorkflowError
from suggestions.models import Category, Suggestion

CLOCK_TOLERANCE = dt.timedelta(minutes=5)


class SuggestionEntry(TypedDict, total=False):
    """One suggestion raised during a visit, as typed at the station."""

    title: str
    content: str
    category: Category | None
    urgency: str
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

    Only staff of the station (or administrators) may log its visits; a visit cannot lie
    in the future. Each suggestion goes through the workflow's `suggestion_record`, so a
    refusal of any one of them rolls back the visit and the others.
    """
    scope = user_scope(actor)
    if not (scope.is_admin or station.pk in scope.station_ids):
        raise WorkflowError("not_allowed", _("You cannot log visits for this station."), status=403)
    if channel not in VisitChannel.values:
        raise WorkflowError("validation", _("Choose a channel."), fields={"channel": [str(_("Choose a channel."))]})
    if occurred_at > timezone.now() + CLOCK_TOLERANCE:
        message = _("The visit cannot be in the future.")
        raise WorkflowError("visit_in_future", message, fields={"occurred_at": [str(message)]})
    if voters_received < 1:
        message = _("At least one voter was received.")
        raise WorkflowError("validation", message, fields={"voters_received": [str(message)]})

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


def _record_entry(
    *, actor: User, station: Station, visit: VoterVisit, channel: str, entry: SuggestionEntry
) -> Suggestion:
    from suggestions.workflow import suggestion_record

    return suggestion_record(
        actor=actor,
        title=entry["title"].strip(),
        content=(entry.get("content") or "").strip() or entry["title"].strip(),
        region=station.region,
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
