"""The hand-over and propose forms with a city's 500 units (DESIGN §9): typed pickers whose
suggestions the app serves, scoped like the form; the page no longer lists every unit."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.utils.translation import gettext as _

from suggestions import workflow
from suggestions.models import Assignment, HandlingUnit, State, Suggestion
from tests.factories import HandlingUnitFactory
from tests.suggestions.test_views import act, action_url, login, page_text
from tests.suggestions.workflow_builders import Cast, build, snapshot

pytestmark = pytest.mark.django_db

UNITS = 500


@pytest.fixture
def many_units(cast: Cast) -> list[HandlingUnit]:
    """A city's units: 500 in district A (the committee's), besides unit B in district B."""
    return HandlingUnit.objects.bulk_create(
        [
            HandlingUnit(code=f"gl-{i:03d}", name=f"鼓楼区第{i:03d}办事机构", region=cast.world.district_a)
            for i in range(UNITS)
        ]
    )


def options_of(response_text: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)"', response_text)


def test_the_hand_over_form_no_longer_lists_every_unit(
    client: Client, cast: Cast, many_units: list[HandlingUnit]
) -> None:
    s, _t = build(cast, "proposed")
    login(client, cast, "committee_staff")
    page = page_text(client.get(action_url(s, "hand_over")))
    # Typed fields with a short list of suggestions, not 500 options and 500 checkboxes.
    assert 'name="lead_unit"' in page
    assert 'type="checkbox"' not in page
    assert len(options_of(page)) <= 40
    assert sum(f"鼓楼区第{i:03d}办事机构" in page for i in range(UNITS)) <= 40
    assert 'list="lead_unit-options"' in page
    assert 'hx-get="' in page


def test_typing_part_of_a_name_offers_the_matching_units_of_the_committee_only(
    client: Client, cast: Cast, many_units: list[HandlingUnit]
) -> None:
    s, _t = build(cast, "proposed")
    HandlingUnitFactory(name="台江区第123办事机构", region=cast.world.district_b)
    login(client, cast, "committee_staff")
    url = f"{action_url(s, 'hand_over')}options/lead_unit/"
    found = options_of(page_text(client.get(url, {"lead_unit": "第12"})))
    assert "鼓楼区第123办事机构" in found
    assert "台江区第123办事机构" not in found  # outside district A: neither offered nor accepted
    assert len(found) == 10  # 120 … 129
    co = options_of(page_text(client.get(f"{action_url(s, 'hand_over')}options/co_units/", {"co_units": "第499"})))
    assert co == ["鼓楼区第499办事机构"]


def test_a_unit_typed_by_name_is_handed_over_with_its_co_units(
    client: Client, cast: Cast, many_units: list[HandlingUnit]
) -> None:
    s, _t = build(cast, "proposed")
    login(client, cast, "committee_staff")
    response = act(
        client,
        s,
        "hand_over",
        {"lead_unit": "鼓楼区第042办事机构", "co_units": ["鼓楼区第007办事机构", "gl-300", ""]},
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.state == State.ASSIGNED
    assert s.lead_unit is not None
    assert s.lead_unit.code == "gl-042"
    co = set(Assignment.objects.filter(suggestion=s, role="co", is_active=True).values_list("unit__code", flat=True))
    assert co == {"gl-007", "gl-300"}


@pytest.mark.parametrize(
    "data",
    [
        {"lead_unit": "没有这个单位"},
        {"lead_unit": "台江区住建局"},  # unit B, outside the committee's district
        {"lead_unit": "999999"},
        {"lead_unit": "鼓楼区第001办事机构", "co_units": ["台江区住建局"]},
        {"lead_unit": "鼓楼区第001办事机构", "co_units": ["鼓楼区第002办事机构", "gl-002"]},
    ],
)
def test_a_unit_that_is_not_offered_is_refused_in_chinese_and_nothing_saved(
    client: Client, cast: Cast, many_units: list[HandlingUnit], data: dict[str, object]
) -> None:
    s, _t = build(cast, "proposed")
    login(client, cast, "committee_staff")
    client.cookies["django_language"] = "zh-hans"
    before = snapshot(s)
    response = act(client, s, "hand_over", data)
    assert response.status_code == 400
    text = page_text(response)
    assert "请输入名称的一部分，从列表中选择" in text or "只能填写一次" in text
    assert snapshot(s) == before


def test_the_proposal_of_a_lead_and_co_units_prefills_the_hand_over(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "sorted")
    login(client, cast, "station_staff")
    response = act(
        client, s, "propose", {"route": "unit", "unit": cast.world.unit_a.name, "co_units": ["鼓楼区城管局"]}
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.state, s.proposed_unit) == (State.PROPOSED, cast.world.unit_a)
    assert list(s.proposed_co_units.all()) == [cast.co_unit]
    assert "鼓楼区城管局" in page_text(client.get(f"/suggestions/{s.tracking_code}/"))
    login(client, cast, "committee_staff")
    form = page_text(client.get(action_url(s, "hand_over")))
    assert re.search(r'name="lead_unit" value="鼓楼区住建局"', form)
    assert re.search(r'name="co_units" value="鼓楼区城管局"', form)


def test_a_returned_suggestion_is_not_preselected_back_to_the_unit_that_returned_it(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "assigned")  # proposed for unit A, handed to unit A with the co-unit
    s.proposed_co_units.set([cast.co_unit])
    unit = cast.users["unit_staff"]
    assert unit is not None
    workflow.suggestion_return(suggestion=s, actor=unit, reason="不属于本单位职责")
    login(client, cast, "committee_staff")
    form = page_text(client.get(action_url(s, "hand_over")))
    lead_field = re.search(r'<input type="text" name="lead_unit"[^>]*>', form)
    assert lead_field is not None
    assert "value=" not in lead_field.group(0)  # empty: committee staff choose again
    assert _("Returned by: %(units)s.") % {"units": "鼓楼区住建局"} in form
    # The co-unit that did not return it is still proposed.
    assert 'name="co_units" value="鼓楼区城管局"' in form


def test_propose_refuses_a_co_unit_without_a_lead_and_the_lead_twice(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "sorted")
    login(client, cast, "station_staff")
    before = snapshot(s)
    response = act(client, s, "propose", {"route": "unit", "unit": "鼓楼区住建局", "co_units": ["鼓楼区住建局"]})
    assert response.status_code == 400
    assert _("The lead unit cannot also be a co-handling unit.") in page_text(response)
    response = act(
        client, s, "propose", {"route": "not_accepted", "note": "不属于受理范围", "co_units": ["鼓楼区城管局"]}
    )
    assert response.status_code == 400
    assert snapshot(s) == before
    assert Suggestion.objects.get(pk=s.pk).proposed_co_units.count() == 0


def test_the_options_of_a_suggestion_out_of_scope_are_not_found(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "proposed")
    login(client, cast, "other_committee_staff")
    assert client.get(f"{action_url(s, 'hand_over')}options/lead_unit/", {"lead_unit": "住建"}).status_code == 404
    login(client, cast, "committee_staff")
    assert client.get(f"{action_url(s, 'hand_over')}options/note/").status_code == 404
    text = html.unescape(
        client.get(f"{action_url(s, 'hand_over')}options/lead_unit/", {"lead_unit": "住建"}).content.decode()
    )
    assert options_of(text) == ["鼓楼区住建局"]
