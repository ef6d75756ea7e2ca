"""Reads for the public: what a voter may see of suggestions (DESIGN §5).

Nothing returned here carries a staff member's name, an internal note, or a voter's
name or phone unmasked: every piece of free text goes through `mask_text` with the
submitter's name, and people are shown as 张** / 138****5678. Views and the API take
these dataclasses as they are; they never read a Suggestion's fields for the public.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hmac
import re
import unicodedata
from copy import copy as shallow_copy
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from stations.models import Region
from suggestions.masking import mask_name, mask_reply, mask_text
from suggestions.models import (
    Category,
    FeedbackParty,
    HandlingUnit,
    PublicationScope,
    Rating,
    ReplyCategory,
    Route,
    State,
    Suggestion,
    SuggestionEvent,
)
from suggestions.selectors import case_file
from suggestions.tracking import tracking_code_normalize

# --- The voter's timeline ---------------------------------------------------------

# Workflow actions a voter sees, and what they are called on the public page. Everything
# else (sorting, proposals, returns, supervision, co-unit opinions, extension requests) is
# internal work and stays off the public timeline, and so do all notes staff wrote: only the
# reply and the unit's progress reports, both masked, are shown as text.
PUBLIC_ACTIONS = {
    "suggestion.recorded": "received",
    "suggestion.merged": "merged",
    "suggestion.handed_over": "handed_over",
    "suggestion.acknowledged": "acknowledged",
    "suggestion.extension_decided": "extended",
    "suggestion.resolved_on_spot": "replied",
    "suggestion.replied": "replied",
    "suggestion.follow_up_reported": "follow_up",
    "suggestion.feedback_received": "rated",
    "suggestion.representative_rated": "rep_rated",
    "suggestion.declined": "declined",
    "suggestion.converted": "declined",
    "suggestion.escalated": "declined",
    "suggestion.closed": "closed",
    "suggestion.published": "published",
    "suggestion.publication_withdrawn": "unpublished",
}


@dataclass(frozen=True)
class PublicEvent:
    """One step of a suggestion as the voter sees it."""

    code: str
    label: str
    at: dt.datetime
    unit: str = ""
    due: dt.date | None = None
    text: str = ""
    detail: str = ""


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _label(choices: type[models.TextChoices], value: object) -> str:
    return str(choices(value).label) if isinstance(value, str) and value in choices.values else ""


def public_timeline(suggestion: Suggestion, *, answer_texts: dict[int, str] | None = None) -> list[PublicEvent]:
    """The public steps of a suggestion, oldest first, without staff names or internal notes.

    Free text shown (the replies, progress reports) is masked with the submitter's name. Each
    reply shows its own round's text (`answer_texts`, by event id, from the case file); without
    them only the current reply has its text and an earlier one shows its date only.
    """
    public_events = SuggestionEvent.objects.filter(suggestion=suggestion, action__in=PUBLIC_ACTIONS)
    events = list(public_events.only("action", "created_at", "data", "note", "to_state").order_by("created_at", "id"))
    names = (suggestion.submitter_name,)
    replies = [e for e in events if PUBLIC_ACTIONS[e.action] == "replied"]
    last_reply = replies[-1] if replies else None
    timeline: list[PublicEvent] = []
    for event in events:
        code = PUBLIC_ACTIONS[event.action]
        data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
        at = event.created_at
        if code == "received":
            timeline.append(PublicEvent(code, _("Received"), at))
        elif code == "merged":
            timeline.append(PublicEvent(code, _("Merged with an earlier suggestion on the same issue"), at))
        elif code == "handed_over":
            unit = str(data.get("lead_unit_name") or "")
            timeline.append(PublicEvent(code, _("Handed over"), at, unit=unit, due=_as_date(data.get("reply_due"))))
        elif code == "acknowledged":
            timeline.append(PublicEvent(code, _("Accepted by the handling unit"), at))
        elif code == "extended":
            if data.get("approved") is True:
                timeline.append(PublicEvent(code, _("Reply date extended"), at, due=_as_date(data.get("reply_due"))))
        elif code == "replied":
            if answer_texts is not None:
                text = answer_texts.get(event.pk, "")
            else:
                text = suggestion.reply_text if event is last_reply else ""
            timeline.append(
                PublicEvent(
                    code,
                    _("Replied"),
                    at,
                    text=mask_text(text, names=names),
                    detail=_label(ReplyCategory, data.get("category")),
                )
            )
        elif code == "follow_up":
            label = _("Progress reported: solved") if data.get("solved") else _("Progress reported")
            timeline.append(
                PublicEvent(
                    code, label, at, text=mask_text(event.note, names=names), due=_as_date(data.get("next_due"))
                )
            )
        elif code == "rated":
            timeline.append(PublicEvent(code, _("Rated by the voter"), at, detail=_label(Rating, data.get("rating"))))
            if data.get("outcome") == "rehandling":
                timeline.append(
                    PublicEvent("rehandling", _("Being handled again"), at, due=_as_date(data.get("reply_due")))
                )
        elif code == "rep_rated":
            timeline.append(
                PublicEvent(code, _("Rated by the representative"), at, detail=_label(Rating, data.get("rating")))
            )
        elif code == "declined":
            label = _label(Route, data.get("route")) or str(_("Not accepted"))
            timeline.append(PublicEvent(code, _("Closed"), at, detail=label))
        elif code == "closed":
            timeline.append(PublicEvent(code, _("Closed"), at))
        elif code == "published":
            published = _published_event(suggestion, data)
            if published is not None:
                timeline.append(PublicEvent(code, published, at))
        elif code == "unpublished":
            timeline.append(PublicEvent(code, _("Removed from the public board"), at))
    return timeline


# --- The rounds of the case file, masked -------------------------------------------


def _party_label(party: str) -> str:
    """Who gave a rating, as the public pages call it: 选民评价 or 代表评价; no one's name."""
    return _("Representative's rating") if party == FeedbackParty.REPRESENTATIVE else _("Voter's rating")


@dataclass(frozen=True)
class PublicRating:
    party: str
    party_label: str
    rating: str
    rating_label: str
    at: dt.datetime
    text: str = ""  # masked; only on the voter's own status page


@dataclass(frozen=True)
class PublicRound:
    """One answer as the public sees it: the unit (a public body) but no staff member, the
    text masked, and the ratings given to it."""

    number: int
    unit: str
    resolved_on_spot: bool
    category_label: str
    text: str
    text_lost: bool
    at: dt.datetime
    due: dt.date | None
    on_time: bool | None
    ratings: tuple[PublicRating, ...] = ()


def public_rounds(suggestion: Suggestion, *, with_comments: bool) -> tuple[list[PublicRound], dict[int, str]]:
    """The answers of a suggestion, oldest first, masked, with their ratings; and each kept
    answer's masked text by its event id (for the timeline).

    `with_comments` adds the raters' comments, masked: the voter's own status page shows them;
    the public board shows the ratings only.
    """
    names = (suggestion.submitter_name,)
    # The case facts say when there is no answer yet, sparing the case file's queries.
    answered = "answers" in suggestion.get_deferred_fields() or suggestion.answers > 0
    dossier = case_file(
        suggestion=suggestion,
        with_actors=False,
        read_rounds=answered,
        read_co_opinions=False,
        read_extensions=False,
    )
    rounds: list[PublicRound] = []
    texts: dict[int, str] = {}
    for item in dossier.rounds:
        answer = item.reply
        text = "" if answer.text_lost else mask_text(answer.text, names=names)
        if answer.event_id is not None:
            texts[answer.event_id] = text
        ratings = tuple(
            PublicRating(
                party=str(f.party),
                party_label=_party_label(f.party),
                rating=f.rating,
                rating_label=_label(Rating, f.rating),
                at=f.given_at,
                text=mask_text(f.text, names=names) if with_comments else "",
            )
            for f in (item.voter, item.representative)
            if f is not None
        )
        rounds.append(
            PublicRound(
                number=answer.round,
                unit=answer.unit.name if answer.unit else "",
                resolved_on_spot=answer.resolved_on_spot,
                category_label=_label(ReplyCategory, answer.category),
                text=text,
                text_lost=answer.text_lost,
                at=answer.replied_at,
                due=answer.due,
                on_time=answer.on_time,
                ratings=ratings,
            )
        )
    return rounds, texts


def _published_event(suggestion: Suggestion, data: dict[str, Any]) -> str | None:
    """What the voter's timeline says of a publication, or None for one that never showed.

    Publications before scopes existed showed only with the voter's consent (the board
    filtered the others out); the voter is not told of one that did not appear.
    """
    scope = data.get("scope")
    if scope == PublicationScope.FACTS:
        return _("Published on the public board: the facts only, without your words")
    if scope == PublicationScope.FULL or suggestion.consent_to_publish:
        return _("Published on the public board")
    return None


# --- Status lookup ----------------------------------------------------------------


def _digits(text: str) -> str:
    return "".join(str(int(ch)) for ch in text if ch.isdecimal())


def lookup_key(tracking_code: str) -> str:
    """The code a lookup is counted against: however it was typed (case, spaces, dashes,
    full-width letters), the same code is the same key."""
    typed = unicodedata.normalize("NFKC", tracking_code)
    return tracking_code_normalize(typed) or re.sub(r"[^0-9A-Z]", "", typed.upper())[:32]


STATUS_COLUMNS = (
    "tracking_code",
    "answers",  # a case with no answer yet has no rounds to read
    "submitter_phone_last4",
    "submitter_name",
    "consent_to_publish",  # whether an early publication showed (the timeline's "published")
    "title",
    "state",
    "created_at",
    "reply_due",
    "reply_text",
    "rating",
    "lead_unit__name",
)


def suggestion_lookup(*, tracking_code: str, phone_last4: str) -> Suggestion | None:
    """The suggestion with this tracking code (as typed) if the phone's last four digits match, else None.

    A wrong code and a wrong phone take the same path: one indexed query and one
    constant-time comparison, so neither the answer nor its timing tells them apart.
    """
    code = tracking_code_normalize(unicodedata.normalize("NFKC", tracking_code))
    last4 = _digits(phone_last4)
    # Only what the status page shows; no ORDER BY (the code is unique).
    rows = (
        Suggestion.objects.select_related("lead_unit")
        .only(*STATUS_COLUMNS)
        .filter(tracking_code=code or "")
        .order_by()[:1]
    )
    suggestion = next(iter(rows), None)
    stored = suggestion.submitter_phone_last4 if suggestion is not None else ""
    # Compare against a dummy when there is no row, so both cases do the same work.
    match = hmac.compare_digest((stored or "----").encode(), last4.encode())
    if suggestion is None or not stored or len(last4) != 4 or not match:
        return None
    return suggestion


@dataclass(frozen=True)
class PublicStatus:
    """What the status page shows about a voter's own suggestion."""

    tracking_code: str
    title: str
    state: str
    state_label: str
    received_at: dt.datetime
    unit: str
    reply_due: dt.date | None
    reply_text: str
    rating_label: str
    timeline: list[PublicEvent] = field(default_factory=list)
    rounds: list[PublicRound] = field(default_factory=list)


def public_status(suggestion: Suggestion) -> PublicStatus:
    names = (suggestion.submitter_name,)
    show_due = suggestion.state in (State.ASSIGNED, State.IN_PROGRESS)
    rounds, answer_texts = public_rounds(suggestion, with_comments=True)
    return PublicStatus(
        tracking_code=suggestion.tracking_code,
        title=mask_text(suggestion.title, names=names),
        state=suggestion.state,
        state_label=str(State(suggestion.state).label),
        received_at=suggestion.created_at,
        unit=suggestion.lead_unit.name if suggestion.lead_unit else "",
        reply_due=suggestion.reply_due if show_due else None,
        reply_text=mask_text(suggestion.reply_text, names=names),
        rating_label=str(Rating(suggestion.rating).label) if suggestion.rating else "",
        timeline=public_timeline(suggestion, answer_texts=answer_texts),
        rounds=rounds,
    )


# --- The public board 公示栏 ------------------------------------------------------


@dataclass(frozen=True)
class BoardFilters:
    region: Region | None = None
    category: Category | None = None
    unit: HandlingUnit | None = None


@dataclass(frozen=True)
class BoardCase:
    """A published case, masked. A facts-only case has no title of the voter's, no content,
    no submitter and no reply text: `title` is then made of its category and region."""

    pk: int
    title: str
    content: str
    region: str
    category: str
    representative: str
    unit: str
    submitter: str
    received_at: dt.datetime
    closed_at: dt.datetime | None
    days_taken: int | None
    state_label: str
    reply_category: str
    reply_text: str
    rating_label: str
    published_at: dt.datetime | None
    rounds: tuple[PublicRound, ...] = ()  # on the case's own page only, not in the board's list
    facts_only: bool = False


@dataclass(frozen=True)
class BoardPage:
    cases: list[BoardCase]
    next_cursor: str | None


def _facts_title(s: Suggestion) -> str:
    """A heading for a facts-only case, which has none of the voter's words to head it."""
    if s.category is None:
        return _("A suggestion")
    return _("A suggestion about %(category)s") % {"category": s.category.name}


def _board_case(s: Suggestion) -> BoardCase:
    """The case as the board shows it: the public wording staff edited where there is one,
    else the recorded text, always masked; the reply keeps the unit's official landline."""
    names = (s.submitter_name,)
    end = s.closed_at or s.replied_at
    facts_only = s.publication_scope == PublicationScope.FACTS
    unit = s.lead_unit
    if facts_only:
        title, content, submitter, reply_text = _facts_title(s), "", "", ""
    else:
        title = mask_text(s.public_title or s.title, names=names)
        content = mask_text(s.public_content or s.content, names=names)
        submitter = mask_name(s.submitter_name)
        reply_text = mask_reply(
            s.public_reply or s.reply_text,
            submitter_name=s.submitter_name,
            submitter_phone=s.submitter_phone,
            unit_phone=unit.phone if unit else "",
        )
    return BoardCase(
        pk=s.pk,
        title=title,
        content=content,
        region=s.region.name,
        category=s.category.name if s.category else "",
        representative=s.representative.name if s.representative else "",
        unit=unit.name if unit else "",
        submitter=submitter,
        received_at=s.created_at,
        closed_at=s.closed_at,
        days_taken=max((end - s.created_at).days, 0) if end else None,
        state_label=str(State(s.state).label),
        reply_category=str(ReplyCategory(s.reply_category).label) if s.reply_category else "",
        reply_text=reply_text,
        rating_label=str(Rating(s.rating).label) if s.rating else "",
        published_at=s.published_at,
        facts_only=facts_only,
    )


def board_preview(
    suggestion: Suggestion,
    *,
    facts_only: bool,
    public_title: str = "",
    public_content: str = "",
    public_reply: str = "",
) -> BoardCase:
    """Exactly what the board would show once this suggestion is published with these choices
    (the publish form's preview): the same function the board uses, on an unsaved copy."""
    # A copy keeps the related rows already read (region, unit…); nothing is saved.
    copy = shallow_copy(suggestion)
    copy.publication_scope = PublicationScope.FACTS if facts_only else PublicationScope.FULL
    copy.published_at = copy.published_at or timezone.now()
    if not facts_only:
        copy.public_title = public_title.strip()
        copy.public_content = public_content.strip()
        copy.public_reply = public_reply.strip()
    return _board_case(copy)


def public_wording(suggestion: Suggestion) -> tuple[str, str, str]:
    """The title, content and reply as the board would show them now, masked: where staff
    start editing the public wording (so the voter's unmasked details are never copied)."""
    case = board_preview(
        suggestion,
        facts_only=False,
        public_title=suggestion.public_title,
        public_content=suggestion.public_content,
        public_reply=suggestion.public_reply,
    )
    return case.title, case.content, case.reply_text


def _published() -> QuerySet[Suggestion]:
    """Cases the committee published: whole cases only where the voter agreed to it (the form
    promised that a case without consent never shows the voter's words), facts-only cases
    whatever the voter said. The database holds the same rule as a constraint."""
    return Suggestion.objects.filter(
        Q(consent_to_publish=True) | Q(publication_scope=PublicationScope.FACTS),
        is_published=True,
        published_at__isnull=False,
    ).select_related("region", "category", "representative", "lead_unit")


def encode_cursor(published_at: dt.datetime, pk: int) -> str:
    raw = f"{published_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int] | None:
    """The position a cursor points at, or None if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        when = dt.datetime.fromisoformat(stamp)
        if timezone.is_naive(when):
            return None
        return when, int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def published_board(filters: BoardFilters, *, cursor: str | None = None, limit: int = 20) -> BoardPage:
    """One page of published cases, newest first, keyset-paginated on (published_at, id)."""
    qs = _published()
    if filters.region is not None:
        qs = qs.filter(region__path__startswith=filters.region.path)
    if filters.category is not None:
        qs = qs.filter(category=filters.category)
    if filters.unit is not None:
        qs = qs.filter(lead_unit=filters.unit)
    position = decode_cursor(cursor) if cursor else None
    if position is not None:
        when, pk = position
        qs = qs.filter(Q(published_at__lt=when) | Q(published_at=when, pk__lt=pk))
    rows = list(qs.order_by("-published_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows and rows[-1].published_at is not None:
        next_cursor = encode_cursor(rows[-1].published_at, rows[-1].pk)
    return BoardPage(cases=[_board_case(s) for s in rows], next_cursor=next_cursor)


def published_case(pk: int) -> BoardCase | None:
    s = _published().filter(pk=pk).first()
    if s is None:
        return None
    rounds, _texts = public_rounds(s, with_comments=False)
    return dataclasses.replace(_board_case(s), rounds=tuple(rounds))
