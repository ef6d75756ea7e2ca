"""The bell and the notification list in a real browser: the unread count on every staff page,
the list with its links, marking one and then all as read, under the strict CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect

from accounts.models import User
from notifications.models import Notification
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # tests.factories.UserFactory's password


def test_the_bell_counts_and_the_list_marks_read(
    live_server: object, browser: Browser, unit_staff: User, other_unit_staff: User
) -> None:
    Notification.objects.create(recipient=other_unit_staff, kind="handed_over", title="别人的通知")
    for i in range(3):
        Notification.objects.create(
            recipient=unit_staff,
            kind="reminder",
            title=f"提醒：请答复建议 ABC{i}",
            body="交办鼓楼区住建局的建议应于 2025-09-30 前答复。",
            url="/notifications/",
        )
    base = str(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", unit_staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()

    bell = page.get_by_test_id("bell")
    expect(bell.locator(".bell-count")).to_have_text("3")  # on the start page
    bell.click()
    page.wait_for_url(f"{base}/notifications/")
    items = page.get_by_test_id("notification")
    expect(items).to_have_count(3)
    expect(page.locator("main")).not_to_contain_text("别人的通知")
    expect(items.first).to_contain_text("提醒：请答复建议 ABC2")  # newest first
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notifications-1280.png"), full_page=True)

    items.first.get_by_test_id("mark-read").click()
    expect(page.get_by_test_id("bell").locator(".bell-count")).to_have_text("2")
    expect(page.locator(".notification.unread")).to_have_count(2)

    page.get_by_test_id("mark-all-read").click()
    expect(page.get_by_test_id("bell").locator(".bell-count")).to_have_count(0)
    expect(page.locator(".notification.unread")).to_have_count(0)
    assert not Notification.objects.filter(recipient=unit_staff, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_unit_staff, read_at__isnull=True).count() == 1
    assert problems == []
    context.close()


def test_the_bell_refreshes_itself_and_opening_a_notification_marks_it_read(
    live_server: object, browser: Browser, unit_staff: User, settings: object
) -> None:
    from django.conf import settings as django_settings

    site = django_settings.SITE_URL
    first = Notification.objects.create(
        recipient=unit_staff,
        kind="handed_over",
        title="新交办：路灯不亮",
        body=f"请登录办理：{site}/notifications/?unread=1\n选民写的网址 http://example.com/x 不是链接。",
        url="/notifications/?unread=1",
    )
    base = str(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.clock.install()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", unit_staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("bell").locator(".bell-count")).to_have_text("1")

    # A new notification while the page is open: the bell shows it within a minute, no reload.
    Notification.objects.create(recipient=unit_staff, kind="reminder", title="提醒：请答复")
    page.clock.fast_forward("01:05")
    expect(page.get_by_test_id("bell").locator(".bell-count")).to_have_text("2")

    page.get_by_test_id("bell").click()
    page.wait_for_url(f"{base}/notifications/")
    body = page.locator(".notification-body").filter(has_text="请登录办理")
    # The portal's own address is a link; a voter's typed address stays text.
    expect(body.locator("a")).to_have_count(1)
    expect(body.locator("a")).to_have_attribute("href", "/notifications/?unread=1")
    page.locator("[data-testid=open-notification]", has_text="新交办：路灯不亮").click()
    page.wait_for_url(f"{base}/notifications/?unread=1")
    first.refresh_from_db()
    assert first.read_at is not None
    expect(page.get_by_test_id("bell").locator(".bell-count")).to_have_text("1")
    context.close()
