"""Writes of the voter site: an online suggestion with its photos, and the guard that turns
the same suggestion sent twice in a few seconds into one record."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Sequence

from django.core.cache import cache
from django.db import transaction

from representatives.models import Representative
from stations.models import Region, Station, VisitChannel
from suggestions.models import Attachment, Category, Suggestion
from suggestions.workflow import suggestion_record
from voters.forms import Photo
from voters.selectors import online_station_for

DUPLICATE_WINDOW_SECONDS = 30
_PENDING = "pending"
_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.1


@transaction.atomic
def online_suggestion_submit(
    *,
    title: str,
    content: str,
    region: Region,
    category: Category | None,
    address: str,
    submitter_name: str,
    submitter_phone: str,
    submitter_email: str,
    consent_to_publish: bool,
    station: Station | None,
    representative: Representative | None,
    photos: Sequence[Photo] = (),
) -> Suggestion:
    """Record a voter's online suggestion (channel "online", no acting user) with its photos,
    all or nothing. Without a station it goes to the online liaison station above its region,
    if there is one."""
    suggestion = suggestion_record(
        actor=None,
        channel=VisitChannel.ONLINE,
        title=title,
        content=content,
        region=region,
        station=station or online_station_for(region),
        category=category,
        address=address,
        submitter_name=submitter_name,
        submitter_phone=submitter_phone,
        submitter_email=submitter_email,
        consent_to_publish=consent_to_publish,
        representative=representative,
    )
    for photo in photos:
        attachment = Attachment(
            suggestion=suggestion,
            original_name=(photo.file.name or "")[:255],
            content_type=photo.content_type,
            size=photo.file.size or 0,
            uploaded_by=None,
            is_public=False,
        )
        # A random stored name: what the voter called the file never becomes a path.
        attachment.file.save(f"{uuid.uuid4().hex}.{photo.extension}", photo.file, save=False)
        attachment.save()
    return suggestion


# --- Duplicate guard ----------------------------------------------------------------


def submission_fingerprint(*, phone: str, title: str, content: str) -> str:
    """What makes two submissions "the same": the phone and the words, whitespace aside."""
    words = "\x1f".join(" ".join(part.split()) for part in (phone, title, content))
    return hashlib.sha256(words.encode()).hexdigest()


def _key(fingerprint: str) -> str:
    return f"public:submission:{fingerprint}"


def duplicate_claim(fingerprint: str) -> bool:
    """Claim the right to record this submission; False if the same one is being or was just recorded.

    `cache.add` is atomic (SET NX on Redis), so of two identical requests racing only one wins.
    """
    return bool(cache.add(_key(fingerprint), _PENDING, DUPLICATE_WINDOW_SECONDS))


def duplicate_done(fingerprint: str, tracking_code: str) -> None:
    cache.set(_key(fingerprint), tracking_code, DUPLICATE_WINDOW_SECONDS)


def duplicate_release(fingerprint: str) -> None:
    """Give up a claim when recording failed, so the voter can try again at once."""
    cache.delete(_key(fingerprint))


def duplicate_code(fingerprint: str, *, wait: bool = True) -> str | None:
    """The tracking code of the same submission recorded in the last few seconds, or None.

    If the first copy is still being recorded, wait (briefly) for its code.
    """
    deadline = time.monotonic() + (_WAIT_SECONDS if wait else 0)
    while True:
        value = cache.get(_key(fingerprint))
        if value is None:
            return None
        if value != _PENDING:
            return str(value)
        if time.monotonic() >= deadline:
            return None
        time.sleep(_POLL_SECONDS)
