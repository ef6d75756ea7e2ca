"""Reads of suggestions, always scoped to the viewer first (DESIGN §1)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.lookups import TrigramSimilar
from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value

from accounts.models import User
from accounts.selectors import user_scope
from representatives.models import Representative
from stations.models import Region, Station
from suggestions.masking import mask_name, mask_phone, mask_text
from suggestions.models import (
    Assignment,
    Attachment,
    CoOpinion,
    ExtensionRequest,
    Feedback,
    FeedbackParty,
    FollowUpReport,
    HandlingUnit,
    Reply,
    ReplyCategory,
    State,
    Suggestion,
    SuggestionEvent,
)


def suggestion_scope_q(*, user: User | AnonymousUser) -> Q:
    """Q for the suggestions this user may see.

    Station staff: their stations'. Unit staff: handed to their unit as lead or
    co-unit. Committee staff: their region and below. Representatives: the ones
    they received. Administrators: all.
    """
    scope = user_scope(user)
    if scope.is_admin:
        return Q()
    q = Q(pk__in=[])
    if scope.station_ids:
        q |= Q(station_id__in=scope.station_ids)
    if scope.unit_ids:
        q |= Q(lead_unit_id__in=scope.unit_ids)
        q |= Q(Exists(Assignment.objects.filter(suggestion=OuterRef("pk"), unit_id__in=scope.unit_ids, is_active=True)))
    if scope.region_paths:
        q |= scope.region_q("region")
    if scope.representative_id is not None:
        q |= Q(representative_id=scope.representative_id)
    return q


def personal_data_visible(*, user: User | AnonymousUser, suggestion: Suggestion) -> bool:
    """Whether this viewer gets the voter's name, phone, e-mail and address in full in an
    export or in the timeline's corrections (README, "Personal data 个人信息").

    In full: administrators, staff of the suggestion's station (they call the voter back) and
    committee staff of its region. Masked: handling units and representatives, who work on
    the case from its page and need no list of voters' numbers. Reads no rows (the region is
    selected with the suggestion).
    """
    scope = user_scope(user)
    if scope.is_admin:
        return True
    if suggestion.station_id is not None and suggestion.station_id in scope.station_ids:
        return True
    return bool(scope.region_paths) and scope.covers_region_path(suggestion.region.path)


# The voter's data among a correction's old and new values, and how each is masked.
_PERSONAL_MASKS: dict[str, Callable[[str], str]] = {
    "submitter_name": mask_name,
    "submitter_phone": mask_phone,
    "submitter_email": lambda value: mask_text(value),
    "submitter_address": lambda value: "***" if value else "",
}


def event_data_for(*, event: SuggestionEvent, personal: bool) -> dict[str, Any]:
    """An event's data as this viewer may read it: a correction's old and new values of the
    voter's name, phone, e-mail and address are masked unless `personal` (personal_data_visible)."""
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    if personal or event.action != "suggestion.corrected":
        return data
    changes = []
    for change in data.get("changes") or []:
        mask = _PERSONAL_MASKS.get(str(change.get("field")))
        if mask is not None:
            change = {
                **change,
                "old": mask(str(change.get("old") or "")),
                "new": mask(str(change.get("new") or "")),
            }
        changes.append(change)
    return {**data, "changes": changes}


def suggestion_list(*, user: User | AnonymousUser) -> QuerySet[Suggestion]:
    return (
        Suggestion.objects.filter(suggestion_scope_q(user=user))
        .select_related("category", "region", "station", "lead_unit")
        .order_by("-id")
    )


def suggestion_get(*, user: User | AnonymousUser, tracking_code: str) -> Suggestion:
    """The suggestion if the user may see it; raises Suggestion.DoesNotExist otherwise (→ 404)."""
    # Four joins, not seven: PostgreSQL took 4.8 ms to plan the seven-table join and 0.2 ms to
    # run it (0.8 ms to plan four). The representative, the proposed unit and the suggestion it
    # was merged into are read by primary key when the page shows them.
    return (
        Suggestion.objects.filter(suggestion_scope_q(user=user))
        .select_related("category", "region", "station", "lead_unit")
        .get(tracking_code=tracking_code)
    )


def suggestion_visible(*, user: User | AnonymousUser, pk: int) -> bool:
    """Whether the user may still see the suggestion (after an action that may end access)."""
    return Suggestion.objects.filter(suggestion_scope_q(user=user), pk=pk).exists()


def handling_unit_list(*, user: User | AnonymousUser) -> QuerySet[HandlingUnit]:
    scope = user_scope(user)
    qs = HandlingUnit.objects.select_related("region")
    if scope.is_admin:
        return qs
    q = Q(pk__in=scope.unit_ids)
    if scope.region_paths:
        q |= scope.region_q("region")
    return qs.filter(q)


# --- The case file 督办档案 -------------------------------------------------------------------


@dataclass
class CaseRound:
    """One answer with what came of it: the voter's rating (选民评), the receiving
    representative's (代表评) and the progress reports after it."""

    reply: Reply
    voter: Feedback | None = None
    representative: Feedback | None = None
    follow_ups: list[FollowUpReport] = field(default_factory=list)
    # The files sent with the answer (its event's attachments), filled in by the page.
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class CaseFile:
    rounds: list[CaseRound]
    co_opinions: list[CoOpinion]
    extensions: list[ExtensionRequest]
    # Progress reports not tied to an answer (none are written so today; kept so none is hidden).
    loose_follow_ups: list[FollowUpReport]


def case_file(
    *,
    suggestion: Suggestion,
    with_actors: bool = True,
    read_rounds: bool = True,
    read_co_opinions: bool = True,
    read_extensions: bool = True,
) -> CaseFile:
    """Every round of a suggestion the caller may already see, oldest first, in at most five
    queries whatever the number of rounds (one per table; grouping is done here; progress
    reports are read only when an answer was a "B").

    `with_actors` also reads who recorded each row (staff pages); the public never needs it.
    A page that already knows a table can hold no row (no answer event, no co-unit, no
    extension event on its timeline) turns its `read_*` off and spares the query.
    """
    rounds_kept, co_kept, ext_kept = read_rounds, read_co_opinions, read_extensions
    replies = Reply.objects.filter(suggestion=suggestion).select_related("unit", "representative").order_by("round")
    feedbacks = Feedback.objects.filter(suggestion=suggestion).order_by("given_at", "id")
    follow_ups = FollowUpReport.objects.filter(suggestion=suggestion).order_by("reported_at", "id")
    co_opinions = CoOpinion.objects.filter(suggestion=suggestion).select_related("unit").order_by("given_at", "id")
    extensions = ExtensionRequest.objects.filter(suggestion=suggestion).order_by("requested_at", "id")
    if not rounds_kept:  # .none() answers without a query
        replies, feedbacks, follow_ups = replies.none(), feedbacks.none(), follow_ups.none()
    if not co_kept:
        co_opinions = co_opinions.none()
    if not ext_kept:
        extensions = extensions.none()
    if with_actors:
        replies = replies.select_related("actor")
        feedbacks = feedbacks.select_related("actor")
        follow_ups = follow_ups.select_related("actor")
        co_opinions = co_opinions.select_related("actor")
        extensions = extensions.select_related("requested_by", "decided_by")
    rounds = [CaseRound(reply=r) for r in replies]
    if not any(r.reply.category == ReplyCategory.B for r in rounds):
        # Progress reports follow a "B" answer only (the workflow refuses them otherwise).
        follow_ups = follow_ups.none()
    by_reply = {r.reply.pk: r for r in rounds}
    for rating in feedbacks:
        found = by_reply.get(rating.reply_id)
        if found is None:
            continue
        if rating.party == FeedbackParty.REPRESENTATIVE:
            found.representative = rating
        else:
            found.voter = rating
    loose: list[FollowUpReport] = []
    for report in follow_ups:
        owner = by_reply.get(report.reply_id) if report.reply_id is not None else None
        (owner.follow_ups if owner is not None else loose).append(report)
    return CaseFile(rounds=rounds, co_opinions=list(co_opinions), extensions=list(extensions), loose_follow_ups=loose)


# --- Choices offered by the action forms ---------------------------------------------------


def suggestion_region_options(*, user: User | AnonymousUser, station: Station | None) -> QuerySet[Region]:
    """The regions `user` may place a suggestion of `station` in (sorting corrects the region).

    The rule is the recording rule (README, "where station staff record"): a station's
    suggestions lie in the station's own region or below it; committee staff place one anywhere
    in their region, administrators anywhere.
    """
    scope = user_scope(user)
    if scope.is_admin:
        return Region.objects.all()
    q = Q(pk__in=[])
    for path in scope.region_paths:
        q |= Q(path__startswith=path)
    if station is not None:
        q |= Q(path__startswith=station.region.path)
    return Region.objects.filter(q)


# Candidates the merge form lists; pg_trgm's default threshold (0.3) misses short Chinese
# titles that differ by two characters, so the search asks for a little less.
MERGE_CANDIDATES = 10
MERGE_SIMILARITY = 0.2
_WORD_SPLIT = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


def title_words(title: str, *, limit: int = 6) -> list[str]:
    """Words to look for in other titles: each word of two characters or more; a run of Chinese
    characters (no spaces to split on) gives its two-character pieces."""
    words: list[str] = []
    for word in _WORD_SPLIT.split(title):
        if len(word) < 2:
            continue
        if _CJK.search(word) and len(word) > 2:
            words.extend(word[i : i + 2] for i in range(len(word) - 1))
        else:
            words.append(word)
    seen: list[str] = []
    for word in words:
        if word not in seen:
            seen.append(word)
    return seen[:limit]


def _merge_pool(*, user: User | AnonymousUser, suggestion: Suggestion) -> QuerySet[Suggestion]:
    """Earlier suggestions the user can see that this one may be merged into: same station or
    same region, same category (or none yet), not merged themselves."""
    place = Q(region_id=suggestion.region_id)
    if suggestion.station_id is not None:
        place |= Q(station_id=suggestion.station_id)
    pool = suggestion_list(user=user).filter(place, pk__lt=suggestion.pk).exclude(state=State.MERGED)
    if suggestion.category_id is not None:
        pool = pool.filter(Q(category_id=suggestion.category_id) | Q(category__isnull=True))
    return pool


def merge_candidates_by_words(*, user: User | AnonymousUser, suggestion: Suggestion) -> list[Suggestion]:
    """Without pg_trgm (SQLite): earlier suggestions of the same station whose title contains
    a word of this one's, newest first."""
    words = title_words(suggestion.title)
    if not words or suggestion.station_id is None:
        return []
    q = Q(pk__in=[])
    for word in words:
        q |= Q(title__icontains=word)
    pool = _merge_pool(user=user, suggestion=suggestion).filter(q, station_id=suggestion.station_id)
    return list(pool.order_by("-id")[:MERGE_CANDIDATES])


def merge_candidates(*, user: User | AnonymousUser, suggestion: Suggestion) -> list[Suggestion]:
    """The likely duplicates of `suggestion` the merge form offers, most similar first.

    On PostgreSQL by trigram similarity of the title (the `%` operator, served by the GIN
    trigram index of migration 0008, at a threshold of MERGE_SIMILARITY); elsewhere by words
    of the title (`merge_candidates_by_words`). Only suggestions the user can see.
    """
    if connection.vendor != "postgresql":
        return merge_candidates_by_words(user=user, suggestion=suggestion)
    pool = _merge_pool(user=user, suggestion=suggestion)
    with transaction.atomic(), connection.cursor() as cursor:
        # SET LOCAL: the threshold of `%` for this query only, not the pooled connection.
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [MERGE_SIMILARITY])
        rows: list[Suggestion] = list(
            pool.filter(TrigramSimilar(F("title"), Value(suggestion.title)))
            .annotate(similarity=TrigramSimilarity("title", suggestion.title))
            .order_by("-similarity", "-id")[:MERGE_CANDIDATES]
        )
    return rows


def units_that_returned(*, suggestion: Suggestion) -> set[int]:
    """The units that returned this suggestion (退回): a new hand-over does not start from them."""
    ids = set()
    for data in SuggestionEvent.objects.filter(suggestion=suggestion, action="suggestion.returned").values_list(
        "data", flat=True
    ):
        unit = data.get("unit") if isinstance(data, dict) else None
        if isinstance(unit, int):
            ids.add(unit)
    return ids


def on_spot_representatives(*, suggestion: Suggestion) -> QuerySet[Representative]:
    """Who can have resolved a suggestion on the spot: the active representatives assigned to
    its station (without a station: the receiving representative, if any)."""
    if suggestion.station_id is not None:
        return Representative.objects.filter(is_active=True, stations=suggestion.station_id)
    return Representative.objects.filter(is_active=True, pk=suggestion.representative_id or 0)
