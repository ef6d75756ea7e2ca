"""The hand-over form with a city's 500 units (DESIGN §9), in a real browser: committee staff
type part of a unit's name, pick it from the suggestions the app serves, and hand over."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from accounts.models import User
from suggestions import workflow
from suggestions.models import Assignment, HandlingUnit, State, Suggestion
from tests.conftest import World
from tests.e2e.test_staff_loop import _act, _login, _submit_action
from tests.factories import CategoryFactory, SuggestionFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def _units(world: World) -> tuple[HandlingUnit, HandlingUnit]:
    HandlingUnit.objects.bulk_create(
        [HandlingUnit(code=f"gl-{i:03d}", name=f"鼓楼区第{i:03d}办事机构", region=world.district_a) for i in range(498)]
    )
    lead = HandlingUnit.objects.create(code="gl-jtj", name="鼓楼区交通运输局", region=world.district_a)
    co = HandlingUnit.objects.create(code="gl-sw", name="鼓楼区水务局", region=world.district_a)
    return lead, co


def _pick(page: Page, field: str, typed: str, name: str) -> None:
    """Type part of the name into the picker key by key, wait until the app's suggestions are
    the one unit that matches, and pick it. The suggestion list a datalist opens is drawn by
    the browser outside the page (headless Chromium draws none), so picking is putting the
    offered option's value into the field, which is what a click on it does."""
    box = page.locator(f"#action-panel input[name={field}]").last
    box.fill("")
    box.press_sequentially(typed, delay=40)
    options = page.locator(f"#action-panel datalist#{field}-options option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", name)
    box.fill(options.first.get_attribute("value") or "")
    expect(box).to_have_value(name)


def test_committee_staff_type_part_of_a_name_pick_it_and_hand_over(
    live_server: object, page: Page, world: World, admin_user: User, committee_staff: User
) -> None:
    lead, co = _units(world)
    s = SuggestionFactory(region=world.town_a, station=world.station_a, title="公交站台缺少遮雨棚")
    s = workflow.suggestion_sort(suggestion=s, actor=admin_user, category=CategoryFactory(), urgency="normal")
    s = workflow.suggestion_propose(suggestion=s, actor=admin_user, route="unit")
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    base = str(live_server)
    _login(page, base, committee_staff)
    page.goto(f"{base}/suggestions/{s.tracking_code}/")
    _act(page, "hand_over")
    panel = page.locator("#action-panel")
    # 500 units, but the form carries no list of them: a field to type in, a few suggestions.
    assert panel.locator("option").count() <= 40
    expect(panel.locator("input[type=checkbox]")).to_have_count(0)

    _pick(page, "lead_unit", "交通", lead.name)
    _pick(page, "co_units", "水务", co.name)
    _submit_action(page)

    expect(page.get_by_test_id("state")).to_have_text(str(State.ASSIGNED.label))
    s = Suggestion.objects.get(pk=s.pk)
    assert s.lead_unit == lead
    assert set(Assignment.objects.filter(suggestion=s, is_active=True).values_list("unit", "role")) == {
        (lead.pk, "lead"),
        (co.pk, "co"),
    }
    assert problems == [], problems


def test_a_second_co_unit_field_comes_with_the_button(
    live_server: object, page: Page, world: World, admin_user: User, committee_staff: User
) -> None:
    lead, co = _units(world)
    s = SuggestionFactory(region=world.town_a, station=world.station_a, title="河道漂浮垃圾")
    s = workflow.suggestion_sort(suggestion=s, actor=admin_user, category=CategoryFactory(), urgency="normal")
    s = workflow.suggestion_propose(suggestion=s, actor=admin_user, route="unit", unit=lead)
    base = str(live_server)
    _login(page, base, committee_staff)
    page.goto(f"{base}/suggestions/{s.tracking_code}/")
    _act(page, "hand_over")
    # The station's proposal is there already.
    expect(page.locator("#action-panel input[name=lead_unit]")).to_have_value(lead.name)
    fields = page.locator("#action-panel input[name=co_units]")
    before = fields.count()
    _pick(page, "co_units", "第007", "鼓楼区第007办事机构")  # into the last empty field
    page.locator("#action-panel [data-picker-add]").click()
    expect(fields).to_have_count(before + 1)
    expect(fields.last).to_be_focused()
    expect(fields.last).to_have_value("")
    _pick(page, "co_units", "水务", co.name)  # the new field fetches its own suggestions
    _submit_action(page)
    expect(page.get_by_test_id("state")).to_have_text(str(State.ASSIGNED.label))
    co_ids = set(Assignment.objects.filter(suggestion=s, role="co", is_active=True).values_list("unit", flat=True))
    assert co_ids == {co.pk, HandlingUnit.objects.get(code="gl-007").pk}
