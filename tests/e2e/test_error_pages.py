"""A voter opens a cut SMS link on a 390 px phone: the Chinese "page not found" in the voter
site's layout, fitting the screen, with a way back that works; staff get theirs in the staff layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = 390


def page_width(page: Page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def test_a_cut_link_on_a_390px_phone_is_a_chinese_page_with_a_way_back(
    live_server: object, page: Page, artifacts: Path, world: World
) -> None:
    base = str(live_server)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The 404 itself is logged by the browser; anything else (CSP, scripts) is a problem.
        if message.type == "error" and "status of 404" not in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.set_viewport_size({"width": PHONE, "height": 800})
    response = page.goto(f"{base}/s/rate/Zx8Kq")  # the SMS link, cut after a few characters
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    expect(page.locator("main")).to_contain_text("短信")
    assert page_width(page) <= PHONE
    # The voter site's own header and menu, not the staff portal's.
    expect(page.locator(".pub-header")).to_be_visible()
    back = page.get_by_role("link", name="返回首页")
    expect(back).to_be_visible()
    box = back.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE
    assert box["height"] >= 44  # a thumb's target
    page.screenshot(path=str(artifacts / "voter-404-390.png"), full_page=True)
    with page.expect_navigation():
        back.click()
    assert page.url == f"{base}/s/"
    assert problems == []


def test_staff_get_the_staff_layout(live_server: object, page: Page, world: World) -> None:
    response = page.goto(f"{live_server}/suggestions/nothing/here/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    expect(page.locator(".topbar")).to_be_visible()
    expect(page.get_by_role("link", name="返回我的工作台")).to_be_visible()


def test_the_lockout_page_fits_a_phone_and_says_whom_to_call(
    live_server: object, page: Page, artifacts: Path, world: World, settings: Any
) -> None:
    settings.AXES_ENABLED = True
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    page.set_viewport_size({"width": PHONE, "height": 800})
    for name in ("guess-one", "guess-two"):
        page.goto(f"{live_server}/accounts/login/")
        page.fill("#id_username", name)
        page.fill("#id_password", "nope")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("登录已暂时锁定")
    expect(page.locator("main")).to_contain_text("1 小时")
    expect(page.locator("main")).to_contain_text("请联系本级人大常委会信息化管理员")
    assert page_width(page) <= PHONE
    page.screenshot(path=str(artifacts / "login-locked-390.png"), full_page=True)
