"""Writes for Open311: API keys, and a posted service request recorded as an online suggestion."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from open311.models import ApiKey, RequestToken
from stations.models import Region, VisitChannel
from suggestions.models import Category, Suggestion
from suggestions.workflow import suggestion_record

TITLE_LENGTH = 40


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_key_create(*, name: str, region: Region) -> tuple[ApiKey, str]:
    """A new key for a client; returns the row and the raw key, which is not stored."""
    raw = secrets.token_urlsafe(24)
    key = ApiKey.objects.create(name=name, region=region, key_prefix=raw[:8], key_hash=_hash(raw))
    return key, raw


def api_key_assign(*, key: ApiKey) -> str:
    """Give an unsaved key (made in the admin) its secret; returns the raw key to show once."""
    raw = secrets.token_urlsafe(24)
    key.key_prefix, key.key_hash = raw[:8], _hash(raw)
    return raw


def api_key_check(raw: str) -> ApiKey | None:
    """The active key for a raw key, noting its use; None for a missing, unknown or revoked key."""
    if not raw:
        return None
    key = ApiKey.objects.select_related("region").filter(key_hash=_hash(raw), is_active=True).first()
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


@dataclass(frozen=True)
class PostedRequest:
    """A service request as posted, already checked by the view."""

    service: Category
    region: Region
    description: str
    title: str = ""
    address: str = ""
    lat: Decimal | None = None
    long: Decimal | None = None
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    consent_to_publish: bool = False


def _title(description: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    return first_line[:TITLE_LENGTH]


@transaction.atomic
def service_request_create(*, api_key: ApiKey, posted: PostedRequest) -> tuple[Suggestion, RequestToken]:
    """Record the request as a voter's online suggestion (the workflow's `suggestion_record`
    with no staff actor), keep its coordinates, and issue the request's token."""
    suggestion = suggestion_record(
        actor=None,
        title=posted.title or _title(posted.description),
        content=posted.description,
        region=posted.region,
        category=posted.service,
        address=posted.address,
        submitter_name=f"{posted.last_name}{posted.first_name}".strip(),
        submitter_phone=posted.phone,
        submitter_email=posted.email,
        consent_to_publish=posted.consent_to_publish,
        channel=VisitChannel.ONLINE,
    )
    if posted.lat is not None and posted.long is not None:
        # Where the problem is, as the client's map gave it: part of what the voter submitted.
        Suggestion.objects.filter(pk=suggestion.pk).update(latitude=posted.lat, longitude=posted.long)
        suggestion.latitude, suggestion.longitude = posted.lat, posted.long
    token = RequestToken.objects.create(token=secrets.token_urlsafe(16), suggestion=suggestion, api_key=api_key)
    return suggestion, token
