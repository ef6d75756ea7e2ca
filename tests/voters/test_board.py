"""The public board 公示栏 and the league table of handling units."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dashboards.league import unit_league
from suggestions.errors import WorkflowError
from suggestions.models import Suggestion
from suggestions.public import BoardFilters, published_board
from suggestions.workflow import suggestion_feedback, suggestion_publish
from tests.voters.conftest import Site, walk

pytestmark = pytest.mark.django_db

BOARD = "/s/board/"


def case_titles(response: Any) -> list[str]:
    return re.findall(r'<h2><a href="/s/board/\d+/">([^<]+)</a></h2>', response.content.decode())


def test_only_published_cases_are_shown_masked(client: Client, site: Site) -> None:
    published, _ = walk(site, to="published", title="路灯 published", content="我是张三丰，电话13812345678")
    closed, _ = walk(site, to="closed", title="路灯 closed only")
    replied, _ = walk(site, to="replied", title="路灯 replied")
    # Without consent the workflow refuses a whole publication (issue 14): never on the board.
    no_consent, _ = walk(site, to="closed", title="路灯 without consent", consent=False)
    with pytest.raises(WorkflowError) as refused:
        suggestion_publish(suggestion=no_consent, actor=site.committee_staff)
    assert refused.value.code == "consent_missing"
    response = client.get(BOARD)
    assert case_titles(response) == ["路灯 published"]
    page = response.content.decode()
    assert "张**" in page
    assert "张三丰" not in page
    assert "13812345678" not in page
    assert "138****5678" in page
    assert site.rep.name in page  # receiving representative
    assert site.world.unit_a.name in page  # handling unit
    detail = client.get(reverse("public:board_case", args=[published.pk]))
    assert detail.status_code == 200
    for hidden in (closed, replied, no_consent):
        assert client.get(reverse("public:board_case", args=[hidden.pk])).status_code == 404


def test_board_filters_by_region_category_and_unit(client: Client, site: Site) -> None:
    walk(site, to="published", title="甲")
    world = site.world
    assert case_titles(client.get(BOARD, {"region": world.district_a.pk})) == ["甲"]
    assert case_titles(client.get(BOARD, {"region": world.town_b.pk})) == []
    assert case_titles(client.get(BOARD, {"category": site.category.pk})) == ["甲"]
    assert case_titles(client.get(BOARD, {"unit": world.unit_a.pk})) == ["甲"]
    assert case_titles(client.get(BOARD, {"unit": world.unit_b.pk})) == []
    # Nonsense filters are ignored rather than failing.
    assert client.get(BOARD, {"region": "x<script>", "unit": "999999"}).status_code == 200


def test_keyset_pagination_walks_every_case_once_with_constant_queries(
    client: Client, site: Site, django_assert_max_num_queries: Any
) -> None:
    cases = [walk(site, to="published", title=f"案例{i:02d}")[0] for i in range(23)]
    # Several published at the same instant: the id breaks the tie.
    same = timezone.now()
    Suggestion.objects.filter(pk__in=[c.pk for c in cases[5:10]]).update(published_at=same)
    seen: list[str] = []
    url: str | None = BOARD
    pages = 0
    while url:
        with django_assert_max_num_queries(6):
            response = client.get(url)
        seen += case_titles(response)
        pages += 1
        match = re.search(r'href="\?([^"]+)" rel="next"', response.content.decode())
        url = f"{BOARD}?{match.group(1).replace('&amp;', '&')}" if match else None
    assert pages == 2
    assert sorted(seen) == sorted(f"案例{i:02d}" for i in range(23))
    assert len(seen) == len(set(seen))


def test_a_tampered_cursor_shows_the_first_page(client: Client, site: Site) -> None:
    walk(site, to="published", title="甲")
    for cursor in ("not-a-cursor", "MjAyNS0wMS0wMXwx", "%%%"):
        response = client.get(BOARD, {"after": cursor})
        assert response.status_code == 200
    assert case_titles(client.get(BOARD, {"after": "not-a-cursor"})) == ["甲"]


def test_board_selector_pages_follow_publication_order(site: Site) -> None:
    walk(site, to="published", title="先")
    walk(site, to="published", title="后")
    page = published_board(BoardFilters(), limit=1)
    assert [c.title for c in page.cases] == ["后"]
    assert page.next_cursor is not None
    page2 = published_board(BoardFilters(), cursor=page.next_cursor, limit=1)
    assert [c.title for c in page2.cases] == ["先"]
    assert page2.next_cursor is None


def test_league_table_rates_units_with_aggregates_and_caches_them(
    client: Client, site: Site, django_assert_num_queries: Any
) -> None:
    walk(site, to="published")  # replied on time, satisfied
    walk(site, to="closed", rating="basic")  # replied on time, basically satisfied
    overdue, _ = walk(site, to="assigned")  # never replied
    rehandled, token = walk(site, to="replied")
    assert token is not None
    suggestion_feedback(suggestion=rehandled, actor=None, token=token, rating="dissatisfied")
    assert overdue.reply_due is not None
    later = timezone.make_aware(dt.datetime.combine(overdue.reply_due + dt.timedelta(days=3), dt.time(10)))
    with time_machine.travel(later, tick=False):
        rows = unit_league()
        with django_assert_num_queries(0):
            assert unit_league() == rows  # cached
        page = client.get(reverse("public:units")).content.decode()
    assert len(rows) == 1
    row = rows[0]
    assert row.name == site.world.unit_a.name
    assert row.handed_over == 4
    assert row.replied == 3
    # 3 answers on time; the never-replied case and the re-handled one are both overdue now.
    assert row.on_time_rate == 60.0
    assert row.satisfaction_rate == pytest.approx(66.7)  # satisfied + basic of 3 rated
    assert row.first_satisfaction_rate == pytest.approx(66.7)
    assert row.solved_rate == 100.0  # every answer was "A"
    assert row.average_working_days == 0.0
    assert site.world.unit_a.name in page
    assert "60.0%" in page
    assert site.world.unit_b.name not in page
