"""How a voter reaches the status page of their suggestion besides the code and phone digits.

- The printed slip carries a signed key (its QR code opens the status page): a voter recorded
  without a phone has no last four digits to type. The key is the tracking code signed with
  the site's secret under its own salt, so it cannot be made from a code alone and a key made
  for one purpose opens nothing else; it does not expire, like the paper it is printed on.
- A merged duplicate's voter follows the case theirs was merged into: their status page shows
  that case's progress and answer, masked as every status page is, without its tracking code.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from suggestions.models import State, Suggestion
from suggestions.public import STATUS_COLUMNS

STATUS_KEY_SALT = "suggestions.status-key"
# A merged case merged again later: followed this many steps at most.
MERGE_DEPTH = 5


def _signer() -> signing.Signer:
    return signing.Signer(salt=STATUS_KEY_SALT)


def status_key_make(*, tracking_code: str) -> str:
    """The signed key of a suggestion's status page, as printed on its slip."""
    return _signer().sign(tracking_code)


def status_key_read(*, key: str) -> str | None:
    """The tracking code a key was made for, or None for a key that is not one of ours."""
    try:
        return _signer().unsign(key)
    except signing.BadSignature:
        return None


def status_key_url(*, tracking_code: str) -> str:
    """The absolute address the slip's QR code leads to."""
    path = reverse("public:status_key", kwargs={"key": status_key_make(tracking_code=tracking_code)})
    return f"{settings.SITE_URL}{path}"


def suggestion_by_key(*, key: str) -> Suggestion | None:
    """The suggestion a valid key opens, with what the status page shows; None otherwise."""
    code = status_key_read(key=key)
    if not code:
        return None
    rows = (
        Suggestion.objects.select_related("lead_unit")
        .only(*STATUS_COLUMNS, "merged_into")
        .filter(tracking_code=code)
        .order_by()[:1]
    )
    return next(iter(rows), None)


def followed_case(suggestion: Suggestion) -> Suggestion | None:
    """The case a merged duplicate follows: the one it was merged into, or where that one was
    merged in turn; None when the suggestion is not merged."""
    if suggestion.state != State.MERGED:
        return None
    target_id = suggestion.merged_into_id
    target: Suggestion | None = None
    for _step in range(MERGE_DEPTH):
        if target_id is None:
            break
        target = (
            Suggestion.objects.select_related("lead_unit")
            .only(*STATUS_COLUMNS, "merged_into")
            .filter(pk=target_id)
            .order_by()
            .first()
        )
        if target is None or target.state != State.MERGED:
            break
        target_id = target.merged_into_id
    return target
