"""No dead ends after an action, in a real browser: a unit that returns a suggestion lands in
its queue with the message, and Back after an action shows the current state."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from suggestions import workflow
from suggestions.models import State, Suggestion
from tests.conftest import World
from tests.e2e.test_staff_loop import _act, _login, _submit_action
from tests.factories import CategoryFactory, SuggestionFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


def _proposed(world: World, admin: User) -> Suggestion:
    s = SuggestionFactory(region=world.town_a, station=world.station_a, title="路口信号灯时间太短")
    s = workflow.suggestion_sort(suggestion=s, actor=admin, category=CategoryFactory(), urgency="normal")
    return workflow.suggestion_propose(suggestion=s, actor=admin, route="unit", unit=world.unit_a)


def test_a_unit_that_returns_a_suggestion_lands_in_its_queue(
    live_server: object, page: Page, world: World, admin_user: User, unit_staff: User
) -> None:
    s = workflow.suggestion_hand_over(suggestion=_proposed(world, admin_user), actor=admin_user, lead_unit=world.unit_a)
    base = str(live_server)
    _login(page, base, unit_staff)
    page.goto(f"{base}/suggestions/{s.tracking_code}/")
    _act(page, "return")
    page.fill("#action-panel textarea[name=reason]", "不属于本单位职责，建议交城管局。")
    _submit_action(page)
    # Not the suggestion it no longer sees (a 404), but its queue, with what happened.
    expect(page.locator(".messages")).to_contain_text("已退回，等待重新交办。")
    assert "/suggestions/" in page.url
    assert s.tracking_code not in page.url
    expect(page.locator("main")).not_to_contain_text("路口信号灯时间太短")
    assert Suggestion.objects.get(pk=s.pk).state == State.PROPOSED


def test_back_after_an_action_shows_the_current_state(
    live_server: object, page: Page, world: World, admin_user: User, committee_staff: User
) -> None:
    s = _proposed(world, admin_user)
    base = str(live_server)
    _login(page, base, committee_staff)
    page.goto(f"{base}/suggestions/?queue=to_hand_over")
    expect(page.locator("#results")).to_contain_text("路口信号灯时间太短")
    page.goto(f"{base}/suggestions/{s.tracking_code}/")
    _act(page, "hand_over")
    page.fill("#action-panel input[name=lead_unit]", world.unit_a.name)
    _submit_action(page)
    expect(page.get_by_test_id("state")).to_have_text(str(State.ASSIGNED.label))
    # Back to the queue (the page was reloaded in place, one history entry): fetched again.
    page.go_back()
    assert page.url.endswith("?queue=to_hand_over")
    expect(page.locator("#results")).not_to_contain_text("路口信号灯时间太短")


def test_a_conflict_reloads_the_page_with_the_current_state(
    live_server: object, page: Page, world: World, admin_user: User, committee_staff: User
) -> None:
    s = workflow.suggestion_hand_over(suggestion=_proposed(world, admin_user), actor=admin_user, lead_unit=world.unit_a)
    base = str(live_server)
    _login(page, base, committee_staff)
    page.goto(f"{base}/suggestions/{s.tracking_code}/")
    _act(page, "supervise")
    # Someone else supervises while the form is open.
    workflow.suggestion_supervise(suggestion=s, actor=admin_user, note="已电话催办")
    page.fill("#action-panel textarea[name=note]", "请加快办理")
    _submit_action(page)
    expect(page.locator(".messages")).to_contain_text("被他人修改")
    # The page now shows the other person's supervision, not the state the form was opened on.
    expect(page.locator("main")).to_contain_text("已电话催办")
