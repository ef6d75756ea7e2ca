"""The suggestion workflow of DESIGN §3: the transition table and one function per action.

This is the only module that assigns `Suggestion.state` (a test scans the code base for it).

Every action function:

* is keyword-only and atomic, and takes the acting user (`None` only for a voter, where noted);
* locks the row (`SELECT … FOR UPDATE`) and then writes it conditionally on its `version`,
  which goes up by one on every change;
* checks, in this order: the suggestion is in the actor's scope (`not_found`, 404), the
  caller's `expected_version` is current (`stale_version`, 409), the state allows the action
  (`invalid_state`, 409), the actor's part in this suggestion allows it (`not_allowed`, 403),
  then the input (`validation` or a specific code, 400);
* writes exactly one `SuggestionEvent` (`suggestion.<past tense>`) and its outbox rows;
* raises `WorkflowError` on refusal, with nothing written.

Who is who, relative to one suggestion ("parties"):

* station staff of the suggestion's station (for a suggestion recorded without a station,
  committee staff of its region act as its station);
* committee staff whose region subtree contains the suggestion's region;
* staff of the active lead unit, and of an active co-unit;
* the receiving representative;
* the voter, anonymous, holding a one-time feedback link;
* administrators, who may do everything staff may do.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import Scope, user_scope
from notifications.services import outbox_enqueue
from representatives.models import Representative
from stations.models import FIELD_WORK_CHANNELS, Region, Station, VisitChannel, VoterVisit
from stations.selectors import recording_region_allowed
from suggestions.casefile import FACT_FIELDS, case_facts_refresh
from suggestions.deadlines import (
    SOURCE_MANUAL,
    STAGE_LIMITS,
    DeadlineBasis,
    DeadlineResult,
    WorkingCalendar,
    add_months,
    overdue_until,
    stage_limit_days,
)
from suggestions.errors import WorkflowError
from suggestions.models import (
    Assignment,
    AssignmentRole,
    Attachment,
    CalendarYear,
    Category,
    CoOpinion,
    ExtensionRequest,
    ExtensionStatus,
    Feedback,
    FeedbackParty,
    FeedbackToken,
    FeedbackVia,
    FollowUpReport,
    HandlingUnit,
    HolidayOverride,
    PublicationScope,
    Rating,
    Reply,
    ReplyCategory,
    Route,
    State,
    Suggestion,
    SuggestionEvent,
    SupervisionLevel,
    Urgency,
)
from suggestions.places import city_and_county
from suggestions.selectors import on_spot_representatives
from suggestions.tracking import tracking_code_new

# ---------------------------------------------------------------------------------------------
# The transition table
# ---------------------------------------------------------------------------------------------


class Party(StrEnum):
    """An actor's part in one suggestion."""

    VOTER = "voter"
    STATION = "station"
    COMMITTEE = "committee"
    LEAD_UNIT = "lead_unit"
    CO_UNIT = "co_unit"
    REPRESENTATIVE = "representative"
    ADMIN = "admin"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[State]
    # Possible next states; empty means the state stays as it is.
    targets: frozenset[State]
    parties: frozenset[Party]
    label: Promise = field(compare=False)


def _t(
    action: str, sources: Iterable[State], targets: Iterable[State], parties: Iterable[Party], label: Promise
) -> Transition:
    return Transition(action, frozenset(sources), frozenset(targets), frozenset(parties), label)


# The states in which supervision concerns a "B" reply's follow-up reports rather than the reply.
SUPERVISE_FOLLOW_UP_STATES = (State.REPLIED, State.CLOSED)

S = State
P = Party
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("record", [], [S.RECEIVED], [P.STATION, P.COMMITTEE, P.VOTER], _("Record")),
        _t("sort", [S.RECEIVED], [S.SORTED], [P.STATION], _("Sort")),
        _t("merge", [S.RECEIVED], [S.MERGED], [P.STATION], _("Merge into an earlier suggestion")),
        _t("resolve_on_spot", [S.RECEIVED, S.SORTED], [S.REPLIED], [P.STATION], _("Resolve on the spot")),
        _t("propose", [S.SORTED], [S.PROPOSED], [P.STATION], _("Propose")),
        _t("hand_over", [S.PROPOSED], [S.ASSIGNED], [P.COMMITTEE], _("Hand over")),
        _t("decline", [S.PROPOSED], [S.CLOSED], [P.COMMITTEE], _("Decline, convert or escalate")),
        _t("acknowledge", [S.ASSIGNED], [S.IN_PROGRESS], [P.LEAD_UNIT], _("Acknowledge")),
        _t("return", [S.ASSIGNED], [S.PROPOSED], [P.LEAD_UNIT], _("Return")),
        _t("co_opinion", [S.ASSIGNED, S.IN_PROGRESS], [], [P.CO_UNIT], _("Give co-unit opinion")),
        _t("request_extension", [S.IN_PROGRESS], [], [P.LEAD_UNIT], _("Request an extension")),
        _t("decide_extension", [S.IN_PROGRESS], [], [P.COMMITTEE], _("Decide on the extension")),
        # replied/closed: only a "B" reply's follow-up while a progress report is due
        # (`follow_up_running`, checked by the action and by `allowed_actions`).
        _t("supervise", [S.ASSIGNED, S.IN_PROGRESS, *SUPERVISE_FOLLOW_UP_STATES], [], [P.COMMITTEE], _("Supervise")),
        _t("reply", [S.IN_PROGRESS], [S.REPLIED], [P.LEAD_UNIT], _("Reply")),
        # A "B" reply is followed up until solved, also after the voter's feedback closed it.
        _t("report_follow_up", [S.REPLIED, S.CLOSED], [], [P.LEAD_UNIT], _("Report follow-up")),
        _t(
            "feedback",
            [S.REPLIED],
            # proposed: dissatisfied with an on-the-spot resolution, which has no unit to re-handle it
            [S.CLOSED, S.IN_PROGRESS, S.PROPOSED, S.REPLIED],
            # 选民评: the voter by link, or staff recording the voter's call-back.
            [P.VOTER, P.STATION, P.COMMITTEE],
            _("Record the voter's rating"),
        ),
        # 代表评: the receiving representative's own rating of the latest answer; it is kept
        # beside the voter's and never moves the case.
        _t("rate_as_representative", [S.REPLIED, S.CLOSED], [], [P.REPRESENTATIVE], _("Rate as representative")),
        _t("close", [S.REPLIED], [S.CLOSED], [P.COMMITTEE], _("Close")),
        _t("publish", [S.CLOSED], [], [P.COMMITTEE], _("Publish")),
        _t("withdraw_publication", [S.CLOSED], [], [P.COMMITTEE], _("Withdraw the publication")),
    ]
}
del S, P

# The order actions are offered in the UI.
ACTIONS: tuple[str, ...] = tuple(a for a in TRANSITIONS if a != "record")

# Parties an administrator stands for: every staff part, never the anonymous voter.
_ADMIN_PARTIES = frozenset(Party) - {Party.VOTER}


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------

MSG_NOT_FOUND = _("This suggestion does not exist or is not yours to see.")
MSG_NOT_ALLOWED = _("You may not do this on this suggestion.")
MSG_INVALID_STATE = _("This action is not possible while the suggestion is “%(state)s”.")
MSG_STALE = _("Someone else changed this suggestion in the meantime. Reload the page and try again.")
MSG_REQUIRED = _("This field is required.")
MSG_REGION_OUT_OF_SCOPE = _(
    "“%(region)s” lies outside %(station)s's area: a station records suggestions in its own region "
    "and the regions below it, where its committee sees them."
)
MSG_REGION_OUT_OF_COMMITTEE = _("“%(region)s” lies outside your region.")


# ---------------------------------------------------------------------------------------------
# Internals shared by the actions
# ---------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    row: Suggestion
    actor: User | None
    scope: Scope
    parties: frozenset[Party]
    now: dt.datetime
    today: dt.date
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    # The state when the row was read: `_save` starts a stage's clock when the state changes.
    start_state: str = ""

    def __post_init__(self) -> None:
        self.start_state = self.start_state or self.row.state


def _scope(actor: User | AnonymousUser | None) -> Scope:
    if actor is None:
        return user_scope(AnonymousUser())
    return user_scope(actor)


def _parties(actor: User | AnonymousUser | None, row: Suggestion, scope: Scope) -> frozenset[Party]:
    if actor is None or not actor.is_authenticated:
        return frozenset({Party.VOTER})
    if scope.is_admin:
        return _ADMIN_PARTIES
    parties: set[Party] = set()
    region_path = row.region.path
    covers_region = any(region_path.startswith(p) for p in scope.region_paths)
    if covers_region:
        parties.add(Party.COMMITTEE)
    if (row.station_id is not None and row.station_id in scope.station_ids) or (
        row.station_id is None and covers_region
    ):
        parties.add(Party.STATION)
    if scope.unit_ids:
        if row.lead_unit_id is not None and row.lead_unit_id in scope.unit_ids:
            parties.add(Party.LEAD_UNIT)
        if Assignment.objects.filter(
            suggestion_id=row.pk, unit_id__in=scope.unit_ids, role=AssignmentRole.CO, is_active=True
        ).exists():
            parties.add(Party.CO_UNIT)
    if scope.representative_id is not None and row.representative_id == scope.representative_id:
        parties.add(Party.REPRESENTATIVE)
    return frozenset(parties)


def _person(actor: User | AnonymousUser | None) -> User | None:
    """The acting user, or None for an anonymous voter (also when a view passes AnonymousUser)."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def _lock(suggestion: Suggestion, actor: User | None) -> _Ctx:
    actor = _person(actor)
    try:
        row = Suggestion.objects.select_for_update(of=("self",)).select_related("region").get(pk=suggestion.pk)
    except Suggestion.DoesNotExist:
        raise WorkflowError("not_found", MSG_NOT_FOUND, status=404) from None
    scope = _scope(actor)
    parties = _parties(actor, row, scope)
    if actor is not None and not parties:
        raise WorkflowError("not_found", MSG_NOT_FOUND, status=404)
    now = timezone.now()
    return _Ctx(row=row, actor=actor, scope=scope, parties=parties, now=now, today=timezone.localdate(now))


def _check_version(ctx: _Ctx, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != ctx.row.version:
        raise WorkflowError(
            "stale_version", MSG_STALE, status=409, data={"expected": expected_version, "current": ctx.row.version}
        )


def _check_state(ctx: _Ctx, action: str) -> None:
    if ctx.row.state not in TRANSITIONS[action].sources:
        raise WorkflowError(
            "invalid_state",
            MSG_INVALID_STATE % {"state": State(ctx.row.state).label},
            status=409,
            data={"state": ctx.row.state, "action": action},
        )


def _check_party(ctx: _Ctx, action: str) -> None:
    if not ctx.parties & TRANSITIONS[action].parties:
        raise WorkflowError("not_allowed", MSG_NOT_ALLOWED, status=403)


def _begin(action: str, suggestion: Suggestion, actor: User | None, expected_version: int | None) -> _Ctx:
    ctx = _lock(suggestion, actor)
    _check_version(ctx, expected_version)
    _check_state(ctx, action)
    _check_party(ctx, action)
    return ctx


def _fail(
    code: str, message: str | Promise, field_name: str, *, status: int = 400, data: dict[str, Any] | None = None
) -> WorkflowError:
    return WorkflowError(code, message, status=status, fields={field_name: [str(message)]}, data=data)


def _fields_error(errors: dict[str, list[str]]) -> WorkflowError:
    return WorkflowError("validation", _("Please correct the marked fields."), status=400, fields=errors)


def _save(ctx: _Ctx, *fields: str) -> None:
    """Write the named fields and bump the version, only if nobody else bumped it first."""
    row = ctx.row
    if "state" in fields:
        fields = (*fields, *_stage_clock(ctx))
    values: dict[str, Any] = {}
    for name in fields:
        attname = Suggestion._meta.get_field(name).attname  # type: ignore[union-attr]
        values[attname] = getattr(row, attname)
    updated = Suggestion.objects.filter(pk=row.pk, version=row.version).update(
        version=F("version") + 1, updated_at=ctx.now, **values
    )
    if updated != 1:  # pragma: no cover - the row lock makes this unreachable on PostgreSQL
        raise WorkflowError("stale_version", MSG_STALE, status=409)
    row.version += 1
    row.updated_at = ctx.now
    ctx.start_state = row.state


def _actor_label(actor: User | None) -> str:
    return "" if actor is None else str(actor)[:128]


def _event(
    ctx: _Ctx, action: str, *, from_state: str, note: str = "", data: dict[str, Any] | None = None, public: bool = False
) -> SuggestionEvent:
    return SuggestionEvent.objects.create(
        suggestion=ctx.row,
        action=action,
        from_state=from_state,
        to_state=ctx.row.state,
        actor=ctx.actor,
        actor_label=_actor_label(ctx.actor),
        note=note,
        data=data or {},
        is_public=public,
    )


def _check_region(actor: User, station: Station | None, region: Region) -> None:
    """Refuse a region the actor may not place a suggestion of `station` in (`region_out_of_scope`)."""
    if not region.path:
        region = Region.objects.get(pk=region.pk)
    if recording_region_allowed(user=actor, station=station, region=region):
        return
    if station is None:
        message = MSG_REGION_OUT_OF_COMMITTEE % {"region": region.name}
    else:
        message = MSG_REGION_OUT_OF_SCOPE % {"region": region.name, "station": station.name}
    raise WorkflowError(
        "region_out_of_scope", message, status=400, fields={"region": [str(message)]}, data={"region": region.code}
    )


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _computed(ctx: _Ctx, start: dt.date, days: int) -> tuple[DeadlineResult, DeadlineBasis]:
    result = ctx.calendar.add_working_days(start, days)
    return result, result.basis(start=start, days=days)


def _manual_basis(ctx: _Ctx, due: dt.date) -> DeadlineBasis:
    return {
        "start": ctx.today.isoformat(),
        "days": ctx.calendar.working_days_between(ctx.today, due),
        "source": SOURCE_MANUAL,
        "provisional": False,
    }


def _stage_clock(ctx: _Ctx) -> tuple[str, ...]:
    """When the state changed, start the new stage's clock (or stop it when no stage runs in
    the new state); returns the fields it set, for `_save` to write with the state."""
    row = ctx.row
    if row.state == ctx.start_state:
        return ()
    limit = stage_limit_days(row.state)
    if limit is None:
        if row.stage_since is None and row.stage_due is None:
            return ()
        row.stage_since, row.stage_due = None, None
        row.deadline_basis = {k: v for k, v in row.deadline_basis.items() if k != "stage_due"}
    else:
        result, basis = _computed(ctx, ctx.today, limit)
        row.stage_since, row.stage_due = ctx.now, result.due
        row.deadline_basis = {**row.deadline_basis, "stage_due": basis}
    return ("stage_since", "stage_due", "deadline_basis")


def _reply_limit(row: Suggestion) -> int:
    return int(settings.REPLY_LIMIT_DAYS_URGENT if row.urgency == Urgency.URGENT else settings.REPLY_LIMIT_DAYS)


def co_limit_days(reply_days: int) -> int:
    """Default working days a co-unit has for its opinion: two thirds of the reply limit,
    but more than the acknowledgement limit, so the lead has time to use it."""
    return max(int(settings.ACK_LIMIT_DAYS) + 1, reply_days * 2 // 3)


def _set_feedback_due(ctx: _Ctx) -> None:
    result, basis = _computed(ctx, ctx.today, int(settings.FEEDBACK_LIMIT_DAYS))
    ctx.row.feedback_due = result.due
    ctx.row.deadline_basis = {**ctx.row.deadline_basis, "feedback_due": basis}


def _answer(ctx: _Ctx, *, category: str, text: str, extra_fields: tuple[str, ...] = ()) -> None:
    """Record an answer (a unit's reply or an on-the-spot resolution) on the suggestion: state
    replied, a fresh feedback deadline, and the latest rating cleared (the earlier round keeps
    its own in the case file). Saves `extra_fields` with it; `_keep_round` writes the round."""
    row = ctx.row
    row.state = State.REPLIED
    row.reply_category = category
    row.reply_text = text
    row.replied_at = ctx.now
    row.rating, row.feedback_text, row.feedback_at = "", "", None
    _set_feedback_due(ctx)
    _save(
        ctx,
        "state",
        "reply_category",
        "reply_text",
        "replied_at",
        "rating",
        "feedback_text",
        "feedback_at",
        "feedback_due",
        "deadline_basis",
        *extra_fields,
    )


def _round_start(row: Suggestion) -> dt.date | None:
    """The day this round's reply count started: the hand-over, or the rating that reopened it."""
    basis = row.deadline_basis.get("reply_due") if isinstance(row.deadline_basis, dict) else None
    if isinstance(basis, dict) and basis.get("start"):
        try:
            return dt.date.fromisoformat(str(basis["start"]))
        except ValueError:
            pass
    return timezone.localdate(row.assigned_at) if row.assigned_at else None


def _keep_round(
    ctx: _Ctx,
    *,
    event: SuggestionEvent,
    category: str,
    text: str,
    on_spot: bool,
    follow_up_due: dt.date | None = None,
    representative: Representative | None = None,
) -> Reply:
    """Append this answer to the case file, against the deadline in force now."""
    row = ctx.row
    due = None if on_spot else row.reply_due
    started = None if on_spot else _round_start(row)
    reply = Reply.objects.create(
        suggestion=row,
        round=Reply.objects.filter(suggestion=row).count() + 1,
        unit_id=None if on_spot else row.lead_unit_id,
        resolved_on_spot=on_spot,
        representative=representative,
        category=category,
        text=text,
        follow_up_due=follow_up_due,
        due=due,
        on_time=None if due is None else ctx.today <= due,
        started_on=started,
        working_days=None if started is None else ctx.calendar.working_days_between(started, ctx.today),
        replied_at=ctx.now,
        actor=ctx.actor,
        event=event,
    )
    _refresh_facts(ctx)
    return reply


def _refresh_facts(ctx: _Ctx) -> None:
    """Recompute the case facts from the rounds (suggestions.casefile) and read them back."""
    case_facts_refresh(suggestion_ids=[ctx.row.pk])
    values = Suggestion.objects.filter(pk=ctx.row.pk).values(*FACT_FIELDS).get()
    for name, value in values.items():
        setattr(ctx.row, name, value)


def _latest_reply(row: Suggestion) -> Reply | None:
    return Reply.objects.filter(suggestion=row).order_by("-round").first()


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _close_pending_extension(ctx: _Ctx, note: str) -> None:
    ExtensionRequest.objects.filter(suggestion=ctx.row, status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.REJECTED, decided_at=ctx.now, decision_note=note
    )


# ---------------------------------------------------------------------------------------------
# Record 登记
# ---------------------------------------------------------------------------------------------

_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,30}$")


def _validate_record(
    *,
    title: str,
    content: str,
    region: Region | None,
    station: Station | None,
    visit: VoterVisit | None,
    category: Category | None,
    urgency: str,
    channel: str,
    submitter_name: str,
    submitter_phone: str,
    submitter_email: str,
    submitter_address: str,
    address: str,
) -> None:
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [str(_("Please give the suggestion a title."))]
    elif len(title) > 200:
        errors["title"] = [str(_("The title may have at most 200 characters."))]
    if not content:
        errors["content"] = [str(_("Please describe the suggestion."))]
    elif len(content) > 10000:
        errors["content"] = [str(_("The description may have at most 10,000 characters."))]
    if region is None or region.pk is None:
        errors["region"] = [str(_("Please choose where the problem is."))]
    if urgency not in Urgency.values:
        errors["urgency"] = [str(_("Choose a valid urgency."))]
    if channel not in VisitChannel.values:
        errors["channel"] = [str(_("Choose a valid channel."))]
    if visit is not None and (station is None or visit.station_id != station.pk):
        errors["visit"] = [str(_("The visit belongs to another station."))]
    if station is not None and not station.is_active:
        errors["station"] = [str(_("This station is no longer active."))]
    if category is not None and not category.is_active:
        errors["category"] = [str(_("This category is no longer in use."))]
    if submitter_phone and not _PHONE.match(submitter_phone):
        errors["submitter_phone"] = [str(_("Enter a valid phone number."))]
    if submitter_email:
        try:
            validate_email(submitter_email)
        except ValidationError:
            errors["submitter_email"] = [str(_("Enter a valid e-mail address."))]
    for name, value, limit in (
        ("submitter_name", submitter_name, 64),
        ("submitter_address", submitter_address, 255),
        ("address", address, 255),
        ("submitter_email", submitter_email, 254),
    ):
        if len(value) > limit and name not in errors:
            errors[name] = [str(_("At most %(limit)s characters.") % {"limit": limit})]
    if errors:
        raise _fields_error(errors)


@transaction.atomic
def suggestion_record(
    *,
    actor: User | None,
    title: str,
    content: str,
    region: Region,
    station: Station | None = None,
    visit: VoterVisit | None = None,
    category: Category | None = None,
    urgency: str = "normal",
    address: str = "",
    submitter_name: str = "",
    submitter_phone: str = "",
    submitter_email: str = "",
    submitter_address: str = "",
    consent_to_publish: bool = False,
    representative: Representative | None = None,
    channel: str = "reception",
) -> Suggestion:
    """Record a suggestion and issue its tracking code (→ received).

    Station staff record for their own stations (with one station, it is the default);
    representatives, in the field, for the stations they are assigned to; committee staff
    for their region (hotline, API); a voter online with `actor=None`.
    """
    actor = _person(actor)
    title, content = _text(title), _text(content)
    submitter_name, submitter_phone = _text(submitter_name), _text(submitter_phone)
    submitter_email, submitter_address, address = _text(submitter_email), _text(submitter_address), _text(address)
    if actor is not None:
        scope = user_scope(actor)
        if station is None and len(scope.station_ids) == 1 and not scope.is_admin and not scope.region_paths:
            station = Station.objects.get(pk=next(iter(scope.station_ids)))
        allowed = scope.is_admin or (station is not None and station.pk in scope.station_ids)
        if not allowed and station is not None and visit is not None and station.pk in scope.field_station_ids:
            # A representative's field work (stations.services.visit_record): with its visit, at their station.
            allowed = channel in FIELD_WORK_CHANNELS
        if not allowed and region is not None and region.pk is not None:
            # Committee staff (hotline, API) record within their region, for a station there if any.
            allowed = scope.covers_region_path(Region.objects.only("path").get(pk=region.pk).path) and (
                station is None or scope.covers_region_path(station.region.path)
            )
        if not allowed:
            raise WorkflowError("not_allowed", MSG_NOT_ALLOWED, status=403)
    now = timezone.now()
    sort_limit = stage_limit_days(State.RECEIVED)
    assert sort_limit is not None
    sort_due = WorkingCalendar().add_working_days(timezone.localdate(now), sort_limit)
    _validate_record(
        title=title,
        content=content,
        region=region,
        station=station,
        visit=visit,
        category=category,
        urgency=urgency,
        channel=channel,
        submitter_name=submitter_name,
        submitter_phone=submitter_phone,
        submitter_email=submitter_email,
        submitter_address=submitter_address,
        address=address,
    )
    if actor is not None:
        _check_region(actor, station, region)
    row = Suggestion(
        title=title,
        content=content,
        region=region,
        station=station,
        visit=visit,
        category=category,
        urgency=urgency,
        address=address,
        submitter_name=submitter_name,
        submitter_phone=submitter_phone,
        submitter_email=submitter_email,
        submitter_address=submitter_address,
        consent_to_publish=bool(consent_to_publish),
        representative=representative,
        channel=channel,
        recorded_by=actor,
        state=State.RECEIVED,
        version=1,
        stage_since=now,
        stage_due=sort_due.due,
        deadline_basis={"stage_due": sort_due.basis(start=timezone.localdate(now), days=sort_limit)},
    )
    for attempt in range(8):
        row.tracking_code = tracking_code_new()
        try:
            with transaction.atomic():
                row.save()
            break
        except IntegrityError:
            # 49 random bits make a collision very rare; a new code fixes it.
            if attempt == 7 or not Suggestion.objects.filter(tracking_code=row.tracking_code).exists():
                raise
    ctx = _Ctx(row=row, actor=actor, scope=_scope(actor), parties=frozenset(), now=now, today=timezone.localdate(now))
    _event(
        ctx,
        "suggestion.recorded",
        from_state="",
        public=True,
        data={"channel": channel, "tracking_code": row.tracking_code, "online": actor is None},
    )
    outbox_enqueue(
        kind="suggestion.recorded",
        suggestion=row,
        payload={"tracking_code": row.tracking_code, "channel": channel, "online": actor is None},
    )
    return row


# ---------------------------------------------------------------------------------------------
# Sort 梳理 (and merge), resolve on the spot 现场办理, propose 拟办
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def suggestion_sort(
    *,
    suggestion: Suggestion,
    actor: User,
    category: Category | None,
    urgency: str,
    region: Region | None = None,
    merge_into: Suggestion | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """Station staff sort a received suggestion (→ sorted) or merge it into an earlier
    duplicate they can see (→ merged)."""
    action = "merge" if merge_into is not None else "sort"
    ctx = _begin(action, suggestion, actor, expected_version)
    row = ctx.row
    errors: dict[str, list[str]] = {}
    if merge_into is None and category is None:
        errors["category"] = [str(MSG_REQUIRED)]
    if category is not None and not category.is_active:
        errors["category"] = [str(_("This category is no longer in use."))]
    if urgency not in Urgency.values:
        errors["urgency"] = [str(_("Choose a valid urgency."))]
    if errors:
        raise _fields_error(errors)
    if region is not None and region.pk != row.region_id:
        _check_region(actor, row.station, region)
    from_state = row.state
    if merge_into is not None:
        target = (
            Suggestion.objects.select_for_update(of=("self",)).select_related("region").filter(pk=merge_into.pk).first()
        )
        if (
            target is None
            or target.pk >= row.pk
            or target.state == State.MERGED
            or not (_parties(actor, target, ctx.scope) - {Party.VOTER})
        ):
            raise _fail(
                "merge_target_invalid",
                _("Merge only into an earlier suggestion you can see that is not itself merged."),
                "merge_into",
            )
        row.merged_into = target
        row.state = State.MERGED
    else:
        row.state = State.SORTED
    if category is not None:
        row.category = category
    row.urgency = urgency
    old_region = row.region
    if region is not None:
        row.region = region
        row.city_id, row.county_id = city_and_county(region)
    _save(ctx, "state", "category", "urgency", "region", "city", "county", "merged_into")
    moved = (
        {
            "old_region": old_region.code,
            "old_region_name": old_region.name,
            "region": region.code,
            "region_name": region.name,
        }
        if region is not None and region.pk != old_region.pk
        else {}
    )
    if merge_into is not None:
        assert row.merged_into is not None
        _event(
            ctx,
            "suggestion.merged",
            from_state=from_state,
            note=_text(note),
            public=True,
            data={"merged_into": row.merged_into.tracking_code},
        )
    else:
        _event(
            ctx,
            "suggestion.sorted",
            from_state=from_state,
            note=_text(note),
            public=True,
            data={"category": category.code if category else None, "urgency": urgency, **moved},
        )
    return row


# What an answer on the spot may say: solved (A), cannot be solved now, with the explanation
# given at the station (C), or kept for reference (D). "B, being solved" needs a unit that
# reports until it is solved, so such a suggestion is proposed to a unit instead.
ON_SPOT_CATEGORIES: tuple[str, ...] = (ReplyCategory.A, ReplyCategory.C, ReplyCategory.D)


@transaction.atomic
def suggestion_resolve_on_spot(
    *,
    suggestion: Suggestion,
    actor: User,
    reply_text: str,
    category: str = ReplyCategory.A,
    representative: Representative | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """A representative dealt with it at the station: station staff record the answer (→ replied)
    and the voter gets a feedback link.

    The answer's category is A, C or D (`ON_SPOT_CATEGORIES`); the representative who resolved
    it must be an active representative of the suggestion's station (`on_spot_representatives`).
    The round is kept in the case file with its category and representative, like a unit's
    reply; a suggestion that had no receiving representative gets this one (they received the
    voter). Not named, it is the receiving representative if they are one of the station's."""
    ctx = _begin("resolve_on_spot", suggestion, actor, expected_version)
    row = ctx.row
    text = _text(reply_text)
    errors: dict[str, list[str]] = {}
    if not text:
        errors["reply_text"] = [str(_("Please write the reply."))]
    if category not in ON_SPOT_CATEGORIES:
        errors["category"] = [
            str(_("An answer on the spot is A (solved), C (cannot be solved now) or D (kept for reference)."))
        ]
    candidates = on_spot_representatives(suggestion=row)
    if representative is None and row.representative_id is not None:
        # Not named: the receiving representative, when they are one of the station's.
        representative = candidates.filter(pk=row.representative_id).first()
    elif representative is not None and not candidates.filter(pk=representative.pk).exists():
        errors["representative"] = [str(_("Choose a representative of this station."))]
    if errors:
        if list(errors) == ["reply_text"]:
            raise _fail("reply_text_required", _("Please write the reply."), "reply_text")
        raise _fields_error(errors)
    from_state = row.state
    row.resolved_on_spot = True
    extra: tuple[str, ...] = ("resolved_on_spot",)
    if representative is not None and row.representative_id is None:
        row.representative = representative
        extra += ("representative",)
    _answer(ctx, category=category, text=text, extra_fields=extra)
    data: dict[str, Any] = {"category": category, "feedback_due": _iso(row.feedback_due)}
    if representative is not None:
        data |= {"representative": representative.pk, "representative_name": representative.name}
    event = _event(ctx, "suggestion.resolved_on_spot", from_state=from_state, note=_text(note), public=True, data=data)
    reply = _keep_round(ctx, event=event, category=category, text=text, on_spot=True, representative=representative)
    event.data = {**event.data, "round": reply.round}
    event.save(update_fields=["data"])
    token = feedback_link_create(suggestion=row)
    outbox_enqueue(
        kind="suggestion.replied",
        suggestion=row,
        payload={
            "category": category,
            "resolved_on_spot": True,
            "feedback_token": token,
            "feedback_due": _iso(row.feedback_due),
        },
    )
    return row


@transaction.atomic
def suggestion_propose(
    *,
    suggestion: Suggestion,
    actor: User,
    route: str,
    unit: HandlingUnit | None = None,
    co_units: Sequence[HandlingUnit] = (),
    note: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """Station staff propose how to handle a sorted suggestion (→ proposed): hand to a unit
    (optionally which, and which co-units beside it; the hand-over form starts from them),
    convert to a closed-session suggestion, escalate, or not accept (reason required).
    Co-units need a proposed lead, differ from it and from each other, and are active."""
    ctx = _begin("propose", suggestion, actor, expected_version)
    row = ctx.row
    note = _text(note)
    co_ids = [u.pk for u in co_units]
    if route not in Route.values:
        raise _fail("validation", _("Choose a valid handling route."), "route")
    if unit is not None and route != Route.UNIT:
        raise _fail("validation", _("A unit can only be proposed for the route “hand over to a unit”."), "unit")
    if unit is not None and not unit.is_active:
        raise _fail("validation", _("This handling unit is no longer active."), "unit")
    if co_ids and unit is None:
        raise _fail("validation", _("Propose the lead unit before its co-units."), "unit")
    if len(set(co_ids)) != len(co_ids):
        raise _fail("validation", _("Each co-unit may be named only once."), "co_units")
    if unit is not None and unit.pk in co_ids:
        raise _fail("validation", _("The lead unit cannot also be a co-unit."), "co_units")
    if co_ids and HandlingUnit.objects.filter(pk__in=co_ids, is_active=True).count() != len(co_ids):
        raise _fail("validation", _("This handling unit is no longer active."), "co_units")
    if route == Route.NOT_ACCEPTED and not note:
        raise _fail("reason_required", _("Please give the reason for not accepting it."), "note")
    from_state = row.state
    row.state = State.PROPOSED
    row.route = route
    row.route_note = note
    row.proposed_unit = unit
    _save(ctx, "state", "route", "route_note", "proposed_unit")
    row.proposed_co_units.set(co_ids)
    data: dict[str, Any] = {"route": route, "unit": unit.pk if unit else None}
    if co_ids:
        data |= {"co_units": co_ids, "co_unit_names": [u.name for u in co_units]}
    if unit is not None:
        data["unit_name"] = unit.name
    _event(ctx, "suggestion.proposed", from_state=from_state, note=note, public=True, data=data)
    return row


# ---------------------------------------------------------------------------------------------
# Hand over 交办, decline / convert / escalate
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def suggestion_hand_over(
    *,
    suggestion: Suggestion,
    actor: User,
    lead_unit: HandlingUnit,
    co_units: Sequence[HandlingUnit] = (),
    co_due: dt.date | None = None,
    reply_due: dt.date | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """Committee staff hand a proposed suggestion to a lead unit and co-units in their region
    (→ assigned). Without a date, the reply is due after the reply limit in working days
    (urgent: the shorter one), co-units' opinions after two thirds of it; acknowledgement
    after the acknowledgement limit. No deadline may lie in the past."""
    ctx = _begin("hand_over", suggestion, actor, expected_version)
    row = ctx.row
    if lead_unit is None:
        raise _fail("validation", MSG_REQUIRED, "lead_unit")
    co_ids = [u.pk for u in co_units]
    if len(set(co_ids)) != len(co_ids):
        raise _fail("validation", _("Each co-unit may be named only once."), "co_units")
    if lead_unit.pk in co_ids:
        raise _fail("validation", _("The lead unit cannot also be a co-unit."), "co_units")
    units = {u.pk: u for u in HandlingUnit.objects.select_related("region").filter(pk__in=[lead_unit.pk, *co_ids])}
    for name, ids in (("lead_unit", [lead_unit.pk]), ("co_units", co_ids)):
        for unit_id in ids:
            unit = units.get(unit_id)
            if unit is None or not unit.is_active:
                raise _fail("validation", _("This handling unit is no longer active."), name)
            if not ctx.scope.covers_region_path(unit.region.path):
                raise _fail(
                    "unit_out_of_region",
                    _("“%(unit)s” is outside your committee's region.") % {"unit": unit.name},
                    name,
                )
    if reply_due is not None and reply_due < ctx.today:
        raise _fail("deadline_in_past", _("The reply deadline cannot be in the past."), "reply_due")
    if co_ids and co_due is not None and co_due < ctx.today:
        raise _fail("deadline_in_past", _("The co-units' deadline cannot be in the past."), "co_due")
    basis: dict[str, Any] = {}
    reply_days = _reply_limit(row)
    if reply_due is None:
        result, basis["reply_due"] = _computed(ctx, ctx.today, reply_days)
        reply_due = result.due
    else:
        basis["reply_due"] = _manual_basis(ctx, reply_due)
    if co_ids and co_due is not None and co_due > reply_due:
        raise _fail("validation", _("The co-units' deadline must not be after the reply deadline."), "co_due")
    ack_result, basis["ack_due"] = _computed(ctx, ctx.today, int(settings.ACK_LIMIT_DAYS))
    ack_due = min(ack_result.due, reply_due)
    if co_ids:
        if co_due is None:
            co_result, basis["co_due"] = _computed(ctx, ctx.today, co_limit_days(reply_days))
            co_due = min(co_result.due, reply_due)
        else:
            basis["co_due"] = _manual_basis(ctx, co_due)
    else:
        co_due = None

    from_state = row.state
    Assignment.objects.filter(suggestion=row, is_active=True).update(is_active=False)
    Assignment.objects.create(suggestion=row, unit=lead_unit, role=AssignmentRole.LEAD, due=reply_due, ack_due=ack_due)
    Assignment.objects.bulk_create(
        [Assignment(suggestion=row, unit=units[i], role=AssignmentRole.CO, due=co_due) for i in co_ids]
    )
    row.state = State.ASSIGNED
    row.route = Route.UNIT
    row.lead_unit = lead_unit
    row.assigned_at = ctx.now
    row.ack_due = ack_due
    row.acknowledged_at = None
    row.reply_due = reply_due
    row.extension_days = 0
    row.supervision_level = SupervisionLevel.NONE
    row.deadline_basis = basis
    _save(
        ctx,
        "state",
        "route",
        "lead_unit",
        "assigned_at",
        "ack_due",
        "acknowledged_at",
        "reply_due",
        "extension_days",
        "supervision_level",
        "deadline_basis",
    )
    data = {
        "lead_unit": lead_unit.pk,
        "lead_unit_name": lead_unit.name,
        "co_units": co_ids,
        "co_unit_names": [units[i].name for i in co_ids],
        "ack_due": _iso(ack_due),
        "reply_due": _iso(reply_due),
        "co_due": _iso(co_due),
    }
    _event(ctx, "suggestion.handed_over", from_state=from_state, note=_text(note), public=True, data=data)
    outbox_enqueue(kind="suggestion.handed_over", suggestion=row, payload=data)
    return row


_DECLINE_EVENTS = {
    Route.CLOSED_SESSION: "suggestion.converted",
    Route.ESCALATE: "suggestion.escalated",
}


@transaction.atomic
def suggestion_decline(
    *,
    suggestion: Suggestion,
    actor: User,
    note: str,
    reference: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """Committee staff close a proposed suggestion outside the unit loop, as its route says:
    not accepted (declined), converted to a closed-session suggestion (reference = its
    number; the statutory limit for formal suggestions is recorded), or escalated to a higher
    congress (reference = where to). A reason is required (→ closed)."""
    ctx = _begin("decline", suggestion, actor, expected_version)
    row = ctx.row
    note, reference = _text(note), _text(reference)
    if not note:
        raise _fail("reason_required", _("Please give the reason."), "note")
    if len(reference) > 64:
        raise _fail("validation", _("At most %(limit)s characters.") % {"limit": 64}, "reference")
    event = _DECLINE_EVENTS.get(Route(row.route) if row.route else Route.NOT_ACCEPTED, "suggestion.declined")
    data: dict[str, Any] = {"route": row.route or Route.NOT_ACCEPTED, "reference": reference}
    fields = ["state", "closed_at", "close_note"]
    if row.route == Route.CLOSED_SESSION:
        row.formal_reference = reference
        formal_due = add_months(ctx.today, int(settings.FORMAL_SUGGESTION_LIMIT_MONTHS))
        row.deadline_basis = {
            **row.deadline_basis,
            "formal_reply_due": {
                "start": ctx.today.isoformat(),
                "months": int(settings.FORMAL_SUGGESTION_LIMIT_MONTHS),
                "due": formal_due.isoformat(),
                "source": "statutory_months",
                "provisional": False,
            },
        }
        data["formal_reply_due"] = formal_due.isoformat()
        row.formal_reply_due = formal_due
        fields += ["formal_reference", "deadline_basis", "formal_reply_due"]
    elif row.route == Route.ESCALATE:
        row.escalated_to = reference
        fields.append("escalated_to")
    from_state = row.state
    row.state = State.CLOSED
    row.closed_at = ctx.now
    row.close_note = note
    _save(ctx, *fields)
    _event(ctx, event, from_state=from_state, note=note, public=True, data=data)
    outbox_enqueue(kind="suggestion.closed", suggestion=row, payload={**data, "action": event})
    return row


# ---------------------------------------------------------------------------------------------
# Acknowledge 签收, return 退回, co-unit opinion
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def suggestion_acknowledge(*, suggestion: Suggestion, actor: User, expected_version: int | None = None) -> Suggestion:
    """The lead unit acknowledges (→ in_progress). Late acknowledgement is still accepted and
    recorded as late in the event."""
    ctx = _begin("acknowledge", suggestion, actor, expected_version)
    row = ctx.row
    late = row.ack_due is not None and ctx.today > row.ack_due
    from_state = row.state
    row.state = State.IN_PROGRESS
    row.acknowledged_at = ctx.now
    _save(ctx, "state", "acknowledged_at")
    Assignment.objects.filter(suggestion=row, role=AssignmentRole.LEAD, is_active=True).update(
        ack_due=row.ack_due, acknowledged_at=ctx.now, acknowledged_late=None if row.ack_due is None else late
    )
    _refresh_facts(ctx)
    data: dict[str, Any] = {"late": late, "ack_due": _iso(row.ack_due)}
    if late and row.ack_due is not None:
        data["working_days_late"] = ctx.calendar.working_days_between(row.ack_due, ctx.today)
    _event(ctx, "suggestion.acknowledged", from_state=from_state, public=True, data=data)
    return row


@transaction.atomic
def suggestion_return(
    *,
    suggestion: Suggestion,
    actor: User,
    reason: str,
    expected_version: int | None = None,
) -> Suggestion:
    """The lead unit returns a hand-over it should not handle, with a reason (→ proposed);
    all its assignments end and the committee reassigns."""
    ctx = _begin("return", suggestion, actor, expected_version)
    row = ctx.row
    reason = _text(reason)
    if not reason:
        raise _fail("reason_required", _("Please give the reason for returning it."), "reason")
    unit = row.lead_unit
    Assignment.objects.filter(suggestion=row, is_active=True).update(is_active=False)
    from_state = row.state
    row.state = State.PROPOSED
    row.lead_unit = None
    row.ack_due = None
    row.reply_due = None
    row.acknowledged_at = None
    row.deadline_basis = {k: v for k, v in row.deadline_basis.items() if k not in {"ack_due", "reply_due", "co_due"}}
    _save(ctx, "state", "lead_unit", "ack_due", "reply_due", "acknowledged_at", "deadline_basis")
    data = {"unit": unit.pk if unit else None, "unit_name": unit.name if unit else ""}
    _event(ctx, "suggestion.returned", from_state=from_state, note=reason, data=data)
    outbox_enqueue(kind="suggestion.returned", suggestion=row, payload={**data, "reason": reason})
    return row


@transaction.atomic
def suggestion_co_opinion(
    *,
    suggestion: Suggestion,
    actor: User,
    text: str,
    expected_version: int | None = None,
) -> Suggestion:
    """An active co-unit gives (or revises) its opinion to the lead unit; the state stays."""
    ctx = _begin("co_opinion", suggestion, actor, expected_version)
    row = ctx.row
    text = _text(text)
    if not text:
        raise _fail("opinion_required", _("Please write the opinion."), "text")
    assignments = (
        Assignment.objects.select_for_update()
        .filter(suggestion=row, role=AssignmentRole.CO, is_active=True)
        .select_related("unit")
        .order_by("opinion_at", "id")
    )
    if not ctx.scope.is_admin:
        assignments = assignments.filter(unit_id__in=ctx.scope.unit_ids)
    assignment = assignments.first()
    if assignment is None:
        raise WorkflowError("not_allowed", MSG_NOT_ALLOWED, status=403)
    late = assignment.due is not None and ctx.today > assignment.due
    revision = assignment.opinion_at is not None
    assignment.opinion = text
    assignment.opinion_at = ctx.now
    assignment.save(update_fields=["opinion", "opinion_at"])
    CoOpinion.objects.create(
        assignment=assignment,
        suggestion=row,
        unit=assignment.unit,
        text=text,
        due=assignment.due,
        late=late,
        given_at=ctx.now,
        actor=ctx.actor,
    )
    _save(ctx)
    _event(
        ctx,
        "suggestion.co_opinion_given",
        from_state=row.state,
        note=text,
        data={
            "unit": assignment.unit_id,
            "unit_name": assignment.unit.name,
            "late": late,
            "due": _iso(assignment.due),
            "revision": revision,
        },
    )
    return row


# ---------------------------------------------------------------------------------------------
# Extension 延期, supervision 督办
# ---------------------------------------------------------------------------------------------


def _cap() -> int:
    return int(settings.EXTENSION_CAP_DAYS)


@transaction.atomic
def suggestion_request_extension(
    *,
    suggestion: Suggestion,
    actor: User,
    days: int,
    reason: str,
    expected_version: int | None = None,
) -> Suggestion:
    """The lead unit asks for more working days before its reply deadline; all extensions
    together may not exceed EXTENSION_CAP_DAYS; one request at a time."""
    ctx = _begin("request_extension", suggestion, actor, expected_version)
    row = ctx.row
    reason = _text(reason)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise _fail("validation", _("Ask for at least one working day."), "days")
    if not reason:
        raise _fail("reason_required", _("Please give the reason for the extension."), "reason")
    if row.reply_due is not None and ctx.today > row.reply_due:
        raise _fail(
            "deadline_passed", _("An extension must be requested before the reply deadline."), "days", status=409
        )
    if ExtensionRequest.objects.filter(suggestion=row, status=ExtensionStatus.PENDING).exists():
        raise _fail(
            "extension_pending", _("An extension request is already waiting for a decision."), "days", status=409
        )
    remaining = _cap() - row.extension_days
    if days > remaining:
        raise _fail(
            "extension_cap_exceeded",
            _("At most %(remaining)s more working days can be granted (limit %(cap)s in total).")
            % {"remaining": max(remaining, 0), "cap": _cap()},
            "days",
            data={"cap": _cap(), "used": row.extension_days},
        )
    request = ExtensionRequest.objects.create(suggestion=row, days=days, reason=reason, requested_by=actor)
    _save(ctx)
    data = {"request": request.pk, "days": days, "reply_due": _iso(row.reply_due)}
    _event(ctx, "suggestion.extension_requested", from_state=row.state, note=reason, data=data)
    outbox_enqueue(kind="suggestion.extension_requested", suggestion=row, payload={**data, "reason": reason})
    return row


@transaction.atomic
def suggestion_decide_extension(
    *,
    suggestion: Suggestion,
    actor: User,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """Committee staff approve or reject the pending extension request; an approval moves the
    reply deadline by the requested working days (within the cap)."""
    ctx = _begin("decide_extension", suggestion, actor, expected_version)
    row = ctx.row
    note = _text(note)
    request = (
        ExtensionRequest.objects.select_for_update().filter(suggestion=row, status=ExtensionStatus.PENDING).first()
    )
    if request is None:
        raise WorkflowError(
            "extension_not_pending", _("There is no extension request waiting for a decision."), status=409
        )
    old_due = row.reply_due
    fields: list[str] = []
    if approve:
        if row.extension_days + request.days > _cap():
            raise _fail(
                "extension_cap_exceeded",
                _("At most %(remaining)s more working days can be granted (limit %(cap)s in total).")
                % {"remaining": max(_cap() - row.extension_days, 0), "cap": _cap()},
                "approve",
                data={"cap": _cap(), "used": row.extension_days},
            )
        basis: dict[str, Any] = dict(row.deadline_basis.get("reply_due") or {})
        if basis.get("source") != SOURCE_MANUAL and basis.get("start") and isinstance(basis.get("days"), int):
            total = int(basis["days"]) + request.days
            result, new_basis = _computed(ctx, dt.date.fromisoformat(basis["start"]), total)
            basis = {**basis, **new_basis}
        else:
            # A date typed by staff: the extension counts working days from it on the calendar
            # like any other (provisional in a year the calendar does not know), and from now
            # on the deadline is a computed one that a calendar correction recalculates.
            assert old_due is not None
            result, new_basis = _computed(ctx, old_due, request.days)
            manual = {"manual_due": old_due.isoformat(), "manual_set_on": basis.get("start")}
            basis = {**new_basis, **(manual if basis.get("source") == SOURCE_MANUAL else {})}
        basis["extension_days"] = row.extension_days + request.days
        row.reply_due = result.due
        row.extension_days += request.days
        row.deadline_basis = {**row.deadline_basis, "reply_due": basis}
        fields = ["reply_due", "extension_days", "deadline_basis"]
        Assignment.objects.filter(suggestion=row, role=AssignmentRole.LEAD, is_active=True).update(due=row.reply_due)
    request.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
    request.decided_by = actor
    request.decided_at = ctx.now
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _save(ctx, *fields)
    data = {
        "request": request.pk,
        "approved": bool(approve),
        "days": request.days,
        "old_reply_due": _iso(old_due),
        "reply_due": _iso(row.reply_due),
    }
    _event(ctx, "suggestion.extension_decided", from_state=row.state, note=note, data=data)
    outbox_enqueue(kind="suggestion.extension_decided", suggestion=row, payload=data)
    return row


@transaction.atomic
def suggestion_supervise(
    *,
    suggestion: Suggestion,
    actor: User,
    note: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """Committee staff raise the supervision level: none → urged → key supervision; the unit is
    told. After a "B" reply (replied or closed) they supervise its follow-up reports, while one
    is due."""
    ctx = _begin("supervise", suggestion, actor, expected_version)
    row = ctx.row
    if row.state in SUPERVISE_FOLLOW_UP_STATES and not follow_up_running(row):
        raise WorkflowError("no_follow_up_due", _("No progress report is due on this suggestion."), status=409)
    if row.supervision_level >= SupervisionLevel.KEY:
        raise WorkflowError(
            "supervision_at_maximum", _("This suggestion is already under key supervision."), status=409
        )
    _supervise(ctx, level=row.supervision_level + 1, note=_text(note), data={"automatic": False})
    return row


def follow_up_running(row: Suggestion) -> bool:
    """A "B" reply whose next progress report is still owed."""
    return row.reply_category == ReplyCategory.B and row.follow_up_due is not None


def _supervise(ctx: _Ctx, *, level: int, note: str, data: dict[str, Any]) -> None:
    row = ctx.row
    from_level = row.supervision_level
    row.supervision_level = level
    _save(ctx, "supervision_level")
    data = {
        "level": level,
        "from_level": from_level,
        "lead_unit": row.lead_unit_id,
        "reply_due": _iso(row.reply_due),
        **data,
    }
    if row.state in SUPERVISE_FOLLOW_UP_STATES:
        data["follow_up_due"] = _iso(row.follow_up_due)
    _event(ctx, "suggestion.supervised", from_state=row.state, note=note, data=data)
    outbox_enqueue(kind="suggestion.supervised", suggestion=row, payload={**data, "note": note})


def _running_deadline(row: Suggestion) -> tuple[str, dt.date | None]:
    """The deadline a unit is late on, if any: (its name, its date)."""
    if row.state == State.ASSIGNED:
        return "ack_due", row.ack_due
    if row.state == State.IN_PROGRESS:
        return "reply_due", row.reply_due
    if row.state in SUPERVISE_FOLLOW_UP_STATES and follow_up_running(row):
        return "follow_up_due", row.follow_up_due
    return "", None


def _overdue_by_q(until: dt.date) -> Q:
    """Suggestions whose running deadline is on or before `until` (see `_running_deadline`)."""
    return (
        Q(state=State.ASSIGNED, ack_due__lte=until)
        | Q(state=State.IN_PROGRESS, reply_due__lte=until)
        | Q(state__in=SUPERVISE_FOLLOW_UP_STATES, reply_category=ReplyCategory.B, follow_up_due__lte=until)
    )


def supervision_auto_raise(*, today: dt.date | None = None) -> int:
    """Raise the supervision level of what is overdue long enough (run by the deadline sweep):
    催办 after SUPERVISE_URGE_AFTER_DAYS working days overdue, 重点督办 after
    SUPERVISE_KEY_AFTER_DAYS. Each raise is one `suggestion.supervised` event without an actor,
    its data marked automatic, and the unit is told as for a raise by staff. A level already
    reached, by staff or by an earlier sweep, is never raised again for the same lateness.

    One range query finds the candidates; each is then locked and checked like any action, in
    its own transaction. Returns how many suggestions were raised."""
    calendar = WorkingCalendar()
    now = timezone.now()
    today = today or timezone.localdate(now)
    thresholds = (
        (SupervisionLevel.KEY, overdue_until(today, int(settings.SUPERVISE_KEY_AFTER_DAYS), calendar=calendar)),
        (SupervisionLevel.URGE, overdue_until(today, int(settings.SUPERVISE_URGE_AFTER_DAYS), calendar=calendar)),
    )
    candidates = Q(pk__in=[])
    for level, until in thresholds:
        candidates |= _overdue_by_q(until) & Q(supervision_level__lt=level)
    ids = list(Suggestion.objects.filter(candidates).order_by("pk").values_list("pk", flat=True))
    scope = _scope(None)
    raised = 0
    for pk in ids:
        with transaction.atomic():
            row = Suggestion.objects.select_for_update(of=("self",)).filter(pk=pk).first()
            if row is None:
                continue
            name, due = _running_deadline(row)
            if due is None:
                continue
            target = next((level for level, until in thresholds if due <= until), None)
            if target is None or row.supervision_level >= target:
                continue
            ctx = _Ctx(row=row, actor=None, scope=scope, parties=frozenset(), now=now, today=today, calendar=calendar)
            data = {
                "automatic": True,
                "deadline": name,
                "due": due.isoformat(),
                "working_days_overdue": calendar.working_days_between(due, today),
            }
            _supervise(ctx, level=target, note="", data=data)
            raised += 1
    return raised


# ---------------------------------------------------------------------------------------------
# Reply 答复 and follow-up 跟踪办理
# ---------------------------------------------------------------------------------------------


_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
)


def _upload_content_type(upload: UploadedFile) -> str:
    """The content type of an uploaded reply attachment, judged by its first bytes (pictures
    and PDF only) and its size; the forms check more thoroughly, this guards other callers."""
    name = upload.name or ""
    size = upload.size or 0
    if size == 0:
        raise _fail("attachment_empty", _("“%(name)s” is empty.") % {"name": name}, "attachments")
    if size > int(settings.ATTACHMENT_MAX_BYTES):
        raise _fail(
            "attachment_too_big",
            _("“%(name)s” is too big: at most %(max)s MB per file.")
            % {"name": name, "max": f"{int(settings.ATTACHMENT_MAX_BYTES) / (1024 * 1024):g}"},
            "attachments",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature and (offset == 0 or head[:4] == b"RIFF"):
            return content_type
    raise _fail(
        "attachment_type",
        _("“%(name)s” is not a picture (JPEG, PNG, GIF, WebP) or a PDF document.") % {"name": name},
        "attachments",
    )


@transaction.atomic
def suggestion_reply(
    *,
    suggestion: Suggestion,
    actor: User,
    category: str,
    text: str,
    follow_up_due: dt.date | None = None,
    attachments: Sequence[Attachment | UploadedFile] = (),
    expected_version: int | None = None,
) -> Suggestion:
    """The lead unit replies (→ replied): category A/B/C/D and text; a "B" reply names the
    date of its next follow-up report. The voter gets a one-time feedback link."""
    ctx = _begin("reply", suggestion, actor, expected_version)
    row = ctx.row
    text = _text(text)
    if category not in ReplyCategory.values:
        raise _fail("validation", _("Choose a reply category."), "category")
    if not text:
        raise _fail("reply_text_required", _("Please write the reply."), "text")
    if category == ReplyCategory.B:
        if follow_up_due is None:
            raise _fail(
                "follow_up_due_required",
                _("A “being solved” reply needs the date of the next progress report."),
                "follow_up_due",
            )
        if follow_up_due < ctx.today:
            raise _fail("deadline_in_past", _("The follow-up date cannot be in the past."), "follow_up_due")
    elif follow_up_due is not None:
        raise _fail("validation", _("Only a “being solved” reply has a follow-up date."), "follow_up_due")
    existing = [a for a in attachments if isinstance(a, Attachment)]
    uploads = [(u, _upload_content_type(u)) for u in attachments if not isinstance(u, Attachment)]
    attachment_ids = [a.pk for a in existing]
    if attachment_ids and Attachment.objects.filter(pk__in=attachment_ids, suggestion=row).count() != len(
        set(attachment_ids)
    ):
        raise _fail("validation", _("An attachment belongs to another suggestion."), "attachments")
    _close_pending_extension(ctx, str(_("Withdrawn: the unit replied before a decision.")))
    from_state = row.state
    row.follow_up_due = follow_up_due
    _answer(ctx, category=category, text=text, extra_fields=("follow_up_due",))
    late = row.reply_due is not None and ctx.today > row.reply_due
    event = _event(
        ctx,
        "suggestion.replied",
        from_state=from_state,
        public=True,
        data={
            "category": category,
            "follow_up_due": _iso(follow_up_due),
            "late": late,
            "rehandle_count": row.rehandle_count,
            "attachments": attachment_ids,
        },
    )
    reply = _keep_round(ctx, event=event, category=category, text=text, on_spot=False, follow_up_due=follow_up_due)
    if attachment_ids:
        Attachment.objects.filter(pk__in=attachment_ids).update(event=event)
    for upload, content_type in uploads:
        stored = Attachment(
            suggestion=row,
            event=event,
            original_name=(upload.name or "attachment")[-255:],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=actor,
            is_public=False,
        )
        stored.file.save(upload.name or "attachment", upload, save=False)
        stored.save()
        attachment_ids.append(stored.pk)
    event.data = {
        **event.data,
        "attachments": attachment_ids,
        "round": reply.round,
        "reply_due": _iso(reply.due),
        "working_days": reply.working_days,
    }
    event.save(update_fields=["data"])
    token = feedback_link_create(suggestion=row)
    outbox_enqueue(
        kind="suggestion.replied",
        suggestion=row,
        payload={
            "category": category,
            "resolved_on_spot": False,
            "feedback_token": token,
            "feedback_due": _iso(row.feedback_due),
            "rehandle_count": row.rehandle_count,
        },
    )
    return row


@transaction.atomic
def suggestion_report_follow_up(
    *,
    suggestion: Suggestion,
    actor: User,
    text: str,
    solved: bool = False,
    next_due: dt.date | None = None,
    expected_version: int | None = None,
) -> Suggestion:
    """After a "B" reply the lead unit reports progress until solved; each report names the
    next date unless it says the problem is solved. The state does not change."""
    ctx = _begin("report_follow_up", suggestion, actor, expected_version)
    row = ctx.row
    if row.reply_category != ReplyCategory.B or row.follow_up_due is None:
        raise WorkflowError("no_follow_up_due", _("No progress report is due on this suggestion."), status=409)
    text = _text(text)
    if not text:
        raise _fail("validation", _("Please describe the progress."), "text")
    if not solved:
        if next_due is None:
            raise _fail("follow_up_due_required", _("Please give the date of the next progress report."), "next_due")
        if next_due < ctx.today:
            raise _fail("deadline_in_past", _("The follow-up date cannot be in the past."), "next_due")
    old_due = row.follow_up_due
    row.follow_up_due = None if solved else next_due
    _save(ctx, "follow_up_due")
    FollowUpReport.objects.create(
        suggestion=row,
        reply=_latest_reply(row),
        text=text,
        solved=bool(solved),
        due=old_due,
        next_due=row.follow_up_due,
        late=ctx.today > old_due,
        reported_at=ctx.now,
        actor=ctx.actor,
    )
    _event(
        ctx,
        "suggestion.follow_up_reported",
        from_state=row.state,
        note=text,
        public=True,
        data={
            "solved": bool(solved),
            "previous_due": _iso(old_due),
            "next_due": _iso(row.follow_up_due),
            "late": ctx.today > old_due,
        },
    )
    return row


# ---------------------------------------------------------------------------------------------
# Feedback 反馈, close 办结, publish 公示
# ---------------------------------------------------------------------------------------------


def feedback_link_create(*, suggestion: Suggestion) -> str:
    """A new one-time feedback link for the voter; returns the raw token (only its sha256 is
    stored). Older unused links of the suggestion stop working."""
    now = timezone.now()
    FeedbackToken.objects.filter(suggestion=suggestion, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    raw = secrets.token_urlsafe(32)
    FeedbackToken.objects.create(
        suggestion=suggestion,
        token_hash=_token_hash(raw),
        expires_at=now + dt.timedelta(days=int(settings.FEEDBACK_LINK_VALID_DAYS)),
    )
    return raw


MSG_LINK_INVALID = _("This feedback link is not valid.")
MSG_LINK_USED = _("This feedback link has already been used. Thank you for your feedback.")
MSG_LINK_EXPIRED = _("This feedback link has expired. Please call the liaison station to give your feedback.")


def _check_token(token: FeedbackToken | None, now: dt.datetime) -> FeedbackToken:
    if token is None:
        raise _fail("feedback_link_invalid", MSG_LINK_INVALID, "token", status=404)
    if token.used_at is not None:
        raise _fail("feedback_link_used", MSG_LINK_USED, "token", status=409)
    if token.expires_at <= now:
        raise _fail("feedback_link_expired", MSG_LINK_EXPIRED, "token", status=410)
    return token


def feedback_link_get(*, token: str) -> FeedbackToken:
    """The feedback link for a raw token, with its suggestion, if it can still be used; raises
    `feedback_link_invalid`, `feedback_link_used` or `feedback_link_expired` otherwise."""
    found = FeedbackToken.objects.select_related("suggestion").filter(token_hash=_token_hash(token or "")).first()
    return _check_token(found, timezone.now())


@transaction.atomic
def suggestion_feedback(
    *,
    suggestion: Suggestion,
    actor: User | None,
    rating: str,
    text: str = "",
    token: str | None = None,
    expected_version: int | None = None,
) -> Suggestion:
    """The voter's rating of a reply: by the voter through the one-time link (`actor=None`),
    by the receiving representative, or recorded by station or committee staff after a call.

    Satisfied or basically satisfied → closed. Dissatisfied the first time → in_progress again
    with a re-handling deadline (REHANDLE_LIMIT_DAYS); if it was resolved on the spot, so no
    unit has had it, → proposed for the committee to hand over. Dissatisfied after
    re-handling → stays replied; committee staff decide and close it with a note."""
    ctx = _lock(suggestion, actor)
    actor = ctx.actor
    link: FeedbackToken | None = None
    if actor is None:
        # The link is checked first, so a second use says so rather than "wrong state".
        link = _check_token(
            FeedbackToken.objects.select_for_update()
            .filter(suggestion=ctx.row, token_hash=_token_hash(token or ""))
            .first(),
            ctx.now,
        )
    _check_version(ctx, expected_version)
    _check_state(ctx, "feedback")
    _check_party(ctx, "feedback")
    row = ctx.row
    text = _text(text)
    if rating not in Rating.values:
        raise _fail("validation", _("Choose how satisfied the voter is."), "rating")
    if len(text) > 2000:
        raise _fail("validation", _("At most %(limit)s characters.") % {"limit": 2000}, "text")
    answer = _latest_reply(row)
    if row.rating or answer is None or answer.feedbacks.filter(party=FeedbackParty.VOTER).exists():
        raise WorkflowError(
            "feedback_already_given", _("Feedback on this reply has already been recorded."), status=409
        )
    if link is not None:
        link.used_at = ctx.now
        link.save(update_fields=["used_at"])
    via = "link" if actor is None else "staff"
    from_state = row.state
    row.rating = rating
    row.feedback_text = text
    row.feedback_at = ctx.now
    row.feedback_due = None
    fields = ["state", "rating", "feedback_text", "feedback_at", "feedback_due"]
    rehandle_due: dt.date | None = None
    if rating in (Rating.SATISFIED, Rating.BASIC):
        outcome = "closed"
        row.state = State.CLOSED
        row.closed_at = ctx.now
        fields.append("closed_at")
    elif row.rehandle_count == 0 and row.lead_unit_id is None:
        # Resolved on the spot, so no unit has handled it yet: re-handling starts with a
        # hand-over by the committee (which sets the new deadline).
        outcome = "reproposed"
        row.state = State.PROPOSED
        row.route = Route.UNIT
        row.rehandle_count += 1
        fields += ["route", "rehandle_count"]
    elif row.rehandle_count == 0:
        outcome = "rehandling"
        result, basis = _computed(ctx, ctx.today, int(settings.REHANDLE_LIMIT_DAYS))
        rehandle_due = result.due
        row.state = State.IN_PROGRESS
        row.rehandle_count += 1
        row.reply_due = rehandle_due
        row.follow_up_due = None
        row.extension_days = 0
        row.deadline_basis = {**row.deadline_basis, "reply_due": basis}
        fields += ["rehandle_count", "reply_due", "follow_up_due", "extension_days", "deadline_basis"]
        Assignment.objects.filter(suggestion=row, role=AssignmentRole.LEAD, is_active=True).update(due=rehandle_due)
    else:
        outcome = "committee_decision"
    _save(ctx, *fields)
    Feedback.objects.create(
        suggestion=row,
        reply=answer,
        party=FeedbackParty.VOTER,
        via=FeedbackVia.LINK if actor is None else FeedbackVia.CALL_BACK,
        rating=rating,
        text=text,
        outcome=outcome,
        given_at=ctx.now,
        actor=actor,
    )
    _refresh_facts(ctx)
    data = {
        "rating": rating,
        "via": via,
        "outcome": outcome,
        "rehandle_count": row.rehandle_count,
        "reply_due": _iso(rehandle_due),
        "round": answer.round,
    }
    _event(ctx, "suggestion.feedback_received", from_state=from_state, public=True, data=data)
    outbox_enqueue(kind="suggestion.feedback_received", suggestion=row, payload=data)
    if outcome in {"rehandling", "reproposed"}:
        outbox_enqueue(
            kind="suggestion.rehandling",
            suggestion=row,
            payload={
                "reply_due": _iso(rehandle_due),
                "lead_unit": row.lead_unit_id,
                "rehandle_count": row.rehandle_count,
            },
        )
    return row


@transaction.atomic
def suggestion_rate_as_representative(
    *,
    suggestion: Suggestion,
    actor: User,
    rating: str,
    text: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """代表评: the receiving representative rates the latest answer, once per answer, while the
    suggestion is replied or closed. The rating is kept beside the voter's and counted in its
    own figure; it never closes or reopens the case (the voter's rating does)."""
    ctx = _begin("rate_as_representative", suggestion, actor, expected_version)
    row = ctx.row
    if ctx.scope.representative_id is None or ctx.scope.representative_id != row.representative_id:
        raise WorkflowError("not_allowed", MSG_NOT_ALLOWED, status=403)
    text = _text(text)
    if rating not in Rating.values:
        raise _fail("validation", _("Choose how satisfied you are with the handling."), "rating")
    if len(text) > 2000:
        raise _fail("validation", _("At most %(limit)s characters.") % {"limit": 2000}, "text")
    answer = _latest_reply(row)
    if answer is None:
        raise WorkflowError("invalid_state", _("There is no answer to rate yet."), status=409)
    if answer.feedbacks.filter(party=FeedbackParty.REPRESENTATIVE).exists():
        raise WorkflowError(
            "representative_rating_given",
            _("You have already rated this answer. Each answer is rated once."),
            status=409,
        )
    Feedback.objects.create(
        suggestion=row,
        reply=answer,
        party=FeedbackParty.REPRESENTATIVE,
        via=FeedbackVia.REPRESENTATIVE,
        rating=rating,
        text=text,
        outcome="recorded",
        given_at=ctx.now,
        actor=ctx.actor,
    )
    _save(ctx)
    _refresh_facts(ctx)
    data = {"rating": rating, "round": answer.round}
    _event(ctx, "suggestion.representative_rated", from_state=row.state, note=text, public=True, data=data)
    outbox_enqueue(kind="suggestion.representative_rated", suggestion=row, payload=data)
    return row


def _close_reason(row: Suggestion, today: dt.date) -> str | None:
    """Why committee staff may close a replied suggestion now, or None."""
    if row.rating == Rating.DISSATISFIED and row.rehandle_count >= 1:
        return "committee_decision"
    if not row.rating and (row.feedback_due is None or today > row.feedback_due):
        return "no_feedback"
    return None


@transaction.atomic
def suggestion_close(
    *,
    suggestion: Suggestion,
    actor: User,
    note: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """Committee staff close a replied suggestion when no feedback came within the feedback
    limit, or after a second dissatisfaction (then with a note) (→ closed)."""
    ctx = _begin("close", suggestion, actor, expected_version)
    row = ctx.row
    note = _text(note)
    reason = _close_reason(row, ctx.today)
    if reason is None:
        raise WorkflowError(
            "feedback_pending",
            _("The voter can still give feedback until %(date)s; close it after that.")
            % {"date": _iso(row.feedback_due) or ""},
            status=409,
        )
    if reason == "committee_decision" and not note:
        raise _fail("note_required", _("Please write the committee's conclusion."), "note")
    from_state = row.state
    row.state = State.CLOSED
    row.closed_at = ctx.now
    row.close_note = note
    row.feedback_due = None
    _save(ctx, "state", "closed_at", "close_note", "feedback_due")
    data = {"reason": reason}
    _event(ctx, "suggestion.closed", from_state=from_state, note=note, public=True, data=data)
    outbox_enqueue(kind="suggestion.closed", suggestion=row, payload={**data, "action": "suggestion.closed"})
    return row


PUBLICATION_CHANGED = "publication"  # a version token the public lists that cache (Open311) read

MSG_CONSENT_MISSING = _(
    "The voter did not consent to publication, so the case cannot be published in full. "
    "You may publish the facts only, without the voter's words."
)


def _publication_changed() -> None:
    """After commit: cached public lists are computed again, so a withdrawn case goes at once."""
    from liaison import fragments

    transaction.on_commit(lambda: fragments.bump(PUBLICATION_CHANGED))


@transaction.atomic
def suggestion_publish(
    *,
    suggestion: Suggestion,
    actor: User,
    facts_only: bool = False,
    public_title: str = "",
    public_content: str = "",
    public_reply: str = "",
    expected_version: int | None = None,
) -> Suggestion:
    """Committee staff put a closed suggestion on the public board, masked (公示).

    The whole case (title, content, reply, in the public wording staff edited or else as
    recorded) only if the voter consented (`consent_missing`, 409, otherwise); the facts only
    (category, region, unit, representative, times, status, result category, rating; none of the
    voter's words and no reply text) whatever the voter said, chosen explicitly with `facts_only`.
    The public wording is ignored, and kept as it was, for a facts-only publication.
    """
    ctx = _begin("publish", suggestion, actor, expected_version)
    row = ctx.row
    if row.is_published:
        raise WorkflowError("already_published", _("This suggestion is already on the public board."), status=409)
    if not facts_only and not row.consent_to_publish:
        raise WorkflowError("consent_missing", MSG_CONSENT_MISSING, status=409)
    fields = ["is_published", "published_at", "publication_scope"]
    if not facts_only:
        wording = {
            "public_title": _text(public_title),
            "public_content": _text(public_content),
            "public_reply": _text(public_reply),
        }
        limit = Suggestion._meta.get_field("public_title").max_length or 200
        if len(wording["public_title"]) > limit:
            raise _fail("validation", _("At most %(limit)s characters.") % {"limit": limit}, "public_title")
        for name, value in wording.items():
            setattr(row, name, value)
        fields += list(wording)
    row.is_published = True
    row.published_at = ctx.now
    row.publication_scope = PublicationScope.FACTS if facts_only else PublicationScope.FULL
    _save(ctx, *fields)
    edited = [name for name in ("public_title", "public_content", "public_reply") if getattr(row, name)]
    data = {"scope": row.publication_scope, "edited": edited if not facts_only else []}
    _event(ctx, "suggestion.published", from_state=row.state, public=True, data=data)
    _publication_changed()
    return row


@transaction.atomic
def suggestion_withdraw_publication(
    *, suggestion: Suggestion, actor: User, reason: str, expected_version: int | None = None
) -> Suggestion:
    """Committee staff take a published case off the public board and Open311 (撤销公示),
    with the reason (required, kept in the log, not shown to the public). It may be published
    again later; the edited public wording is kept for that."""
    ctx = _begin("withdraw_publication", suggestion, actor, expected_version)
    row = ctx.row
    if not row.is_published:
        raise WorkflowError("not_published", _("This suggestion is not on the public board."), status=409)
    reason = _text(reason)
    if not reason:
        raise _fail("reason_required", _("Say why the publication is withdrawn."), "reason")
    scope = row.publication_scope
    row.is_published = False
    row.published_at = None
    row.publication_scope = ""
    _save(ctx, "is_published", "published_at", "publication_scope")
    _event(
        ctx, "suggestion.publication_withdrawn", from_state=row.state, note=reason, public=True, data={"scope": scope}
    )
    _publication_changed()
    return row


# ---------------------------------------------------------------------------------------------
# Corrections outside the workflow (the admin site)
# ---------------------------------------------------------------------------------------------

# What an administrator may correct by hand: the facts as recorded. Everything else (state,
# route, units, deadlines, replies, ratings, publication, the case facts) belongs to the
# workflow and is read-only in the admin.
CORRECTABLE_FIELDS: tuple[str, ...] = (
    "title",
    "content",
    "category",
    "urgency",
    "region",
    "address",
    "latitude",
    "longitude",
    "station",
    "visit",
    "representative",
    "channel",
    "submitter_name",
    "submitter_phone",
    "submitter_email",
    "submitter_address",
    "consent_to_publish",
)
# The voter's own data: the timeline shows its old and new values masked to viewers who
# may not see it in full (suggestions.selectors.personal_data_visible).
PERSONAL_FIELDS = frozenset({"submitter_name", "submitter_phone", "submitter_email", "submitter_address"})
MSG_CONSENT_PUBLISHED = _(
    "The whole case is on the public board with the voter's consent: withdraw the publication "
    "before removing the consent."
)


def _stored(value: object) -> object:
    """A value as the correction event keeps it: a related row by its name (and id), a
    decimal as text, the rest as it is."""
    if isinstance(value, models.Model):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, Decimal):
        return str(value)
    return value


def suggestion_correction_check(*, suggestion: Suggestion, changes: dict[str, Any]) -> None:
    """Refuse a correction that the database or the workflow's rules would not accept, with
    the field it concerns; nothing is read under lock and nothing is written."""
    unknown = sorted(set(changes) - set(CORRECTABLE_FIELDS))
    if unknown:
        raise _fail(
            "not_correctable",
            _("This is kept by the workflow and cannot be corrected here: %(fields)s.")
            % {"fields": ", ".join(unknown)},
            unknown[0],
        )
    merged = {name: changes.get(name, getattr(suggestion, name)) for name in CORRECTABLE_FIELDS}
    try:
        _validate_record(
            title=_text(merged["title"]),
            content=_text(merged["content"]),
            region=merged["region"],
            station=merged["station"],
            visit=merged["visit"],
            category=None,  # a retired category stays on the cases that have it
            urgency=merged["urgency"],
            channel=merged["channel"],
            submitter_name=_text(merged["submitter_name"]),
            submitter_phone=_text(merged["submitter_phone"]),
            submitter_email=_text(merged["submitter_email"]),
            submitter_address=_text(merged["submitter_address"]),
            address=_text(merged["address"]),
        )
    except WorkflowError as error:
        if "station" not in changes:
            # A station retired since the case was recorded is no reason to refuse another correction.
            error.fields.pop("station", None)
        if error.fields:
            raise
    if (
        "consent_to_publish" in changes
        and not changes["consent_to_publish"]
        and suggestion.is_published
        and suggestion.publication_scope != PublicationScope.FACTS
    ):
        raise _fail("consent_published", MSG_CONSENT_PUBLISHED, "consent_to_publish", status=409)


@transaction.atomic
def suggestion_correct(
    *,
    suggestion: Suggestion,
    actor: User,
    changes: dict[str, Any],
    reason: str,
    expected_version: int | None = None,
) -> Suggestion:
    """An administrator corrects what was recorded (the admin site's change form).

    Only `CORRECTABLE_FIELDS`, by a user with the admin's change permission, with a reason;
    the row is locked and written on its version like any action, and one event
    `suggestion.corrected` (not shown to the voter) keeps every changed field's old and new
    value. A correction that changes nothing writes nothing.
    """
    person = _person(actor)
    if person is None or not person.has_perm("suggestions.change_suggestion"):
        raise WorkflowError("not_allowed", MSG_NOT_ALLOWED, status=403)
    reason = _text(reason)
    if not reason:
        raise _fail(
            "reason_required", _("Say why the record is corrected; the reason stays on the timeline."), "reason"
        )
    try:
        row = Suggestion.objects.select_for_update(of=("self",)).select_related("region").get(pk=suggestion.pk)
    except Suggestion.DoesNotExist:
        raise WorkflowError("not_found", MSG_NOT_FOUND, status=404) from None
    now = timezone.now()
    ctx = _Ctx(
        row=row, actor=person, scope=_scope(person), parties=_ADMIN_PARTIES, now=now, today=timezone.localdate(now)
    )
    _check_version(ctx, expected_version)
    changes = {name: (_text(value) if isinstance(value, str) else value) for name, value in changes.items()}
    suggestion_correction_check(suggestion=row, changes=changes)
    changed: list[dict[str, Any]] = []
    fields: list[str] = []
    for name in CORRECTABLE_FIELDS:
        if name not in changes:
            continue
        old = getattr(row, name)
        new = changes[name]
        old_key = old.pk if isinstance(old, models.Model) else old
        new_key = new.pk if isinstance(new, models.Model) else new
        if old_key == new_key:
            continue
        changed.append({"field": name, "old": _stored(old), "new": _stored(new)})
        setattr(row, name, new)
        fields.append(name)
    if not changed:
        return row
    if "region" in fields:
        row.city_id, row.county_id = city_and_county(row.region)
        fields += ["city", "county"]
    if "submitter_phone" in fields:
        row.submitter_phone_last4 = "".join(ch for ch in row.submitter_phone if ch.isdigit())[-4:]
        fields.append("submitter_phone_last4")
    _save(ctx, *fields)
    _event(ctx, "suggestion.corrected", from_state=row.state, note=reason, data={"changes": changed})
    if row.is_published:
        _publication_changed()
    return row


# ---------------------------------------------------------------------------------------------
# What may this user do now?
# ---------------------------------------------------------------------------------------------


def allowed_actions(*, suggestion: Suggestion, user: User | AnonymousUser | None) -> list[str]:
    """The actions this user may take on this suggestion now, in display order.

    It reads, it does not lock: an action offered here can still be refused when someone
    else acts first. The voter's feedback link is not an action of a user and is not listed.
    """
    if user is None or not user.is_authenticated:
        return []
    scope = user_scope(user)
    parties = _parties(user, suggestion, scope)
    if not parties:
        return []
    today = timezone.localdate()
    result: list[str] = []
    for action in ACTIONS:
        transition = TRANSITIONS[action]
        if suggestion.state not in transition.sources or not parties & transition.parties:
            continue
        if action == "rate_as_representative" and (
            scope.representative_id is None or scope.representative_id != suggestion.representative_id
        ):
            continue  # the receiving representative in person, not an administrator for them
        if not _precondition(action, suggestion, today):
            continue
        result.append(action)
    return result


def _precondition(action: str, row: Suggestion, today: dt.date) -> bool:
    if action == "request_extension":
        return (
            (row.reply_due is None or today <= row.reply_due)
            and row.extension_days < _cap()
            and not ExtensionRequest.objects.filter(suggestion=row, status=ExtensionStatus.PENDING).exists()
        )
    if action == "decide_extension":
        return ExtensionRequest.objects.filter(suggestion=row, status=ExtensionStatus.PENDING).exists()
    if action == "supervise":
        return row.supervision_level < SupervisionLevel.KEY and (
            row.state not in SUPERVISE_FOLLOW_UP_STATES or follow_up_running(row)
        )
    if action == "report_follow_up":
        return row.reply_category == ReplyCategory.B and row.follow_up_due is not None
    if action == "feedback":
        return not row.rating
    if action == "rate_as_representative":
        return (
            row.answers > 0
            and not Feedback.objects.filter(
                suggestion=row, party=FeedbackParty.REPRESENTATIVE, reply__round=row.answers
            ).exists()
        )
    if action == "close":
        return _close_reason(row, today) is not None
    if action == "publish":
        return not row.is_published
    if action == "withdraw_publication":
        return row.is_published
    if action == "co_opinion":
        return Assignment.objects.filter(suggestion=row, role=AssignmentRole.CO, is_active=True).exists()
    return True


# ---------------------------------------------------------------------------------------------
# Calendar corrections: recalculate the deadlines still running
# ---------------------------------------------------------------------------------------------

# Which deadline runs in which state; `co_due` lives on the co-units' assignments.
RUNNING_DEADLINES: dict[str, frozenset[State]] = {
    "ack_due": frozenset({State.ASSIGNED}),
    "reply_due": frozenset({State.ASSIGNED, State.IN_PROGRESS}),
    "co_due": frozenset({State.ASSIGNED, State.IN_PROGRESS}),
    "feedback_due": frozenset({State.REPLIED}),
    "stage_due": frozenset(State(s) for s in STAGE_LIMITS),
}


def _recomputed(calendar: WorkingCalendar, basis: dict[str, Any]) -> tuple[DeadlineResult, DeadlineBasis] | None:
    if not basis or basis.get("source") == SOURCE_MANUAL:
        return None
    try:
        start = dt.date.fromisoformat(str(basis["start"]))
        days = int(basis["days"])
    except (KeyError, TypeError, ValueError):
        return None
    result = calendar.add_working_days(start, days)
    return result, result.basis(start=start, days=days)


@transaction.atomic
def deadlines_recalculate(
    *,
    actor: User | None,
    dates: Iterable[dt.date] = (),
    years: Iterable[int] = (),
    reason: str = "",
) -> int:
    """After the calendar changed on `dates` (an override added, changed or removed) or for
    whole `years` (their overrides declared complete or no longer complete), recompute every
    computed deadline still running that counts across them. Each suggestion whose deadline
    moves, or stops or starts being provisional, gets one `suggestion.deadline_recalculated`
    event and a new version. Dates set by hand are left alone. Returns how many changed.

    Only deadlines ending on or after the earliest changed day can be affected, so the
    candidates come from one range query on (state, due date); each is locked like any action.
    """
    dates, years = list(dates), list(years)
    starts = [*dates, *(dt.date(y, 1, 1) for y in years)]
    if not starts:
        return 0
    earliest = min(starts)
    calendar = WorkingCalendar()
    now = timezone.now()
    today = timezone.localdate(now)
    scope = _scope(actor)
    changed = 0
    # reply_due is never before ack_due or the co-units' date, so it stands for all three.
    rows = (
        Suggestion.objects.select_for_update(of=("self",))
        .filter(
            Q(state__in=RUNNING_DEADLINES["reply_due"], reply_due__gte=earliest)
            | Q(state=State.REPLIED, feedback_due__gte=earliest)
            | Q(state__in=RUNNING_DEADLINES["stage_due"], stage_due__gte=earliest)
        )
        .order_by("pk")
    )
    change_info = {"dates": sorted({d.isoformat() for d in dates}), "years": sorted(set(years))}
    for row in rows:
        ctx = _Ctx(row=row, actor=actor, scope=scope, parties=frozenset(), now=now, today=today, calendar=calendar)
        basis_all = dict(row.deadline_basis)
        changes: dict[str, dict[str, Any]] = {}
        fields: list[str] = []
        for name, states in RUNNING_DEADLINES.items():
            if row.state not in states:
                continue
            old_basis = basis_all.get(name)
            if not isinstance(old_basis, dict):
                continue
            recomputed = _recomputed(calendar, old_basis)
            if recomputed is None:
                continue
            result, new_basis = recomputed
            if name == "co_due":
                old_due = (
                    Assignment.objects.filter(suggestion=row, role=AssignmentRole.CO, is_active=True)
                    .values_list("due", flat=True)
                    .first()
                )
            else:
                old_due = getattr(row, name)
            if (
                old_due == result.due
                and old_basis.get("source") == new_basis["source"]
                and old_basis.get("provisional") == new_basis["provisional"]
            ):
                continue
            changes[name] = {
                "old": _iso(old_due),
                "new": result.due.isoformat(),
                "source": result.source,
                "provisional": result.provisional,
            }
            basis_all[name] = {**old_basis, **new_basis}
            if name == "co_due":
                Assignment.objects.filter(suggestion=row, role=AssignmentRole.CO, is_active=True).update(due=result.due)
            else:
                setattr(row, name, result.due)
                fields.append(name)
                if name == "reply_due":
                    Assignment.objects.filter(suggestion=row, role=AssignmentRole.LEAD, is_active=True).update(
                        due=result.due
                    )
        if not changes:
            continue
        row.deadline_basis = basis_all
        _save(ctx, "deadline_basis", *fields)
        _event(
            ctx,
            "suggestion.deadline_recalculated",
            from_state=row.state,
            note=_text(reason),
            data={"changes": changes, **change_info},
        )
        changed += 1
    return changed


@transaction.atomic
def holiday_override_set(*, actor: User | None, date: dt.date, is_working_day: bool, note: str = "") -> int:
    """Add or change the override for one day and recalculate the running deadlines it touches.

    Returns how many suggestions' deadlines moved."""
    override, created = HolidayOverride.objects.select_for_update().get_or_create(
        date=date, defaults={"is_working_day": is_working_day, "note": note, "created_by": actor}
    )
    if not created:
        if override.is_working_day == is_working_day and override.note == note:
            return 0
        override.is_working_day = is_working_day
        override.note = note
        override.save(update_fields=["is_working_day", "note", "updated_at"])
    return deadlines_recalculate(actor=actor, dates=[date], reason=_override_reason(date, is_working_day))


@transaction.atomic
def holiday_override_remove(*, actor: User | None, date: dt.date) -> int:
    """Remove the override for one day (the package or the weekday rule decides again)."""
    deleted, _unused = HolidayOverride.objects.filter(date=date).delete()
    if not deleted:
        return 0
    return deadlines_recalculate(actor=actor, dates=[date], reason=calendar_change_reason(removed=date))


@transaction.atomic
def calendar_year_set(*, actor: User | None, year: int, overrides_complete: bool, note: str = "") -> int:
    """Declare whether a year's holiday overrides are complete: deadlines reaching into it stop
    (or start again) being provisional and are recalculated."""
    if not 1900 <= year <= 2999:
        raise _fail("validation", _("Enter a year between 1900 and 2999."), "year")
    row, created = CalendarYear.objects.select_for_update().get_or_create(
        year=year, defaults={"overrides_complete": overrides_complete, "note": note, "updated_by": actor}
    )
    if not created:
        if row.overrides_complete == overrides_complete and row.note == note:
            return 0
        row.overrides_complete = overrides_complete
        row.note = note
        row.updated_by = actor
        row.save(update_fields=["overrides_complete", "note", "updated_by", "updated_at"])
    return deadlines_recalculate(actor=actor, years=[year], reason=_year_reason(year, overrides_complete))


def _override_reason(date: dt.date, is_working_day: bool) -> str:
    if is_working_day:
        return str(_("Calendar corrected: %(date)s is a working day.") % {"date": date})
    return str(_("Calendar corrected: %(date)s is a holiday.") % {"date": date})


def _year_reason(year: int, complete: bool) -> str:
    if complete:
        return str(_("The official holidays of %(year)s have been entered.") % {"year": year})
    return str(_("The holidays of %(year)s are marked incomplete again.") % {"year": year})


def calendar_change_reason(
    *,
    date: dt.date | None = None,
    is_working_day: bool | None = None,
    removed: dt.date | None = None,
    year: int | None = None,
    complete: bool | None = None,
) -> str:
    """The note recorded on recalculated suggestions, for callers such as the admin."""
    if date is not None and is_working_day is not None:
        return _override_reason(date, is_working_day)
    if removed is not None:
        return str(_("Calendar correction for %(date)s removed.") % {"date": removed})
    if year is not None and complete is not None:
        return _year_reason(year, complete)
    return str(_("Calendar correction."))
