"""Rate limits of the voter site, counted in the shared cache (Redis in production).

Each check counts one attempt and says whether the limit is now exceeded. Windows are
django-ratelimit's fixed windows; the numbers come from settings.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from voters.net import client_key


def _hit(request: HttpRequest, *, group: str, value: str, rate: str) -> bool:
    # Hash the value so phone numbers and codes never sit in the cache in clear.
    digest = hashlib.sha256(f"{group}:{value}".encode()).hexdigest()
    return bool(is_ratelimited(request, group=group, key=lambda _group, _request: digest, rate=rate, increment=True))


def submit_limited(request: HttpRequest, *, phone: str) -> bool:
    """A valid online submission: counted per client address (hourly) and per phone (daily)."""
    by_ip = _hit(request, group="public.submit.ip", value=client_key(request), rate=_rate("SUBMIT_PER_IP", "h"))
    by_phone = _hit(request, group="public.submit.phone", value=phone, rate=_rate("SUBMIT_PER_PHONE", "d"))
    return by_ip or by_phone


def lookup_limited(request: HttpRequest, *, code: str) -> bool:
    """A typed status lookup: counted per client address, per tracking code from that address,
    and per tracking code over all addresses, hourly.

    The per-code count is per (code, address) pair, so someone who knows a code and tries wrong
    digits locks only themselves out, not the voter trying from their own phone. The count over
    all addresses is much higher (PUBLIC_LOOKUP_PER_CODE_ALL_PER_HOUR): it stops guessing the
    four digits from many addresses, and the printed slip's QR key gets past it (`key_limited`).
    Codes that do not exist are counted like real ones, so the limit says nothing about
    whether a code exists.
    """
    address = client_key(request)
    by_ip = _hit(request, group="public.lookup.ip", value=address, rate=_rate("LOOKUP_PER_IP", "h"))
    by_pair = _hit(request, group="public.lookup.code", value=f"{code}|{address}", rate=_rate("LOOKUP_PER_CODE", "h"))
    ceiling = int(settings.PUBLIC_LOOKUP_PER_CODE_ALL_PER_HOUR)
    by_code = bool(ceiling) and _hit(request, group="public.lookup.code_all", value=code, rate=f"{ceiling}/h")
    return by_ip or by_pair or by_code


def key_limited(request: HttpRequest, *, valid: bool) -> bool:
    """The status page from a slip's QR key. A key we signed always opens its page, whatever
    the lookups of its code or from this address, so its owner gets past someone trying their
    code; keys that are not ours are counted per client address like typed lookups."""
    if valid:
        return False
    return _hit(request, group="public.lookup.ip", value=client_key(request), rate=_rate("LOOKUP_PER_IP", "h"))


def _rate(name: str, period: str) -> str:
    suffix = {"h": "HOUR", "d": "DAY"}[period]
    return f"{int(getattr(settings, f'PUBLIC_{name}_PER_{suffix}'))}/{period}"
