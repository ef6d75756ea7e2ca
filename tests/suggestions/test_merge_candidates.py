"""The merge form finds the likely duplicates (same station or region, same category, similar
title by pg_trgm), listed with code, title, date and state; a typed code still works."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext as _

from suggestions.models import State, Suggestion, SuggestionEvent
from suggestions.selectors import merge_candidates, merge_candidates_by_words, title_words
from suggestions.tracking import tracking_code_display
from tests.factories import CategoryFactory, SuggestionFactory
from tests.suggestions.test_views import act, action_url, login, page_text
from tests.suggestions.workflow_builders import Cast, record, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(cast: Cast) -> dict[str, Suggestion]:
    w = cast.world
    return {
        "likely": record(cast, title="鼓东路路灯不亮"),
        "unrelated": record(cast, title="菜市场门口垃圾清运不及时"),
        # Same region and title, but received by station B: station A's staff cannot see it.
        "out_of_scope": SuggestionFactory(region=w.town_a, station=w.station_b, title="鼓东路路灯不亮了"),
        "new": record(cast, title="鼓东路的路灯不亮"),
    }


def test_the_likely_duplicate_is_offered_and_an_out_of_scope_one_is_not(
    client: Client, cast: Cast, scene: dict[str, Suggestion]
) -> None:
    login(client, cast, "station_staff")
    form = page_text(client.get(action_url(scene["new"], "merge")))
    likely = scene["likely"]
    assert tracking_code_display(likely.tracking_code) in form
    day = timezone.localtime(likely.created_at).date().isoformat()
    assert f"{likely.title} · {day} · {State.RECEIVED.label}" in form
    assert re.search(rf'type="radio" name="candidate" value="{likely.pk}"', form)
    assert scene["unrelated"].title not in form
    assert scene["out_of_scope"].title not in form
    assert tracking_code_display(scene["out_of_scope"].tracking_code) not in form


def test_station_staff_pick_the_offered_duplicate(client: Client, cast: Cast, scene: dict[str, Suggestion]) -> None:
    login(client, cast, "station_staff")
    response = act(client, scene["new"], "merge", {"candidate": scene["likely"].pk, "note": "同一问题"})
    assert response.status_code == 302
    new = Suggestion.objects.get(pk=scene["new"].pk)
    assert (new.state, new.merged_into_id) == (State.MERGED, scene["likely"].pk)


def test_a_candidate_that_is_not_offered_is_refused_and_nothing_changes(
    client: Client, cast: Cast, scene: dict[str, Suggestion]
) -> None:
    login(client, cast, "station_staff")
    before = snapshot(scene["new"])
    for pk in (scene["out_of_scope"].pk, scene["unrelated"].pk, 0):
        response = act(client, scene["new"], "merge", {"candidate": pk})
        assert response.status_code == 400
    response = act(client, scene["new"], "merge", {})
    assert _("Pick the earlier suggestion this one duplicates, or type its code.") in page_text(response)
    assert snapshot(scene["new"]) == before
    assert not SuggestionEvent.objects.filter(action="suggestion.merged").exists()


def test_a_typed_code_is_still_accepted(client: Client, cast: Cast, scene: dict[str, Suggestion]) -> None:
    login(client, cast, "station_staff")
    unrelated = scene["unrelated"]
    response = act(client, scene["new"], "merge", {"merge_into": tracking_code_display(unrelated.tracking_code)})
    assert response.status_code == 302
    assert Suggestion.objects.get(pk=scene["new"].pk).merged_into_id == unrelated.pk


def test_picked_and_typed_must_agree(client: Client, cast: Cast, scene: dict[str, Suggestion]) -> None:
    login(client, cast, "station_staff")
    before = snapshot(scene["new"])
    response = act(
        client,
        scene["new"],
        "merge",
        {"candidate": scene["likely"].pk, "merge_into": scene["unrelated"].tracking_code},
    )
    assert response.status_code == 400
    assert _("Pick one of the listed suggestions or type a code, not both.") in page_text(response)
    assert snapshot(scene["new"]) == before


def test_candidates_keep_to_the_category_and_are_earlier_and_not_merged(cast: Cast) -> None:
    user = cast.users["station_staff"]
    assert user is not None
    roads, water = cast.category, CategoryFactory(code="water", name="供水")
    sorted_other = record(cast, title="鼓东路路灯不亮很久")
    Suggestion.objects.filter(pk=sorted_other.pk).update(category=water)
    same = record(cast, title="鼓东路路灯一直不亮")
    Suggestion.objects.filter(pk=same.pk).update(category=roads)
    new = record(cast, title="鼓东路路灯不亮")
    Suggestion.objects.filter(pk=new.pk).update(category=roads)
    later = record(cast, title="鼓东路路灯不亮")
    new.refresh_from_db()
    found = [s.pk for s in merge_candidates(user=user, suggestion=new)]
    assert same.pk in found
    assert sorted_other.pk not in found  # another category
    assert later.pk not in found  # only earlier ones can be merged into
    assert new.pk not in found


def test_the_title_has_a_trigram_index_that_the_similarity_search_can_use(cast: Cast) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'suggestions_suggestion' AND indexname = %s",
            ["sugg_title_trgm_idx"],
        )
        row = cursor.fetchone()
    assert row is not None
    assert "gin_trgm_ops" in row[0]


def test_without_pg_trgm_the_words_of_the_title_find_the_same_stations_duplicates(
    cast: Cast, scene: dict[str, Suggestion]
) -> None:
    # The SQLite fallback is plain ORM: it runs here too.
    user = cast.users["station_staff"]
    assert user is not None
    # Chinese titles have no spaces: a run of Chinese characters gives its two-character pieces.
    assert title_words("鼓东路 路灯") == ["鼓东", "东路", "路灯"]
    assert title_words("Wi-Fi 信号差") == ["Wi", "Fi", "信号", "号差"]
    found = [s.pk for s in merge_candidates_by_words(user=user, suggestion=scene["new"])]
    assert scene["likely"].pk in found
    assert scene["out_of_scope"].pk not in found
    assert scene["unrelated"].pk not in found
