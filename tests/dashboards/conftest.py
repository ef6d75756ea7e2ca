"""A small dataset whose dashboard figures are computed by hand in the tests.

Overdue figures are taken on 2025-06-20 (`TODAY`; the `frozen_today` fixture stops the
clock there for tests that act through the workflow). Station A lies in 鼓东街道 (district A),
station B in 瀛洲街道 (district B); both districts belong to 福州市. Every suggestion is
received at 10:00 local time on its day unless said otherwise.

District A, 2025:
  visits V1 01-10 reception 3 voters, V2 02-15 night talk 5, V3 03-01 reception 2,
  V5 01-01 00:30 booth 1 (still 2024 in UTC); V4 2024-12-31 23:30 is outside 2025.
  S1 01-10 road, resolved on the spot 1 hour later, closed, satisfied.
  S2 02-15 road, night talk, unit A, due 03-10, replied 03-05 (on time), not rated.
  S3 02-15 environment, night talk, unit A, due 03-01, replied 03-04 (late), closed, basically satisfied.
  S4 03-01 environment, unit A, due 03-20, in progress → reply overdue.
  S5 03-01 road, merged into S4.
  S6 04-01 no category, received.
  S8 05-01 environment, unit A, assigned, acknowledgement due 05-05 passed, reply due 07-01.
  S7 2024-12-20 closed, outside 2025.
District B, 2025:
  visit V6 01-20 reception 10 voters.
  S9 01-20 road, unit B, due 02-10, replied 02-01, closed, dissatisfied after re-handling.
  S10 02-01 environment, unit B, due 03-01, in progress → reply overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from stations.models import VisitChannel, VoterVisit
from suggestions.casefile import case_facts_refresh
from suggestions.models import Category, Feedback, HandlingUnit, Rating, Reply, State, Suggestion
from tests.conftest import World
from tests.factories import CategoryFactory, SuggestionFactory, VoterVisitFactory

TZ = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2025, 6, 20)


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=TZ)


def d(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


@dataclass
class Data:
    world: World
    road: Category
    env: Category
    suggestions: dict[str, Suggestion]
    visits: dict[str, VoterVisit]


def visit(world: World, station: str, when: dt.datetime, channel: str, voters: int) -> VoterVisit:
    v = VoterVisitFactory(station=getattr(world, station), channel=channel, voters_received=voters)
    VoterVisit.objects.filter(pk=v.pk).update(occurred_at=when)
    return v


def suggestion(world: World, station: str, created: dt.datetime, **fields: Any) -> Suggestion:
    """A suggestion in whatever state the test needs, received at `created`."""
    s = SuggestionFactory(station=getattr(world, station))
    Suggestion.objects.filter(pk=s.pk).update(created_at=created, **fields)
    s.refresh_from_db()
    return s


def answered(s: Suggestion, *, rating: str = "") -> None:
    """The case file of a suggestion answered once: its answer against its deadline, and the
    voter's rating if any (the figures are computed from these rows)."""
    assert s.replied_at is not None
    local_day = s.replied_at.astimezone(TZ).date()
    reply = Reply.objects.create(
        suggestion=s,
        round=1,
        unit=s.lead_unit,
        resolved_on_spot=s.resolved_on_spot,
        category=s.reply_category,
        text="已答复。",
        due=s.reply_due,
        on_time=None if s.reply_due is None else local_day <= s.reply_due,
        replied_at=s.replied_at,
    )
    if rating:
        Feedback.objects.create(
            suggestion=s, reply=reply, party="voter", via="link", rating=rating, given_at=s.replied_at
        )


def handed(unit: HandlingUnit, assigned: dt.datetime, due: str, **fields: Any) -> dict[str, Any]:
    return {"lead_unit": unit, "assigned_at": assigned, "reply_due": d(due), **fields}


def frozen_clock() -> Any:
    """The clock standing at 09:00 on `TODAY` in Shanghai (a time-machine context manager)."""
    return time_machine.travel(dt.datetime(2025, 6, 20, 9, 0, tzinfo=TZ), tick=False)


@pytest.fixture
def frozen_today() -> Iterator[None]:
    with frozen_clock():
        yield


@pytest.fixture
def data(world: World) -> Data:
    return build_data(world)


def build_data(world: World) -> Data:
    """The dataset described at the top of this module."""
    road = CategoryFactory(code="road", name="道路交通")
    env = CategoryFactory(code="env", name="环境卫生")
    w = world
    visits = {
        "V1": visit(w, "station_a", at("2025-01-10"), VisitChannel.RECEPTION, 3),
        "V2": visit(w, "station_a", at("2025-02-15"), VisitChannel.NIGHT_TALK, 5),
        "V3": visit(w, "station_a", at("2025-03-01"), VisitChannel.RECEPTION, 2),
        "V4": visit(w, "station_a", at("2024-12-31", 23, 30), VisitChannel.RECEPTION, 4),
        "V5": visit(w, "station_a", at("2025-01-01", 0, 30), VisitChannel.BOOTH, 1),
        "V6": visit(w, "station_b", at("2025-01-20"), VisitChannel.RECEPTION, 10),
    }
    s: dict[str, Suggestion] = {}
    s["S1"] = suggestion(
        w,
        "station_a",
        at("2025-01-10"),
        category=road,
        state=State.CLOSED,
        resolved_on_spot=True,
        reply_category="A",
        replied_at=at("2025-01-10", 11),
        rating=Rating.SATISFIED,
        feedback_at=at("2025-01-11"),
        closed_at=at("2025-01-12"),
    )
    s["S2"] = suggestion(
        w,
        "station_a",
        at("2025-02-15"),
        category=road,
        channel=VisitChannel.NIGHT_TALK,
        state=State.REPLIED,
        reply_category="A",
        replied_at=at("2025-03-05"),
        **handed(w.unit_a, at("2025-02-16"), "2025-03-10"),
    )
    s["S3"] = suggestion(
        w,
        "station_a",
        at("2025-02-15"),
        category=env,
        channel=VisitChannel.NIGHT_TALK,
        state=State.CLOSED,
        reply_category="B",
        replied_at=at("2025-03-04"),
        rating=Rating.BASIC,
        closed_at=at("2025-03-08"),
        **handed(w.unit_a, at("2025-02-16"), "2025-03-01"),
    )
    s["S4"] = suggestion(
        w,
        "station_a",
        at("2025-03-01"),
        category=env,
        state=State.IN_PROGRESS,
        **handed(w.unit_a, at("2025-03-02"), "2025-03-20", ack_due=d("2025-03-04")),
    )
    s["S5"] = suggestion(w, "station_a", at("2025-03-01"), category=road, state=State.MERGED, merged_into=s["S4"])
    s["S6"] = suggestion(w, "station_a", at("2025-04-01"))
    s["S7"] = suggestion(
        w,
        "station_a",
        at("2024-12-20"),
        category=road,
        state=State.CLOSED,
        reply_category="A",
        replied_at=at("2024-12-21"),
        resolved_on_spot=True,
        closed_at=at("2024-12-25"),
        rating=Rating.DISSATISFIED,
    )
    s["S8"] = suggestion(
        w,
        "station_a",
        at("2025-05-01"),
        category=env,
        state=State.ASSIGNED,
        **handed(w.unit_a, at("2025-05-01", 15), "2025-07-01", ack_due=d("2025-05-05")),
    )
    s["S9"] = suggestion(
        w,
        "station_b",
        at("2025-01-20"),
        category=road,
        state=State.CLOSED,
        reply_category="A",
        replied_at=at("2025-02-01"),
        rating=Rating.DISSATISFIED,
        rehandle_count=1,
        closed_at=at("2025-02-20"),
        **handed(w.unit_b, at("2025-01-21"), "2025-02-10"),
    )
    s["S10"] = suggestion(
        w,
        "station_b",
        at("2025-02-01"),
        category=env,
        state=State.IN_PROGRESS,
        **handed(w.unit_b, at("2025-02-02"), "2025-03-01"),
    )
    for name, rating in (
        ("S1", "satisfied"),
        ("S2", ""),
        ("S3", "basic"),
        ("S7", "dissatisfied"),
        ("S9", "dissatisfied"),
    ):
        answered(s[name], rating=rating)
    case_facts_refresh()
    for one in s.values():
        one.refresh_from_db()
    return Data(world=w, road=road, env=env, suggestions=s, visits=visits)
