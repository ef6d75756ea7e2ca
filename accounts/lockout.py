"""Login lockout (django-axes) per username and address, and per address alone.

Axes locks a username tried from one address (AXES_FAILURE_LIMIT failures). That alone let one
address try thousands of different usernames, each failure paying ~0.7 s of password hashing,
until the voter site slowed down for everyone. This handler also locks the address once its
failures, whatever the usernames, reach LOGIN_FAILURES_PER_ADDRESS. Both checks run in axes'
authentication backend, before Django's, so a locked request pays no hashing; and both count
usernames that do not exist exactly like real ones, so the answer says nothing about which exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(*, ip_address: str | None, since: dt.datetime) -> int:
    """Failed logins from one address since `since`, over every username tried."""
    if not ip_address:
        return 0
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        failures=Sum("failures_since_start")
    )["failures"]
    return int(total or 0)


def address_locked(request: HttpRequest) -> bool:
    failures = address_failures(
        ip_address=getattr(request, "axes_ip_address", None), since=get_cool_off_threshold(request)
    )
    return failures >= int(settings.LOGIN_FAILURES_PER_ADDRESS)


class LoginLockoutHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler plus the per-address lock."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return bool(super().is_locked(request, credentials)) or address_locked(request)

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # The failure that reaches the address's limit already answers with the lockout page.
        if request is not None and not getattr(request, "axes_locked_out", False) and address_locked(request):
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]


def lockout_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return int(cool_off.total_seconds() // 60) if isinstance(cool_off, dt.timedelta) else int(cool_off * 60)
