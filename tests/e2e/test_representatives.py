"""A representative on a phone: record an activity, then read the performance file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from accounts.models import User
from representatives.models import Activity
from tests.conftest import World
from tests.representatives.conftest import frozen_clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("frozen_today")]

PASSWORD = "pass-1234"  # tests.factories.UserFactory's password


@pytest.fixture
def frozen_today() -> Iterator[None]:
    with frozen_clock():
        yield


def test_representative_records_an_activity_on_a_phone(
    live_server: object, page: Page, artifacts: Path, world: World, representative_user: User
) -> None:
    base = str(live_server)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The refused form comes back as 400 on purpose; anything else (CSP, scripts) is a problem.
        if message.type == "error" and "status of 400" not in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", representative_user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    page.goto(f"{base}/representatives/me/activities/new/")
    page.select_option("#id_kind", "inspection")
    page.fill("#id_hours", "25")
    page.fill("#id_title", "视察老旧小区改造")
    page.select_option("#id_station", label="鼓东街道代表联络站")
    with page.expect_navigation():
        page.locator("main form button[type=submit].primary").click()
    expect(page.locator(".has-error")).to_have_count(1)
    assert not Activity.objects.exists()

    page.fill("#id_hours", "3.5")
    with page.expect_navigation():
        page.locator("main form button[type=submit].primary").click()
    expect(page.locator("main")).to_contain_text("视察老旧小区改造")
    page.screenshot(path=str(artifacts / "representative-activities-375.png"), full_page=True)

    page.goto(f"{base}/representatives/me/")
    expect(page.get_by_test_id("activity-hours")).to_have_text("3.5")
    page.screenshot(path=str(artifacts / "representative-file-375.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts / "representative-file-print.png"), full_page=True)
    assert problems == []
