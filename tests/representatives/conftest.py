"""Representatives with activities, visits and suggestions in 2025 (the clock stands on 2025-06-20)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import User
from representatives.models import Representative

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2025, 6, 20)


@pytest.fixture
def frozen_today() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2025, 6, 20, 9, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def rep(representative_user: User) -> Representative:
    """陈代表, assigned to station A (district A), logged in as `representative_user`."""
    return Representative.objects.get(user=representative_user)
