"""Representatives with activities, visits and suggestions in 2025 (the clock stands on 2025-06-20)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import User
from representatives.models import Representative

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2025, 6, 20)


def frozen_clock() -> Any:
    """The clock standing at 09:00 on `TODAY` in Shanghai (a time-machine context manager)."""
    return time_machine.travel(dt.datetime(2025, 6, 20, 9, 0, tzinfo=TZ), tick=False)


@pytest.fixture
def frozen_today() -> Iterator[None]:
    with frozen_clock():
        yield


@pytest.fixture
def rep(representative_user: User) -> Representative:
    """陈代表, assigned to station A (district A), logged in as `representative_user`."""
    return Representative.objects.get(user=representative_user)
