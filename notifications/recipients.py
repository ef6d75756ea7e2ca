"""Who is told about what, and on which channels.

A person gets a message on every channel they can be reached on: in-app when they have
an account, e-mail when they have an address, SMS when they have a phone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from accounts.models import Membership, Role, User
from notifications.models import Channel
from notifications.rendering import MessageKind
from suggestions.models import Assignment, AssignmentRole, HandlingUnitContact, Rating

if TYPE_CHECKING:
    from notifications.models import Outbox
    from suggestions.models import Suggestion


@dataclass(frozen=True)
class Target:
    """One message to one address on one channel."""

    channel: str
    recipient: str
    kind: str
    user_id: int | None = None
    language: str = ""


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
) -> list[Target]:
    language = language_of(user)
    user_id = user.pk if user is not None and user.is_active else None
    targets: list[Target] = []
    if user_id is not None:
        targets.append(Target(Channel.IN_APP, str(user_id), kind, user_id, language))
    if email.strip():
        targets.append(Target(Channel.EMAIL, email.strip().lower(), kind, user_id, language))
    if normalise_phone(phone):
        targets.append(Target(Channel.SMS, normalise_phone(phone), kind, user_id, language))
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
        return representative_targets(suggestion) + voter_targets(suggestion)
    if kind == "suggestion.feedback_received" and payload.get("rating") == Rating.DISSATISFIED:
        if payload.get("outcome") == "rehandling":
            return []  # the suggestion.rehandling row that follows tells the unit, with the new deadline
        # Dissatisfied again after re-handling: the unit hears it, and the committee staff who decide.
        return unit_targets(
            unit_ids=_lead_unit(suggestion), kind=MessageKind.FEEDBACK_DISSATISFIED
        ) + committee_targets(region_path=suggestion.region.path, kind=MessageKind.FEEDBACK_DISSATISFIED)
    if kind == "suggestion.rehandling":
        return unit_targets(unit_ids=_lead_unit(suggestion), kind=MessageKind.REHANDLING)
    return []


def representative_targets(suggestion: Suggestion) -> list[Target]:
    rep = suggestion.representative
    if rep is None:
        return []
    user = rep.user
    return _person(kind=MessageKind.REPLIED, user=user, email=user.email if user is not None else "", phone=rep.phone)


def voter_targets(suggestion: Suggestion) -> list[Target]:
    """The voter, on the e-mail and phone they left; they have no account, so no in-app message."""
    return _person(kind=MessageKind.REPLIED_VOTER, email=suggestion.submitter_email, phone=suggestion.submitter_phone)


def dedupe(targets: Sequence[Target]) -> list[Target]:
    """One message per (channel, address), the first kind winning: a contact who is also staff hears once."""
    seen: dict[tuple[str, str], Target] = {}
    for target in targets:
        seen.setdefault((target.channel, target.recipient), target)
    return list(seen.values())
