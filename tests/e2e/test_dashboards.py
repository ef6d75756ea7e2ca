"""The dashboard in a real browser: charts draw under the strict CSP, drill-down works on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from accounts.models import User
from dashboards.services import stats_rebuild
from tests.conftest import World
from tests.dashboards.conftest import Data, build_data, frozen_clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("frozen_today")]

PASSWORD = "pass-1234"  # tests.factories.UserFactory's password


@pytest.fixture
def frozen_today() -> Iterator[None]:
    with frozen_clock():
        yield


@pytest.fixture
def data(world: World) -> Data:
    return build_data(world)


def _login(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def test_city_dashboard_draws_and_drills_down(
    live_server: object, page: Page, artifacts: Path, data: Data, city_committee_staff: User
) -> None:
    base = str(live_server)
    stats_rebuild()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    _login(page, base, city_committee_staff)
    page.goto(f"{base}/dashboards/?period=year&year=2025")
    expect(page.locator("h1")).to_contain_text("福州市")
    expect(page.locator("svg.line-chart").first).to_be_visible()
    # Bars have a drawn size: the chart classes were applied, nothing was blocked.
    box = page.locator("rect.bar-collected").first.bounding_box()
    assert box is not None
    assert box["width"] > 10
    page.screenshot(path=str(artifacts / "dashboard-city-1280.png"), full_page=True)

    page.set_viewport_size({"width": 375, "height": 800})
    page.select_option("#id_subregion", label="鼓楼区")
    with page.expect_navigation():
        page.locator("form.dash-filters button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("鼓楼区")
    expect(page.locator(".breadcrumbs")).to_contain_text("福州市")
    page.screenshot(path=str(artifacts / "dashboard-district-375.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("a[href*='export.xlsx']").click()
    assert download.value.suggested_filename.startswith("dashboard-350102-2025")
    assert problems == []
