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
    """A status lookup: counted per client address and per tracking code (as typed), hourly.

    Codes that do not exist are counted like real ones, so the limit says nothing about
    whether a code exists.
    """
    by_ip = _hit(request, group="public.lookup.ip", value=client_key(request), rate=_rate("LOOKUP_PER_IP", "h"))
    by_code = _hit(request, group="public.lookup.code", value=code, rate=_rate("LOOKUP_PER_CODE", "h"))
    return by_ip or by_code


def _rate(name: str, period: str) -> str:
    suffix = {"h": "HOUR", "d": "DAY"}[period]
    return f"{int(getattr(settings, f'PUBLIC_{name}_PER_{suffix}'))}/{period}"
