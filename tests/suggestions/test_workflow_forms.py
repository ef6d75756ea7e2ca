"""The workflow actions as DESIGN §3 describes them (issue 16): sort corrects the region,
propose names a lead and co-units, resolve on the spot names the representative and the
reply category, and the case file and its figures keep what was chosen."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from dashboards.measures import Figures, suggestion_aggregates
from stations.models import Region, RegionLevel
from suggestions import workflow
from suggestions.errors import WorkflowError
from suggestions.models import Reply, State, Suggestion, SuggestionEvent
from tests.factories import RegionFactory, RepresentativeFactory
from tests.suggestions.test_views import act, action_url, login, page_text
from tests.suggestions.workflow_builders import Cast, build, record, snapshot

pytestmark = pytest.mark.django_db


def staff(cast: Cast, persona: str = "station_staff") -> User:
    user = cast.users[persona]
    assert user is not None
    return user


# --- Resolve on the spot 现场办理 -------------------------------------------------------------


@pytest.mark.parametrize("category", ["A", "C", "D"])
def test_an_answer_on_the_spot_keeps_its_category_and_representative_in_the_case_file(
    cast: Cast, category: str
) -> None:
    s = record(cast)
    s = workflow.suggestion_resolve_on_spot(
        suggestion=s,
        actor=staff(cast),
        reply_text="代表当场联系物业，说明了维修安排。",
        category=category,
        representative=cast.representative,
    )
    assert (s.state, s.reply_category, s.resolved_on_spot) == (State.REPLIED, category, True)
    reply = Reply.objects.get(suggestion=s)
    assert (reply.round, reply.category, reply.resolved_on_spot, reply.representative) == (
        1,
        category,
        True,
        cast.representative,
    )
    event = SuggestionEvent.objects.get(suggestion=s, action="suggestion.resolved_on_spot")
    assert event.data["category"] == category
    assert event.data["representative_name"] == cast.representative.name
    # The figures read the case facts: answered once, 办成 only when the answer is "A".
    figures = Figures()
    figures.add_row(Suggestion.objects.filter(pk=s.pk).aggregate(**suggestion_aggregates()))
    assert (figures.answered, figures.resolved_on_spot, figures.solved) == (1, 1, 1 if category == "A" else 0)


def test_b_on_the_spot_is_refused_and_nothing_is_written(cast: Cast) -> None:
    s = record(cast)
    before = snapshot(s)
    with pytest.raises(WorkflowError) as refused:
        workflow.suggestion_resolve_on_spot(suggestion=s, actor=staff(cast), reply_text="正在协调。", category="B")
    assert refused.value.code == "validation"
    assert list(refused.value.fields) == ["category"]
    assert snapshot(s) == before


def test_a_representative_of_another_station_is_refused(cast: Cast) -> None:
    s = record(cast)
    stranger = RepresentativeFactory(name="林代表")
    stranger.stations.add(cast.world.station_b)
    before = snapshot(s)
    with pytest.raises(WorkflowError) as refused:
        workflow.suggestion_resolve_on_spot(
            suggestion=s, actor=staff(cast), reply_text="已解决。", representative=stranger
        )
    assert list(refused.value.fields) == ["representative"]
    assert snapshot(s) == before


def test_without_a_name_the_receiving_representative_resolved_it(cast: Cast) -> None:
    s = record(cast)  # received by the station's 陈代表
    workflow.suggestion_resolve_on_spot(suggestion=s, actor=staff(cast), reply_text="已解决。")
    assert Reply.objects.get(suggestion=s).representative == cast.representative


def test_the_representative_who_resolved_it_becomes_the_receiving_one_when_there_was_none(cast: Cast) -> None:
    s = record(cast)
    Suggestion.objects.filter(pk=s.pk).update(representative=None)
    other = RepresentativeFactory(name="黄代表")
    other.stations.add(cast.world.station_a)
    s = workflow.suggestion_resolve_on_spot(
        suggestion=Suggestion.objects.get(pk=s.pk), actor=staff(cast), reply_text="已解决。", representative=other
    )
    assert Suggestion.objects.get(pk=s.pk).representative == other


def test_the_page_asks_for_the_representative_and_offers_a_c_d(client: Client, cast: Cast) -> None:
    s = record(cast)
    login(client, cast, "station_staff")
    form = page_text(client.get(action_url(s, "resolve_on_spot")))
    assert cast.representative.name in form
    assert 'value="A"' in form
    assert 'value="C"' in form
    assert 'value="D"' in form
    assert 'value="B"' not in form
    before = snapshot(s)
    response = act(client, s, "resolve_on_spot", {"reply_text": "已解决。", "category": "A", "representative": ""})
    assert response.status_code == 400
    assert snapshot(s) == before
    response = act(
        client,
        s,
        "resolve_on_spot",
        {"reply_text": "说明了政策。", "category": "C", "representative": cast.representative.pk},
    )
    assert response.status_code == 302
    page = page_text(client.get(f"/suggestions/{s.tracking_code}/"))
    assert cast.representative.name in page.split('data-testid="casefile"')[1]
    assert Reply.objects.get(suggestion=s).category == "C"


# --- Propose 拟办: a lead and co-units ---------------------------------------------------------


def test_propose_keeps_the_lead_and_co_units_and_says_so_in_the_event(cast: Cast) -> None:
    s, _t = build(cast, "sorted")
    s = workflow.suggestion_propose(
        suggestion=s, actor=staff(cast), route="unit", unit=cast.world.unit_a, co_units=[cast.co_unit]
    )
    assert s.state == State.PROPOSED
    assert list(Suggestion.objects.get(pk=s.pk).proposed_co_units.all()) == [cast.co_unit]
    event = SuggestionEvent.objects.get(suggestion=s, action="suggestion.proposed")
    assert event.data["co_units"] == [cast.co_unit.pk]
    assert event.data["co_unit_names"] == [cast.co_unit.name]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"route": "unit", "unit": None, "co_units": ["CO"]}, "unit"),
        ({"route": "unit", "unit": "LEAD", "co_units": ["LEAD"]}, "co_units"),
        ({"route": "unit", "unit": "LEAD", "co_units": ["CO", "CO"]}, "co_units"),
    ],
)
def test_propose_refuses_bad_co_units_and_writes_nothing(cast: Cast, kwargs: dict[str, object], field: str) -> None:
    s, _t = build(cast, "sorted")
    units = {"LEAD": cast.world.unit_a, "CO": cast.co_unit}
    call = {
        "route": kwargs["route"],
        "unit": units.get(str(kwargs["unit"])),
        "co_units": [units[str(u)] for u in kwargs["co_units"]],  # type: ignore[attr-defined]
    }
    before = snapshot(s)
    with pytest.raises(WorkflowError) as refused:
        workflow.suggestion_propose(suggestion=s, actor=staff(cast), **call)  # type: ignore[arg-type]
    assert list(refused.value.fields) == [field]
    assert snapshot(s) == before
    assert Suggestion.objects.get(pk=s.pk).proposed_co_units.count() == 0


# --- Sort 梳理: the region ---------------------------------------------------------------------


@pytest.fixture
def village(cast: Cast) -> Region:
    return RegionFactory(code="350102001002", name="三坊社区", level=RegionLevel.VILLAGE, parent=cast.world.town_a)


def test_sort_corrects_the_region_and_the_timeline_says_from_where(client: Client, cast: Cast, village: Region) -> None:
    s = record(cast)
    login(client, cast, "station_staff")
    form = page_text(client.get(action_url(s, "sort")))
    assert 'name="region" value="鼓东街道"' in form  # where it was recorded, to keep or correct
    response = act(client, s, "sort", {"category": cast.category.pk, "urgency": "normal", "region": "三坊社区"})
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.state, s.region) == (State.SORTED, village)
    event = SuggestionEvent.objects.get(suggestion=s, action="suggestion.sorted")
    assert (event.data["old_region"], event.data["region"]) == ("350102001", "350102001002")
    assert "所在地区更正：鼓东街道 → 三坊社区" in page_text(client.get(f"/suggestions/{s.tracking_code}/"))


def test_the_region_picker_offers_the_stations_area_only(client: Client, cast: Cast, village: Region) -> None:
    s = record(cast)
    login(client, cast, "station_staff")
    found = page_text(client.get(f"{action_url(s, 'sort')}options/region/", {"region": "街道"}))
    assert "鼓东街道" in found
    assert "瀛洲街道" not in found  # another district's street
    before = snapshot(s)
    response = act(client, s, "sort", {"category": cast.category.pk, "urgency": "normal", "region": "瀛洲街道"})
    assert response.status_code == 400
    assert "请输入名称的一部分，从列表中选择" in page_text(response)
    assert snapshot(s) == before


def test_the_region_left_as_it_was_is_no_correction(client: Client, cast: Cast) -> None:
    s = record(cast)
    login(client, cast, "station_staff")
    response = act(client, s, "sort", {"category": cast.category.pk, "urgency": "normal", "region": "鼓东街道"})
    assert response.status_code == 302
    event = SuggestionEvent.objects.get(suggestion=s, action="suggestion.sorted")
    assert "region" not in event.data
