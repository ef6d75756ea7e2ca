"""The staff queues before the hand-over show each item's age and its limit in working days (issue 14 §6)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client

from accounts.models import User
from suggestions import workflow
from tests.conftest import World
from tests.factories import CategoryFactory
from tests.notifications.helpers import at

pytestmark = pytest.mark.django_db

D = dt.date


def text(content: bytes) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content.decode())).split())


@pytest.fixture(autouse=True)
def _limits(settings: pytest.FixtureRequest) -> None:
    settings.SORT_LIMIT_DAYS = 2  # type: ignore[attr-defined]
    settings.PROPOSE_LIMIT_DAYS = 3  # type: ignore[attr-defined]
    settings.HANDOVER_LIMIT_DAYS = 3  # type: ignore[attr-defined]


def record(world: World, station_staff: User, title: str, on: dt.date) -> object:
    with at(on):
        return workflow.suggestion_record(
            actor=station_staff,
            title=title,
            content="晚上路灯不亮，老人出行不便。",
            region=world.town_a,
            station=world.station_a,
        )


def test_the_sort_and_propose_queues_show_age_and_limit(client: Client, world: World, station_staff: User) -> None:
    late = record(world, station_staff, "超期未梳理", D(2025, 9, 22))  # sort due Wednesday 24th
    record(world, station_staff, "刚登记", D(2025, 9, 26))  # due Monday 29th (Sunday 28th is worked)
    with at(D(2025, 9, 26)):
        workflow.suggestion_sort(
            suggestion=late,  # type: ignore[arg-type]
            actor=station_staff,
            category=CategoryFactory(code="roads", name="道路交通"),
            urgency="normal",
        )
    client.force_login(station_staff)
    with at(D(2025, 9, 28)):
        to_sort = client.get("/suggestions/?queue=to_sort")
        to_propose = client.get("/suggestions/?queue=to_propose")
    assert to_sort.status_code == to_propose.status_code == 200
    page = text(to_sort.content)
    assert "刚登记" in page
    assert "超期未梳理" not in page
    assert "2025-09-29" in page
    assert "已用 1 个工作日（限 2 个）" in page  # the working Sunday
    # Sorted on Friday 26th: three working days to propose, due Tuesday 30th; one used.
    page = text(to_propose.content)
    assert "超期未梳理" in page
    assert "2025-09-30" in page
    assert "已用 1 个工作日（限 3 个）" in page
    assert "badge-overdue" not in to_propose.content.decode()
    with at(D(2025, 10, 9)):
        later = client.get("/suggestions/?queue=to_propose")
    assert "已用 4 个工作日（限 3 个）" in text(later.content)  # 28th, 29th, 30th, 9 October: not the holiday
    assert "badge-overdue" in later.content.decode()


def test_the_hand_over_queue_shows_age_and_limit(
    client: Client, world: World, station_staff: User, committee_staff: User
) -> None:
    s = record(world, station_staff, "待交办", D(2025, 9, 22))
    with at(D(2025, 9, 22)):
        s = workflow.suggestion_sort(
            suggestion=s,  # type: ignore[arg-type]
            actor=station_staff,
            category=CategoryFactory(code="roads", name="道路交通"),
            urgency="normal",
        )
        workflow.suggestion_propose(suggestion=s, actor=station_staff, route="unit", unit=world.unit_a)
    client.force_login(committee_staff)
    with at(D(2025, 9, 24)):
        page = text(client.get("/suggestions/?queue=to_hand_over").content)
    assert "待交办" in page
    assert "2025-09-25" in page
    assert "已用 2 个工作日（限 3 个）" in page


def test_the_suggestion_page_explains_the_stage_limit(client: Client, world: World, station_staff: User) -> None:
    s = record(world, station_staff, "待梳理", D(2025, 9, 26))
    client.force_login(station_staff)
    with at(D(2025, 9, 30)):
        page = text(client.get(f"/suggestions/{s.tracking_code}/").content)  # type: ignore[attr-defined]
    assert "梳理期限 2025-09-29" in page
    assert "自 2025-09-26 起（不含当日）2 个" in page
