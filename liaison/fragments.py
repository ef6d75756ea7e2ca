"""Rendered HTML fragments kept in the shared cache under a version token.

A fragment whose inputs are reference data (categories, units, stations, memberships) is
rendered once per viewer and reused until a change to that data bumps the token: the filter
form of the staff lists cost a deep page more than its fifty rows did (Django renders every
<option> through its own templates).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.utils.safestring import SafeString

logger = logging.getLogger(__name__)

TIMEOUT = 600  # seconds; a missed bump (a raw SQL change) heals by itself within ten minutes
# Each process keeps its own fragments: after a deploy the new code never reads a fragment
# rendered by the old one (a changed template or form would otherwise show for ten minutes).
PROCESS = uuid.uuid4().hex[:12]


def _token_key(name: str) -> str:
    return f"fragment-version:{name}"


def version(name: str) -> str:
    token = cache.get(_token_key(name))
    if token is None:
        token = uuid.uuid4().hex
        # add() so two processes starting together agree on one token.
        if not cache.add(_token_key(name), token, None):
            token = cache.get(_token_key(name)) or token
    return str(token)


def bump(name: str) -> None:
    """Invalidate every fragment of this name (they are re-rendered on next use).

    If the cache cannot be reached the token cannot be changed either: the fragments expire
    within TIMEOUT, and a cache that comes back empty (Redis keeps nothing on disk) has none.
    """
    try:
        cache.set(_token_key(name), uuid.uuid4().hex, None)
    except Exception:  # a change to reference data must never fail for this
        logger.warning("fragment cache unavailable; %s not invalidated", name)


def cached(name: str, parts: Iterable[object], render: Callable[[], str]) -> SafeString:
    """The fragment for these parts (viewer, language, parameters), rendered if not cached.

    Without the cache (Redis down) the fragment is rendered every time: the page still works.
    """
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    try:
        key = f"fragment:{name}:{PROCESS}:{version(name)}:{digest}"
        html = cache.get(key)
    except Exception:  # any cache failure: render without it
        logger.warning("fragment cache unavailable; rendering %s", name)
        return SafeString(render())
    if html is None:
        html = str(render())
        with contextlib.suppress(Exception):
            cache.set(key, html, TIMEOUT)
    return SafeString(html)
