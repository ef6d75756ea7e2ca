"""Bring suggestions to the states the reminders care about through the workflow itself."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import time_machine

from accounts.models import User
from notifications.models import Delivery
from representatives.models import Representative
from suggestions import workflow
from suggestions.models import HandlingUnit, Suggestion
from tests.conftest import World
from tests.factories import CategoryFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@contextlib.contextmanager
def at(day: dt.date, hour: int = 9) -> Iterator[None]:
    """The clock stands at `hour` o'clock in Shanghai on `day`."""
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False):
        yield


def hand_over(
    world: World,
    *,
    station_staff: User,
    committee_staff: User,
    on: dt.date,
    reply_due: dt.date | None = None,
    title: str = "小区路灯不亮",
    unit: HandlingUnit | None = None,
    co_units: tuple[HandlingUnit, ...] = (),
    submitter_email: str = "",
    representative: Representative | None = None,
) -> Suggestion:
    """Recorded, sorted and proposed by station A's staff, handed over by district A's committee on `on`."""
    with at(on):
        s = workflow.suggestion_record(
            actor=station_staff,
            title=title,
            content="晚上路灯不亮，老人出行不便。",
            region=world.town_a,
            station=world.station_a,
            submitter_name="张三",
            submitter_phone="13812345678",
            submitter_email=submitter_email,
            representative=representative,
        )
        category = CategoryFactory(code="roads", name="道路交通")
        s = workflow.suggestion_sort(suggestion=s, actor=station_staff, category=category, urgency="normal")
        s = workflow.suggestion_propose(suggestion=s, actor=station_staff, route="unit", unit=unit or world.unit_a)
        return workflow.suggestion_hand_over(
            suggestion=s, actor=committee_staff, lead_unit=unit or world.unit_a, co_units=co_units, reply_due=reply_due
        )


def acknowledge(suggestion: Suggestion, *, unit_staff: User, on: dt.date) -> Suggestion:
    with at(on):
        return workflow.suggestion_acknowledge(suggestion=suggestion, actor=unit_staff)


def reminder_rows(ids: list[int] | None = None) -> set[tuple[str, str, str]]:
    """(key, channel, recipient) of reminder deliveries, all or those with these ids."""
    qs = Delivery.objects.filter(key__startswith="reminder:")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return set(qs.values_list("key", "channel", "recipient"))
