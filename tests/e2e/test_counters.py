"""Long text is never cut without a word: a paste over the limit stays whole, the counter under
the field turns into a warning, and the server refuses it in Chinese with nothing saved. On the
voter's suggestion form at 390 px and in a staff action form swapped in by htmx."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from captcha.conf import settings as captcha_settings
from playwright.sync_api import ConsoleMessage, Page, expect

from accounts.models import User
from suggestions import workflow
from suggestions.models import Suggestion, SuggestionEvent
from tests.conftest import World
from tests.factories import CategoryFactory
from voters.forms import CONTENT_MAX

pytestmark = [pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # tests.factories.UserFactory's password


def _watch(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Refused forms come back as 400 on purpose; anything else (CSP, scripts) is a problem.
        if message.type == "error" and not re.search(r"status of 4\d\d", message.text):
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _paste(page: Page, selector: str, text: str) -> None:
    """Put text into a field the way a paste does (an input event a maxlength would cut)."""
    page.focus(selector)
    page.keyboard.insert_text(text)


def test_a_voter_pasting_too_much_is_warned_and_refused(
    live_server: Any,
    page: Page,
    artifacts: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    world: World,
) -> None:
    base = str(live_server)
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"e2e{uuid.uuid4().hex}"}}
    settings.CAPTCHA_TEST_MODE = True
    monkeypatch.setattr(captcha_settings, "CAPTCHA_TEST_MODE", True)
    problems = _watch(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/s/suggest/")

    counter = page.locator("#id_content ~ .char-count")
    expect(counter).to_have_text(f"已输入 0/{CONTENT_MAX} 字")
    assert page.get_attribute("#id_content", "maxlength") is None  # no hard cut
    _paste(page, "#id_content", "路灯")
    expect(counter).to_have_text(f"已输入 2/{CONTENT_MAX} 字")
    expect(counter).not_to_have_class(re.compile(r"\bover\b"))

    page.fill("#id_title", "鼓东路路灯不亮")
    page.select_option("#id_region", str(world.town_a.pk))
    page.fill("#id_submitter_name", "王秀英")
    page.fill("#id_submitter_phone", "13912345678")
    page.fill("#id_captcha_1", "PASSED")
    # A long paste after the two characters: kept whole, each emoji counted once (as the
    # server counts), 7 characters over.
    _paste(page, "#id_content", "晚" * (CONTENT_MAX - 3) + "😀" * 8)
    assert len(page.input_value("#id_content")) == CONTENT_MAX + 7
    expect(counter).to_have_text(f"超出 7 字（最多 {CONTENT_MAX} 字），请删减后再提交。")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    expect(page.locator("#id_content")).to_have_class(re.compile(r"\bis-over\b"))
    page.screenshot(path=str(artifacts / "counter-over-390.png"), full_page=True)

    with page.expect_navigation():
        page.locator("form[data-once] button[type=submit]").click()
    error = page.locator(".field.has-error .error")
    expect(error).to_contain_text(f"最多 {CONTENT_MAX} 字，现在有 {CONTENT_MAX + 7} 字，请删减后再提交。")
    assert Suggestion.objects.count() == 0
    # The text comes back whole, still counted, so the voter can shorten it.
    expect(page.locator("#id_content ~ .char-count")).to_have_class(re.compile(r"\bover\b"))
    page.screenshot(path=str(artifacts / "counter-refused-390.png"), full_page=True)
    assert problems == []


def test_a_staff_note_over_its_limit_is_counted_and_refused(
    live_server: Any, page: Page, artifacts: Path, world: World, station_staff: User
) -> None:
    base = str(live_server)
    category = CategoryFactory(code="roads", name="道路交通")
    s = workflow.suggestion_record(
        actor=station_staff,
        title="小区路灯不亮",
        content="晚上路灯不亮，老人出行不便。",
        region=world.town_a,
        station=world.station_a,
        submitter_name="张三",
        submitter_phone="13812345678",
    )
    problems = _watch(page)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", station_staff.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(f"{base}/suggestions/{s.tracking_code}/")
    page.locator("[data-action='sort']").click()
    form = page.locator("#action-panel [data-action-form='sort']")
    expect(form).to_be_visible()
    note = form.locator("textarea[name=note]")
    counter = form.locator(".char-count")
    expect(counter).to_have_text("已输入 0/2000 字")  # the form came by htmx and has its counter
    note.focus()
    page.keyboard.insert_text("需" * 2001)
    expect(counter).to_have_text("超出 1 字（最多 2000 字），请删减后再提交。")
    page.screenshot(path=str(artifacts / "counter-staff-1280.png"), full_page=True)
    events = SuggestionEvent.objects.filter(suggestion=s).count()
    form.locator("input[name=urgency]").first.check()
    form.locator("select[name=category]").select_option(label=category.name)
    form.locator("button[type=submit]").first.click()
    expect(page.locator("#action-panel")).to_contain_text("2000")
    expect(page.locator("#action-panel .char-count")).to_have_class(re.compile(r"\bover\b"))
    assert SuggestionEvent.objects.filter(suggestion=s).count() == events
    assert Suggestion.objects.get(pk=s.pk).state == "received"
    assert problems == []
