"""What Open311 clients may read: categories as services, suggestions as service requests.

Every request shows only public facts: its id (the tracking code), status, category, the
handling unit, and dates. The voter's words (description, location, the reply as status
notes) appear only once committee staff published the case and only if the voter consented
to publication (as on the public board), and then with names, phone
numbers, ID-card numbers and e-mail addresses masked (`suggestions.masking`). Nothing
about the person who raised it is ever shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from open311.models import RequestToken
from suggestions.masking import mask_text
from suggestions.models import OPEN_STATES, Category, State, Suggestion

# The specification's default window: "a span of 90 days or first 1000 requests".
MAX_SPAN = dt.timedelta(days=90)
MAX_REQUESTS = 1000


def service_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("order", "code")


def service_get(code: str) -> Category | None:
    return service_list().filter(code=code).first()


def _iso(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _end_of(day: dt.date | None) -> str | None:
    if day is None:
        return None
    moment = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone())
    return moment.isoformat(timespec="seconds")


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


def request_status(suggestion: Suggestion) -> str:
    return "open" if suggestion.state in OPEN_STATES else "closed"


def public_request(suggestion: Suggestion) -> dict[str, Any]:
    """One service request with the specification's fields, in the specification's order."""
    # As on the public board: only a published case whose voter consented to publication.
    published = suggestion.is_published and suggestion.consent_to_publish
    names = (suggestion.submitter_name,)
    description = status_notes = address = None
    lat = long = None
    if published:
        description = mask_text(f"{suggestion.title}\n{suggestion.content}", names=names)
        status_notes = mask_text(suggestion.reply_text, names=names) or None
        address = mask_text(suggestion.address, names=names) or None
        lat, long = _number(suggestion.latitude), _number(suggestion.longitude)
    elif suggestion.state == State.MERGED and suggestion.merged_into_id is not None:
        status_notes = _("Duplicate of another request.")
    category = suggestion.category
    return {
        "service_request_id": suggestion.tracking_code,
        "status": request_status(suggestion),
        "status_notes": status_notes,
        "service_name": category.name if category else None,
        "service_code": category.code if category else None,
        "description": description,
        "agency_responsible": suggestion.lead_unit.name if suggestion.lead_unit else None,
        "service_notice": None,
        "requested_datetime": _iso(suggestion.created_at),
        "updated_datetime": _iso(suggestion.updated_at),
        "expected_datetime": _end_of(suggestion.reply_due),
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": long,
        "media_url": None,
    }


@dataclass(frozen=True)
class RequestQuery:
    ids: Sequence[str] = ()
    service_code: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: Sequence[str] = ()


def _requests() -> QuerySet[Suggestion]:
    return Suggestion.objects.select_related("category", "lead_unit").only(
        "tracking_code",
        "state",
        "title",
        "content",
        "address",
        "latitude",
        "longitude",
        "reply_text",
        "submitter_name",
        "is_published",
        "consent_to_publish",
        "merged_into_id",
        "reply_due",
        "created_at",
        "updated_at",
        "category__code",
        "category__name",
        "lead_unit__name",
    )


def request_list(query: RequestQuery) -> list[dict[str, Any]]:
    """Requests newest first. Ids, when given, override every other filter (as the specification
    says); otherwise the window is at most 90 days (the last 90 without dates) and 1000 requests."""
    qs = _requests()
    if query.ids:
        qs = qs.filter(tracking_code__in=list(query.ids)[:MAX_REQUESTS])
    else:
        end = query.end or (query.start + MAX_SPAN if query.start else timezone.now())
        start = query.start or end - MAX_SPAN
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if query.service_code:
            qs = qs.filter(category__code=query.service_code)
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            open_q = Q(state__in=OPEN_STATES)
            qs = qs.filter(open_q if "open" in query.statuses else ~open_q)
    return [public_request(s) for s in qs.order_by("-created_at", "-id")[:MAX_REQUESTS]]


def request_get(service_request_id: str) -> Suggestion | None:
    return _requests().filter(tracking_code=service_request_id).first()


def token_get(token: str) -> RequestToken | None:
    return (
        RequestToken.objects.select_related("suggestion")
        .only("token", "suggestion__tracking_code")
        .filter(token=token)
        .first()
    )
