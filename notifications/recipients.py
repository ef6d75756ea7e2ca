"""Who is told about what, and on which channels.

A person gets a message on every channel they can be reached on: in-app when they have
an account, e-mail when they have an address, SMS when they have a phone number (staff told
of a reply: in-app and e-mail only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from accounts.models import Membership, Role, User
from notifications.models import Channel
from notifications.rendering import MessageKind
from suggestions.models import (
    Assignment,
    AssignmentRole,
    HandlingUnitContact,
    State,
    Suggestion,
    SuggestionEvent,
)

if TYPE_CHECKING:
    from notifications.models import Outbox


@dataclass(frozen=True)
class Target:
    """One message to one address on one channel."""

    channel: str
    recipient: str
    kind: str
    user_id: int | None = None
    language: str = ""
    # Data the message needs beyond the suggestion and the outbox payload (Delivery.context).
    context: dict[str, Any] = field(default_factory=dict, compare=False)


def language_of(user: User | None) -> str:
    """The recipient's language: their own when the account has one, else the site's."""
    return str(getattr(user, "language", "") or settings.LANGUAGE_CODE)


def normalise_phone(phone: str) -> str:
    return re.sub(r"[^\d+]", "", phone)


def _person(
    *,
    kind: str,
    user: User | None = None,
    email: str = "",
    phone: str = "",
    context: dict[str, Any] | None = None,
) -> list[Target]:
    language = language_of(user)
    user_id = user.pk if user is not None and user.is_active else None
    data = context or {}
    targets: list[Target] = []
    if user_id is not None:
        targets.append(Target(Channel.IN_APP, str(user_id), kind, user_id, language, data))
    if email.strip():
        targets.append(Target(Channel.EMAIL, email.strip().lower(), kind, user_id, language, data))
    if normalise_phone(phone):
        targets.append(Target(Channel.SMS, normalise_phone(phone), kind, user_id, language, data))
    return targets


def unit_targets(*, unit_ids: Iterable[int], kind: str) -> list[Target]:
    """Every active contact of these units."""
    ids = [i for i in dict.fromkeys(unit_ids) if i]
    if not ids:
        return []
    contacts = HandlingUnitContact.objects.filter(unit_id__in=ids, is_active=True).select_related("user").order_by("id")
    targets: list[Target] = []
    for contact in contacts:
        targets += _person(kind=kind, user=contact.user, email=contact.email, phone=contact.phone)
    return targets


def region_prefixes(path: str) -> list[str]:
    """ "350100/350102/350102001/" → the paths of the region and every region above it."""
    codes = [code for code in path.split("/") if code]
    return ["".join(f"{code}/" for code in codes[: i + 1]) for i in range(len(codes))]


def committee_targets(*, region_path: str, kind: str) -> list[Target]:
    """Committee staff of the suggestion's region and of every region above it."""
    memberships = (
        Membership.objects.filter(
            role=Role.COMMITTEE_STAFF, region__path__in=region_prefixes(region_path), user__is_active=True
        )
        .select_related("user")
        .order_by("user_id")
    )
    targets: list[Target] = []
    for user in {m.user_id: m.user for m in memberships}.values():
        targets += _person(kind=kind, user=user, email=user.email, phone=user.phone)
    return targets


def _lead_and_co_units(suggestion: Suggestion, payload: dict[str, Any]) -> list[int]:
    """The units of a hand-over: from the outbox payload when the workflow wrote them, else the active assignments."""
    lead = payload.get("lead_unit") or payload.get("lead_unit_id")
    co = payload.get("co_units") or payload.get("co_unit_ids")
    if lead:
        return [int(lead), *(int(u) for u in (co or []))]
    assignments = Assignment.objects.filter(suggestion=suggestion, is_active=True).order_by(
        # The lead first, then co-units in the order they were added.
        "-role",
        "id",
    )
    ids = [a.unit_id for a in assignments if a.role in (AssignmentRole.LEAD, AssignmentRole.CO)]
    if suggestion.lead_unit_id and suggestion.lead_unit_id not in ids:
        ids.insert(0, suggestion.lead_unit_id)
    return ids


def _lead_unit(suggestion: Suggestion) -> list[int]:
    return [suggestion.lead_unit_id] if suggestion.lead_unit_id else []


def outbox_targets(outbox: Outbox) -> list[Target]:
    """Who hears about one workflow event (DESIGN §4)."""
    suggestion = outbox.suggestion
    if suggestion is None:
        return []
    payload = outbox.payload or {}
    kind = outbox.kind
    if kind == "suggestion.recorded":
        # The tracking code on the phone or e-mail the voter left (the pages promise it).
        return voter_targets(suggestion, kind=MessageKind.RECORDED_VOTER, followers=False)
    if kind == "suggestion.handed_over":
        return unit_targets(unit_ids=_lead_and_co_units(suggestion, payload), kind=MessageKind.HANDED_OVER)
    if kind == "suggestion.returned":
        return committee_targets(region_path=suggestion.region.path, kind=MessageKind.RETURNED)
    if kind == "suggestion.extension_requested":
        return committee_targets(region_path=suggestion.region.path, kind=MessageKind.EXTENSION_REQUESTED)
    if kind == "suggestion.extension_decided":
        return unit_targets(unit_ids=_lead_unit(suggestion), kind=MessageKind.EXTENSION_DECIDED)
    if kind == "suggestion.supervised":
        return unit_targets(unit_ids=_lead_unit(suggestion), kind=MessageKind.SUPERVISED)
    if kind == "suggestion.replied":
        targets = representative_targets(suggestion, kind=MessageKind.REPLIED)
        targets += voter_targets(suggestion, kind=MessageKind.REPLIED_VOTER)
        if not payload.get("resolved_on_spot"):
            # Resolved on the spot, the station's staff recorded the answer themselves and no committee handed it over.
            targets += reply_staff_targets(suggestion)
        return targets
    if kind == "suggestion.feedback_received":
        return feedback_targets(suggestion, payload)
    if kind == "suggestion.rehandling":
        return unit_targets(unit_ids=_lead_unit(suggestion), kind=MessageKind.REHANDLING)
    if kind == "suggestion.closed":
        # Not accepted, converted, escalated (the workflow's decline) or closed 办结 by the committee.
        return voter_targets(suggestion, kind=MessageKind.CLOSED_VOTER)
    return []


def feedback_targets(suggestion: Suggestion, payload: dict[str, Any]) -> list[Target]:
    """A rating: the receiving representative hears it unless they gave it; a first
    dissatisfaction goes to the unit through the re-handling message that follows (or, after an
    answer on the spot, to the committee who hand it over), a later one to the unit and the
    committee who decide; a rating that closes the case tells the voters."""
    outcome = payload.get("outcome")
    via = payload.get("via")
    targets: list[Target] = []
    if outcome == "committee_decision":
        targets += unit_targets(unit_ids=_lead_unit(suggestion), kind=MessageKind.FEEDBACK_DISSATISFIED)
        targets += committee_targets(region_path=suggestion.region.path, kind=MessageKind.FEEDBACK_DISSATISFIED)
    elif outcome == "reproposed":
        # Dissatisfied with an answer given on the spot: no unit yet, the committee hands it over.
        targets += committee_targets(region_path=suggestion.region.path, kind=MessageKind.FEEDBACK_REPROPOSED)
    if via != "representative":
        targets += representative_targets(suggestion, kind=MessageKind.FEEDBACK_RECEIVED)
    if outcome == "closed":
        # A voter who rated through their link has just closed it themselves; one called back has not.
        targets += voter_targets(suggestion, kind=MessageKind.CLOSED_VOTER, own=via != "link")
    return targets


def representative_targets(suggestion: Suggestion, *, kind: str = MessageKind.REPLIED) -> list[Target]:
    rep = suggestion.representative
    if rep is None:
        return []
    user = rep.user
    return _person(kind=kind, user=user, email=user.email if user is not None else "", phone=rep.phone)


def reply_staff_targets(suggestion: Suggestion) -> list[Target]:
    """The committee staff member who handed it over (the latest hand-over) and the station's staff,
    in-app and by e-mail: a reply is office news, not worth an SMS."""
    users: dict[int, User] = {}
    handed = (
        SuggestionEvent.objects.filter(suggestion=suggestion, action="suggestion.handed_over", actor__isnull=False)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    if handed is not None and handed.actor is not None and handed.actor.is_active:
        users[handed.actor.pk] = handed.actor
    if suggestion.station_id:
        memberships = (
            Membership.objects.filter(role=Role.STATION_STAFF, station_id=suggestion.station_id, user__is_active=True)
            .select_related("user")
            .order_by("user_id")
        )
        for membership in memberships:
            users.setdefault(membership.user_id, membership.user)
    targets: list[Target] = []
    for user in users.values():
        targets += _person(kind=MessageKind.REPLIED_STAFF, user=user, email=user.email)
    return targets


# Merged into a case that was itself merged later: followed this many steps at most.
MERGE_DEPTH = 5


def merged_followers(suggestion: Suggestion) -> list[Suggestion]:
    """The suggestions merged into this one, directly or through one merged into it: their voters
    follow this case. One indexed query per step (merged_into is a foreign key)."""
    found: list[Suggestion] = []
    frontier = [suggestion.pk]
    for _step in range(MERGE_DEPTH):
        rows = list(
            Suggestion.objects.filter(merged_into_id__in=frontier, state=State.MERGED)
            .only("id", "tracking_code", "title", "submitter_email", "submitter_phone")
            .order_by("id")
        )
        if not rows:
            break
        found += rows
        frontier = [row.pk for row in rows]
    return found


def voter_targets(
    suggestion: Suggestion, *, kind: str = MessageKind.REPLIED_VOTER, own: bool = True, followers: bool = True
) -> list[Target]:
    """The voter, on the e-mail and phone they left; they have no account, so no in-app message.

    With `followers`, also the voters of the duplicates merged into it, each under their own
    tracking code and title (the message must not show this voter's).
    """
    targets: list[Target] = []
    if own:
        targets += _person(kind=kind, email=suggestion.submitter_email, phone=suggestion.submitter_phone)
    if followers:
        for duplicate in merged_followers(suggestion):
            context = {"merged": True, "voter_code": duplicate.tracking_code, "voter_title": duplicate.title}
            targets += _person(
                kind=kind, email=duplicate.submitter_email, phone=duplicate.submitter_phone, context=context
            )
    return targets


def dedupe(targets: Sequence[Target]) -> list[Target]:
    """One message per (channel, address), the first kind winning: a contact who is also staff hears once."""
    seen: dict[tuple[str, str], Target] = {}
    for target in targets:
        seen.setdefault((target.channel, target.recipient), target)
    return list(seen.values())
