"""The whole staff loop in a real browser, as the three roles would do it.

Station staff log a visit with two suggestions and send one on; committee staff hand it over;
the unit acknowledges and replies with a photo; committee staff record the voter's call-back
and publish it. Along the way the main pages are photographed at 375 px and 1280 px.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from accounts.models import User
from suggestions.models import Attachment, State, Suggestion, SuggestionEvent
from tests.conftest import World
from tests.e2e.conftest import DOCS_SCREENSHOTS
from tests.factories import CategoryFactory, SuggestionFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # tests.factories.UserFactory's password
WIDTHS = (375, 1280)


def _png(path: Path) -> Path:
    """A small real PNG (a red square), as a phone photo stand-in."""
    width = height = 8
    raw = b"".join(b"\x00" + b"\xb7\x1c\x1c" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )
    return path


UPDATE_DOCS = os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1"


class Shooter:
    """Screenshots of a page at phone and desktop width, under test-artifacts/."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder

    def __call__(self, name: str, *, docs: str | None = None, docs_phone: bool = False) -> None:
        """`docs`: also copy the desktop shot (and with `docs_phone` the phone one) to docs/screenshots/."""
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.wait_for_timeout(100)  # let the layout settle after the resize
            target = self.folder / f"{name}-{width}.png"
            self.page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 5_000, f"{target} looks empty"
            # Refreshing the README's pictures is asked for (UPDATE_DOCS_SCREENSHOTS=1): a plain
            # `make test` leaves the working tree as it found it.
            if docs and UPDATE_DOCS and (width == max(WIDTHS) or docs_phone):
                DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(target, DOCS_SCREENSHOTS / f"{docs}-{width}.png")
        self.page.set_viewport_size({"width": 1280, "height": 900})


def _watch(page: Page, problems: list[str]) -> None:
    """Collect CSP violations and script errors: the strict policy must not break anything."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))


def _login(page: Page, base: str, user: User) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("[data-nav-toggle], .primary-nav").first).to_be_attached()


def _act(page: Page, action: str) -> None:
    """Open an action's form in place (htmx) and wait for it."""
    page.locator(f"[data-action='{action}']").click()
    expect(page.locator(f"#action-panel [data-action-form='{action}']")).to_be_visible()


def _submit_action(page: Page) -> None:
    with page.expect_navigation():
        page.locator("#action-panel [data-testid=submit-action]").click()


def test_staff_loop_in_the_browser(
    live_server: object,
    page: Page,
    artifacts: Path,
    tmp_path: Path,
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
    representative_user: User,
) -> None:
    base = str(live_server)
    CategoryFactory(code="roads", name="道路交通")
    CategoryFactory(code="env", name="环境卫生")
    problems: list[str] = []
    _watch(page, problems)
    shoot = Shooter(page, artifacts)

    # --- Station staff: the dashboard, then a visit with two suggestions -------------------
    _login(page, base, station_staff)
    shoot("station-dashboard", docs="station-dashboard")
    page.get_by_test_id("log-visit").click()
    page.select_option("#id_channel", "reception")
    page.fill("#id_voters_received", "3")
    page.get_by_label("陈代表").check()
    page.fill("#id_s-0-title", "鼓东路路灯不亮")
    page.fill("#id_s-0-content", "鼓东路中段三盏路灯一周没亮，晚上行人看不清路。")
    page.select_option("#id_s-0-category", label="道路交通")
    page.fill("#id_s-0-address", "鼓东路88号附近")
    page.fill("#id_s-0-submitter_name", "张三")
    page.fill("#id_s-0-submitter_phone", "１３８ １２３４ ５６７８")  # full-width, as typed on a Chinese keyboard
    page.check("#id_s-0-consent_to_publish")
    # The second suggestion row comes from the keyboard shortcut, without leaving the form.
    page.locator("#id_s-0-submitter_address").press("Alt+n")
    expect(page.locator("#id_s-1-title")).to_be_focused()
    page.fill("#id_s-1-title", "菜市场门口垃圾清运不及时")
    page.select_option("#id_s-1-urgency", "urgent")
    page.fill("#id_s-1-submitter_name", "李四")
    page.fill("#id_s-1-submitter_phone", "0591-8765 4321")
    shoot("visit-form", docs="station-visit-form", docs_phone=True)
    with page.expect_navigation():
        page.get_by_test_id("save-visit").click()

    codes = page.get_by_test_id("slip-code").all_inner_texts()
    assert len(codes) == 2
    shoot("visit-tracking-codes")
    first = Suggestion.objects.get(title="鼓东路路灯不亮")
    second = Suggestion.objects.get(title="菜市场门口垃圾清运不及时")
    assert first.submitter_phone == "13812345678"
    assert second.submitter_phone == "0591-87654321"
    assert first.visit is not None
    assert first.visit_id == second.visit_id
    assert list(first.visit.representatives.values_list("name", flat=True)) == ["陈代表"]
    assert {c.replace("-", "") for c in codes} == {first.tracking_code, second.tracking_code}

    # Station staff sort the first one and propose handing it to unit A, in place.
    page.goto(f"{base}/suggestions/{first.tracking_code}/")
    _act(page, "sort")
    _submit_action(page)
    expect(page.get_by_test_id("state")).to_have_text(str(State.SORTED.label))
    _act(page, "propose")
    page.fill("#action-panel input[name=unit]", world.unit_a.name)  # a typed picker, as in the list filters
    _submit_action(page)
    expect(page.get_by_test_id("state")).to_have_text(str(State.PROPOSED.label))

    # --- Committee staff: the queue "to hand over", then the hand-over ---------------------
    _login(page, base, committee_staff)
    expect(page.locator("[data-queue=to_hand_over] .queue-count")).to_have_text("1")
    shoot("committee-dashboard", docs="committee-dashboard")
    page.locator("[data-queue=to_hand_over]").click()
    expect(page.locator("#results")).to_contain_text("鼓东路路灯不亮")
    expect(page.locator("#results")).not_to_contain_text("菜市场门口垃圾清运不及时")
    shoot("committee-queue")
    page.get_by_role("link", name=re.compile(first.tracking_code[:5])).first.click()
    _act(page, "hand_over")
    # The station's proposal is where the hand-over starts.
    expect(page.locator("#action-panel input[name=lead_unit]")).to_have_value(world.unit_a.name)
    page.fill("#action-panel textarea[name=note]", "请尽快修复，答复选民。")
    _submit_action(page)
    expect(page.get_by_test_id("state")).to_have_text(str(State.ASSIGNED.label))
    expect(page.locator("[data-deadline=reply_due]")).to_be_visible()

    # --- The unit: acknowledge, then reply with a photo ---------------------------------------
    _login(page, base, unit_staff)
    expect(page.locator("[data-queue=to_acknowledge] .queue-count")).to_have_text("1")
    shoot("unit-dashboard", docs="unit-dashboard")
    page.locator("[data-queue=to_acknowledge]").click()
    page.get_by_role("link", name=re.compile(first.tracking_code[:5])).first.click()
    _act(page, "acknowledge")
    _submit_action(page)
    expect(page.get_by_test_id("state")).to_have_text(str(State.IN_PROGRESS.label))
    _act(page, "reply")
    page.locator("#action-panel input[name=category][value=A]").check()
    page.fill("#action-panel textarea[name=text]", "已更换三盏路灯，现已恢复照明。")
    page.set_input_files("#action-panel input[name=attachments]", str(_png(tmp_path / "路灯.png")))
    shoot("unit-reply-form")
    _submit_action(page)
    expect(page.get_by_test_id("state")).to_have_text(str(State.REPLIED.label))
    expect(page.get_by_role("link", name="路灯.png").first).to_be_visible()
    assert Attachment.objects.filter(suggestion=first, content_type="image/png").count() == 1

    # --- Committee staff: the call-back, then publication --------------------------------------
    _login(page, base, committee_staff)
    page.locator("[data-queue=awaiting_feedback]").click()
    page.get_by_role("link", name=re.compile(first.tracking_code[:5])).first.click()
    _act(page, "feedback")
    page.locator("#action-panel input[name=rating][value=satisfied]").check()
    page.fill("#action-panel textarea[name=text]", "电话回访：选民表示满意。")
    _submit_action(page)
    expect(page.get_by_test_id("state")).to_have_text(str(State.CLOSED.label))
    _act(page, "publish")
    # The form previews exactly what the board will show; staff edit the public wording.
    preview = page.locator("#action-panel [data-testid=publish-preview]")
    expect(preview).to_contain_text(first.title)
    page.fill("#action-panel input[name=public_title]", "小区路灯长期不亮（公示）")
    page.locator("#action-panel [data-testid=preview-action]").click()
    expect(preview).to_contain_text("小区路灯长期不亮（公示）")
    _submit_action(page)
    expect(page.locator(".badge-published")).to_be_visible()
    shoot("suggestion-detail", docs="committee-suggestion")
    page.goto(f"{base}/suggestions/{first.tracking_code}/form/")
    expect(page.locator(".gov-form")).to_contain_text("已更换三盏路灯")
    shoot("supervision-feedback-form")
    # Printed, the form is one A4 sheet without the site's navigation.
    (artifacts / "supervision-feedback-form.html").write_text(page.content())
    pdf = page.pdf(format="A4", print_background=True)
    (artifacts / "supervision-feedback-form.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".print-tools")).to_be_hidden()
    page.emulate_media(media="screen")

    page.goto(f"{base}/s/board/{first.pk}/")
    expect(page.locator("article h1")).to_have_text("小区路灯长期不亮（公示）")

    first.refresh_from_db()
    assert (first.state, first.is_published, first.rating) == (State.CLOSED, True, "satisfied")
    actions = list(SuggestionEvent.objects.filter(suggestion=first).order_by("id").values_list("action", flat=True))
    assert actions == [
        "suggestion.recorded",
        "suggestion.sorted",
        "suggestion.proposed",
        "suggestion.handed_over",
        "suggestion.acknowledged",
        "suggestion.replied",
        "suggestion.feedback_received",
        "suggestion.published",
    ]
    assert problems == [], problems


def test_the_forms_work_without_javascript(
    live_server: object, browser: Browser, world: World, station_staff: User
) -> None:
    """No JavaScript at all (old phone browsers, locked-down intranets): every step still works."""
    base = str(live_server)
    CategoryFactory(code="roads", name="道路交通")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        _login(page, base, station_staff)
        page.goto(f"{base}/visits/new/")
        page.fill("#id_s-0-title", "公园健身器材损坏")
        with page.expect_navigation():
            page.locator("[data-add-row]").click()  # the server adds the row and keeps what was typed
        expect(page.locator("#id_s-0-title")).to_have_value("公园健身器材损坏")
        page.fill("#id_s-1-title", "公交站台缺少遮雨棚")
        with page.expect_navigation():
            page.get_by_test_id("save-visit").click()
        expect(page.get_by_test_id("slip-code")).to_have_count(2)

        s = Suggestion.objects.get(title="公园健身器材损坏")
        page.goto(f"{base}/suggestions/{s.tracking_code}/")
        with page.expect_navigation():
            page.locator("[data-action=sort]").click()  # a page of its own instead of the in-place form
        page.select_option("select[name=category]", label="道路交通")
        with page.expect_navigation():
            page.get_by_test_id("submit-action").click()
        expect(page.get_by_test_id("state")).to_have_text(str(State.SORTED.label))
    finally:
        context.close()


def test_the_workspace_is_keyboard_navigable(
    live_server: object, page: Page, world: World, station_staff: User
) -> None:
    base = str(live_server)
    CategoryFactory(code="roads", name="道路交通")
    SuggestionFactory(station=world.station_a, title="楼道灯不亮")
    s = Suggestion.objects.get(title="楼道灯不亮")
    _login(page, base, station_staff)

    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    # On a phone the menu folds away behind a button that works from the keyboard.
    page.set_viewport_size({"width": 375, "height": 800})
    expect(page.locator("#primary-nav")).to_be_hidden()
    page.locator("[data-nav-toggle]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#primary-nav")).to_be_visible()
    expect(page.locator("[data-nav-toggle]")).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(page.locator("#primary-nav")).to_be_hidden()
    expect(page.locator("[data-nav-toggle]")).to_be_focused()

    # An action opens in place, takes the focus, and Escape puts it away again.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/suggestions/{s.tracking_code}/")
    page.locator("[data-action=sort]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#action-panel select[name=category]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#action-panel [data-action-form]")).to_have_count(0)
    expect(page.locator("[data-action=sort]")).to_be_focused()
