"""Writes for stations: a voter visit with the suggestions raised in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import user_scope
from representatives.models import Representative
from stations.models import FIELD_WORK_CHANNELS, Region, Station, VisitChannel, VisitCorrection, VoterVisit
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
    voters_received: int | None = None,
    place: str = "",
    notes: str = "",
    suggestions: Sequence[SuggestionEntry] = (),
) -> tuple[VoterVisit, list[Suggestion]]:
    """Log one reception of voters and record every suggestion raised in it, all or nothing.

    Staff of the station (or administrators) log any of its visits. A representative logs
    field work for a station they are assigned to: only outreach, night talks and service
    booths, listed as present at the visit and the receiving representative of every
    suggestion recorded in it. A visit cannot lie in the future, and it must hold something:
    voters received, a suggestion or a note (`visit_content_check`); without a count, a visit
    with suggestions received one voter. Each suggestion goes through the workflow's
    `suggestion_record`, so a refusal of any one of them rolls back the visit and the others.
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
    if voters_received is None:
        voters_received = 1 if suggestions else 0
    visit_content_check(voters_received=voters_received, suggestions=len(suggestions), notes=notes)
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


# --- Empty visits and corrections --------------------------------------------------------

MSG_VISIT_EMPTY = _(
    "There is nothing to save: enter how many voters were received, record a suggestion or write a note."
)
MSG_VOTERS_FOR_SUGGESTIONS = _("Suggestions were raised in this visit, so at least one voter was received.")
MSG_VISIT_LOCKED = _(
    "This visit was logged more than %(hours)s hours ago: it can no longer be corrected. "
    "Ask an administrator if it is wrong."
)


def visit_content_check(*, voters_received: int, suggestions: int, notes: str) -> None:
    """Refuse a visit that records nothing (no voter, no suggestion, no note: a click on
    "save" with the form as it came), and a count of no voters beside suggestions."""
    if voters_received < 0:
        message = _("The number of voters cannot be negative.")
        raise WorkflowError("validation", message, fields={"voters_received": [str(message)]})
    if voters_received == 0 and suggestions:
        raise WorkflowError(
            "validation", MSG_VOTERS_FOR_SUGGESTIONS, fields={"voters_received": [str(MSG_VOTERS_FOR_SUGGESTIONS)]}
        )
    if voters_received == 0 and not suggestions and not notes.strip():
        raise WorkflowError("visit_empty", MSG_VISIT_EMPTY, fields={"voters_received": [str(MSG_VISIT_EMPTY)]})


def visit_correctable_until(visit: VoterVisit) -> dt.datetime:
    """Until when station staff may correct the visit: VISIT_EDIT_HOURS after it was logged."""
    return visit.created_at + dt.timedelta(hours=int(settings.VISIT_EDIT_HOURS))


def visit_may_correct(*, user: User | AnonymousUser, visit: VoterVisit, now: dt.datetime | None = None) -> bool:
    """Whether this user may correct the visit now: staff of its station (or an administrator),
    within VISIT_EDIT_HOURS of logging it."""
    scope = user_scope(user)
    if not (scope.is_admin or visit.station_id in scope.station_ids):
        return False
    return (now or timezone.now()) < visit_correctable_until(visit)


def visit_representative_choices(*, station: Station) -> QuerySet[Representative]:
    """The representatives who can have been present: the active ones assigned to the station."""
    return Representative.objects.filter(stations=station, is_active=True).distinct().order_by("name", "id")


# The fields a correction may change, in the order the log lists them.
CORRECTABLE_VISIT_FIELDS: tuple[str, ...] = (
    "channel",
    "occurred_at",
    "voters_received",
    "representatives",
    "place",
    "notes",
)


def _logged(name: str, value: object) -> object:
    """A value as the correction log keeps it (the page formats it for the reader)."""
    if name == "occurred_at" and isinstance(value, dt.datetime):
        return value.isoformat()
    return value


@transaction.atomic
def visit_correct(
    *,
    actor: User,
    visit: VoterVisit,
    channel: str,
    occurred_at: dt.datetime,
    voters_received: int,
    representatives: Iterable[Representative],
    place: str = "",
    notes: str = "",
) -> VisitCorrection | None:
    """Station staff correct a visit they logged wrongly: channel, time, voters received,
    representatives present, place and notes, within VISIT_EDIT_HOURS of logging it.

    The same checks as logging it apply (a known channel, not in the future, not empty, the
    representatives of the station); afterwards the visit is read-only (`visit_locked`, 409).
    Each correction writes one `VisitCorrection` with every changed field's old and new value
    and returns it; a correction that changes nothing writes nothing and returns None. A new
    channel is also the channel of the suggestions recorded with the visit (dashboards count
    suggestions by channel), each change written to its timeline."""
    try:
        row = VoterVisit.objects.select_for_update(of=("self",)).select_related("station").get(pk=visit.pk)
    except VoterVisit.DoesNotExist:
        raise WorkflowError("not_found", _("This visit does not exist."), status=404) from None
    scope = user_scope(actor)
    if not (scope.is_admin or row.station_id in scope.station_ids):
        raise WorkflowError("not_allowed", _("Only the staff of the visit's station may correct it."), status=403)
    now = timezone.now()
    if not visit_may_correct(user=actor, visit=row, now=now):
        raise WorkflowError("visit_locked", MSG_VISIT_LOCKED % {"hours": settings.VISIT_EDIT_HOURS}, status=409)
    if channel not in VisitChannel.values:
        raise WorkflowError("validation", _("Choose a channel."), fields={"channel": [str(_("Choose a channel."))]})
    if occurred_at > now + CLOCK_TOLERANCE:
        message = _("The visit cannot be in the future.")
        raise WorkflowError("visit_in_future", message, fields={"occurred_at": [str(message)]})
    place, notes = place.strip(), notes.strip()
    if occurred_at.replace(second=0, microsecond=0) == row.occurred_at.replace(second=0, microsecond=0):
        occurred_at = row.occurred_at  # the form shows minutes: the same minute is no correction
    visit_content_check(voters_received=voters_received, suggestions=row.suggestions.count(), notes=notes)
    reps = list(representatives)
    allowed = set(visit_representative_choices(station=row.station).values_list("pk", flat=True))
    current = list(row.representatives.order_by("name", "id"))
    if any(r.pk not in allowed and r not in current for r in reps):
        message = _("Choose representatives of this station.")
        raise WorkflowError("validation", message, fields={"representatives": [str(message)]})

    changes: list[dict[str, object]] = []
    new_values: dict[str, object] = {
        "channel": channel,
        "occurred_at": occurred_at,
        "voters_received": voters_received,
        "place": place,
        "notes": notes,
    }
    for name in CORRECTABLE_VISIT_FIELDS:
        if name == "representatives":
            old_names = [r.name for r in current]
            new_names = [r.name for r in sorted(reps, key=lambda r: (r.name, r.pk))]
            if {r.pk for r in current} != {r.pk for r in reps}:
                changes.append({"field": name, "old": old_names, "new": new_names})
            continue
        old, new = getattr(row, name), new_values[name]
        if old != new:
            changes.append({"field": name, "old": _logged(name, old), "new": _logged(name, new)})
    if not changes:
        return None
    old_channel = row.channel
    for name, value in new_values.items():
        setattr(row, name, value)
    row.save(update_fields=list(new_values))
    row.representatives.set(reps)
    correction = VisitCorrection.objects.create(visit=row, actor=actor, actor_label=str(actor)[:128], changes=changes)
    if old_channel != channel:
        _suggestions_channel(actor=actor, visit=row, old=old_channel, new=channel)
    return correction


def _suggestions_channel(*, actor: User, visit: VoterVisit, old: str, new: str) -> None:
    """The visit's suggestions follow its corrected channel: each row's version goes up (an
    open form on it is then stale) and its timeline says what changed."""
    from suggestions.models import SuggestionEvent

    rows = list(Suggestion.objects.select_for_update().filter(visit=visit, channel=old).only("pk", "state"))
    if not rows:
        return
    Suggestion.objects.filter(pk__in=[r.pk for r in rows]).update(
        channel=new, version=F("version") + 1, updated_at=timezone.now()
    )
    SuggestionEvent.objects.bulk_create(
        [
            SuggestionEvent(
                suggestion_id=r.pk,
                action="suggestion.channel_corrected",
                from_state=r.state,
                to_state=r.state,
                actor=actor,
                actor_label=str(actor)[:128],
                data={"old": old, "new": new, "visit": visit.pk},
            )
            for r in rows
        ]
    )
