"""What Open311 clients may read: categories as services, suggestions as service requests.

Every request shows only public facts: its id (the tracking code), status, category, the
handling unit, and dates. The voter's words (description, location, the reply as status
notes) appear only while committee staff have the whole case published, which needs the
voter's consent (as on the public board; a facts-only publication shows no words, a withdrawn
one none either), in the public wording staff edited where there is one, and then with names,
phone numbers, ID-card numbers and e-mail addresses masked (`suggestions.masking`; the unit's
official landline in its reply stays). Nothing about the person who raised it is ever shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from open311.models import RequestToken
from suggestions.masking import mask_reply, mask_text
from suggestions.models import OPEN_STATES, Category, PublicationScope, State, Suggestion

# The specification's default window: "a span of 90 days or first 1000 requests".
MAX_SPAN = dt.timedelta(days=90)
MAX_REQUESTS = 1000


def service_list() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("order", "code")


def service_get(code: str) -> Category | None:
    return service_list().filter(code=code).first()


def _iso(value: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    return value.astimezone(tz).isoformat(timespec="seconds") if value else None


def _end_of(day: dt.date | None, tz: dt.tzinfo) -> str | None:
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=tz).isoformat(timespec="seconds")


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


# The columns every request shows; a published case's words are read separately (few are).
FACT_VALUES = (
    "id",
    "tracking_code",
    "state",
    "is_published",
    "consent_to_publish",
    "publication_scope",
    "merged_into_id",
    "reply_due",
    "created_at",
    "updated_at",
    "category__code",
    "category__name",
    "lead_unit__name",
)
WORD_VALUES = (
    "id",
    "title",
    "content",
    "address",
    "latitude",
    "longitude",
    "reply_text",
    "public_title",
    "public_content",
    "public_reply",
    "submitter_name",
    "submitter_phone",
    "lead_unit__phone",
)


def _shows_words(facts: Mapping[str, Any]) -> bool:
    # As on the public board: only a whole case published, whose voter consented to publication.
    return bool(
        facts["is_published"] and facts["consent_to_publish"] and facts["publication_scope"] != PublicationScope.FACTS
    )


def public_request(facts: Mapping[str, Any], words: Mapping[str, Any] | None, tz: dt.tzinfo) -> dict[str, Any]:
    """One service request with the specification's fields, in the specification's order,
    from its FACT_VALUES and, for a published case, its WORD_VALUES; times in `tz`."""
    description = status_notes = address = None
    lat = long = None
    if words is not None and _shows_words(facts):
        names = (words["submitter_name"],)
        title = words["public_title"] or words["title"]
        content = words["public_content"] or words["content"]
        description = mask_text(f"{title}\n{content}", names=names)
        status_notes = (
            mask_reply(
                words["public_reply"] or words["reply_text"],
                submitter_name=words["submitter_name"],
                submitter_phone=words["submitter_phone"],
                unit_phone=words["lead_unit__phone"] or "",
            )
            or None
        )
        address = mask_text(words["address"], names=names) or None
        lat, long = _number(words["latitude"]), _number(words["longitude"])
    elif facts["state"] == State.MERGED and facts["merged_into_id"] is not None:
        status_notes = _("Duplicate of another request.")
    return {
        "service_request_id": facts["tracking_code"],
        "status": "open" if facts["state"] in OPEN_STATES else "closed",
        "status_notes": status_notes,
        "service_name": facts["category__name"],
        "service_code": facts["category__code"],
        "description": description,
        "agency_responsible": facts["lead_unit__name"],
        "service_notice": None,
        "requested_datetime": _iso(facts["created_at"], tz),
        "updated_datetime": _iso(facts["updated_at"], tz),
        "expected_datetime": _end_of(facts["reply_due"], tz),
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": long,
        "media_url": None,
    }


def _public_requests(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    published = [row["id"] for row in rows if _shows_words(row)]
    words = {}
    if published:
        words = {w["id"]: w for w in Suggestion.objects.filter(id__in=published).values(*WORD_VALUES)}
    tz = timezone.get_current_timezone()
    return [public_request(row, words.get(row["id"]), tz) for row in rows]


@dataclass(frozen=True)
class RequestQuery:
    ids: Sequence[str] = ()
    service_code: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    statuses: Sequence[str] = ()


def request_list(query: RequestQuery) -> list[dict[str, Any]]:
    """Requests newest first. Ids, when given, override every other filter (as the specification
    says); otherwise the window is at most 90 days (the last 90 without dates) and 1000 requests."""
    qs = Suggestion.objects.all()
    if query.ids:
        qs = qs.filter(tracking_code__in=list(query.ids)[:MAX_REQUESTS])
    else:
        end = query.end or (query.start + MAX_SPAN if query.start else timezone.now())
        start = query.start or end - MAX_SPAN
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        if query.service_code:
            # The category's id first: the list then filters a column instead of joining.
            category_id = Category.objects.filter(code=query.service_code).values_list("id", flat=True).first()
            if category_id is None:
                return []
            qs = qs.filter(category_id=category_id)
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            open_q = Q(state__in=OPEN_STATES)
            qs = qs.filter(open_q if "open" in query.statuses else ~open_q)
    return _public_requests(list(qs.order_by("-created_at", "-id").values(*FACT_VALUES)[:MAX_REQUESTS]))


def request_get(service_request_id: str) -> dict[str, Any] | None:
    rows = _public_requests(list(Suggestion.objects.filter(tracking_code=service_request_id).values(*FACT_VALUES)))
    return rows[0] if rows else None


def token_get(token: str) -> RequestToken | None:
    return (
        RequestToken.objects.select_related("suggestion")
        .only("token", "suggestion__tracking_code")
        .filter(token=token)
        .first()
    )
