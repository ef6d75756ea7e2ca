"""The text of a notification: subject, body and SMS, rendered in the recipient's language.

Each message kind has two templates, `notifications/email/<kind>_subject.txt` and
`notifications/email/<kind>_body.txt`; the SMS text is `notifications/sms/<kind>.txt`
when it exists, else the subject and the link. In-app notifications use the subject as
title and the body as text. Staff links point back to the suggestion's staff page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string, select_template
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from suggestions.tracking import tracking_code_display

if TYPE_CHECKING:
    from notifications.models import Delivery
    from suggestions.models import Suggestion


class MessageKind:
    """Template names of the messages the portal sends."""

    HANDED_OVER = "handed_over"
    RETURNED = "returned"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_DECIDED = "extension_decided"
    SUPERVISED = "supervised"
    REPLIED = "replied"  # to the receiving representative
    REPLIED_VOTER = "replied_voter"
    REPLIED_STAFF = "replied_staff"  # to the committee staff who handed it over and the station's staff
    RECORDED_VOTER = "recorded_voter"
    CLOSED_VOTER = "closed_voter"  # not accepted, converted, escalated or closed 办结
    FEEDBACK_RECEIVED = "feedback_received"  # to the receiving representative
    FEEDBACK_DISSATISFIED = "feedback_dissatisfied"  # still dissatisfied after re-handling
    FEEDBACK_REPROPOSED = "feedback_reproposed"  # dissatisfied with an on-the-spot answer
    REHANDLING = "rehandling"
    REMINDER = "reminder"  # to a unit's contacts
    STAFF_REMINDER = "staff_reminder"  # to station or committee staff: their own stage or decision
    ESCALATION = "escalation"
    DIGEST = "digest"
    EXPORT_READY = "export_ready"  # to the user who asked for a long export: the file is ready

    ALL = (
        HANDED_OVER,
        RETURNED,
        EXTENSION_REQUESTED,
        EXTENSION_DECIDED,
        SUPERVISED,
        REPLIED,
        REPLIED_VOTER,
        REPLIED_STAFF,
        RECORDED_VOTER,
        CLOSED_VOTER,
        FEEDBACK_RECEIVED,
        FEEDBACK_DISSATISFIED,
        FEEDBACK_REPROPOSED,
        REHANDLING,
        REMINDER,
        STAFF_REMINDER,
        ESCALATION,
        DIGEST,
        EXPORT_READY,
    )


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    sms: str
    path: str  # for in-app links, relative to the site
    url: str  # absolute, for e-mail and SMS


def suggestion_path(tracking_code: str) -> str:
    """The staff page of a suggestion; a plain path while the staff UI's URL is not installed."""
    try:
        return reverse("suggestions:detail", kwargs={"code": tracking_code})
    except NoReverseMatch:
        return f"/suggestions/{tracking_code}/"


def notifications_path() -> str:
    try:
        return reverse("notifications:list")
    except NoReverseMatch:
        return "/notifications/"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def voter_status_url() -> str:
    return absolute("/s/status/")


def voter_feedback_url(token: str) -> str:
    return absolute(f"/s/rate/{token}/")


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _category_label(code: Any) -> str:
    from suggestions.models import ReplyCategory

    return str(ReplyCategory(code).label) if code in ReplyCategory.values else ""


def message_context(delivery: Delivery) -> dict[str, Any]:
    """What a template may use. Never the voter's name or phone: unit and committee messages go to staff."""
    suggestion: Suggestion | None = delivery.suggestion
    payload: dict[str, Any] = delivery.outbox.payload if delivery.outbox is not None else {}
    context: dict[str, Any] = {
        "kind": delivery.kind,
        "data": delivery.context,
        "payload": payload,
        "suggestion": suggestion,
        "site_url": settings.SITE_URL,
        "deadline": _as_date(delivery.context.get("deadline")),
        "deadline_kind": delivery.context.get("deadline_kind", ""),
        "level": delivery.context.get("level", ""),
        "channel": delivery.channel,
        "category": _category_label(payload.get("category")),
    }
    if suggestion is not None:
        path = suggestion_path(suggestion.tracking_code)
        context.update(
            code=tracking_code_display(suggestion.tracking_code),
            title=suggestion.title,
            unit=suggestion.lead_unit.name if suggestion.lead_unit_id and suggestion.lead_unit else "",
            reply_due=suggestion.reply_due,
            ack_due=suggestion.ack_due,
            path=path,
            url=absolute(path),
        )
    else:
        # A message about something else than a suggestion may carry its own page (an export job's).
        path = str(delivery.context.get("path") or "") or notifications_path()
        context.update(path=path, url=absolute(path))
    if delivery.kind in VOTER_KINDS:
        context.update(_voter_context(delivery, suggestion, payload))
    if delivery.kind == MessageKind.FEEDBACK_RECEIVED:
        context["rating"] = _rating_label(payload.get("rating"))
    if delivery.kind == MessageKind.EXPORT_READY:
        context["export_label"] = _export_label(delivery.context.get("export"))
    return context


def _export_label(code: Any) -> Any:
    from suggestions.models import ExportKind

    # Lazy: rendered in the recipient's language.
    return ExportKind(code).label if code in ExportKind.values else ""


# Messages to voters: they have no account, so the link is the status page, never a staff page.
VOTER_KINDS = frozenset({MessageKind.RECORDED_VOTER, MessageKind.REPLIED_VOTER, MessageKind.CLOSED_VOTER})


def _rating_label(code: Any) -> str:
    from suggestions.models import Rating

    return str(Rating(code).label) if code in Rating.values else ""


def _voter_context(delivery: Delivery, suggestion: Suggestion | None, payload: dict[str, Any]) -> dict[str, Any]:
    """What a voter's message adds: the status link, the rating link, the reason of a closure.

    A merged duplicate's voter (`merged` in the delivery's data) hears about the case theirs
    was merged into under their own tracking code and title, the only code that opens their
    status page, and never with the rating link: that link is the other voter's.
    """
    from suggestions.masking import mask_text

    data = delivery.context or {}
    merged = bool(data.get("merged"))
    token = "" if merged else str(payload.get("feedback_token") or "")
    extra: dict[str, Any] = {
        "path": "",
        "url": voter_status_url(),
        "status_url": voter_status_url(),
        "feedback_url": voter_feedback_url(token) if token and delivery.kind == MessageKind.REPLIED_VOTER else "",
        "merged": merged,
        "action": str(payload.get("action") or ""),
        "reference": str(payload.get("reference") or ""),
        "reason": "",
    }
    if merged:
        extra.update(
            code=tracking_code_display(str(data.get("voter_code") or "")), title=str(data.get("voter_title") or "")
        )
    if suggestion is not None and delivery.kind == MessageKind.CLOSED_VOTER:
        # Masked as on the status page: the note may name the other voter of a merged case.
        extra["reason"] = mask_text(suggestion.close_note, names=(suggestion.submitter_name,))
    return extra


def render_message(delivery: Delivery, *, extra: dict[str, Any] | None = None) -> RenderedMessage:
    """Render the delivery's message in its recipient's language."""
    context = message_context(delivery)
    if extra:
        context.update(extra)
    with translation.override(delivery.language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"notifications/email/{delivery.kind}_subject.txt", context).split())
        body = render_to_string(f"notifications/email/{delivery.kind}_body.txt", context).strip() + "\n"
        context["subject"] = subject
        sms_template = select_template([f"notifications/sms/{delivery.kind}.txt", "notifications/sms/default.txt"])
        sms = " ".join(sms_template.render(context).split())
    return RenderedMessage(subject=subject, body=body, sms=sms, path=context["path"], url=context["url"])
