"""A representative records field work on a 390 px phone: the form fits the screen, the visit and
its two suggestions are saved, and the tracking codes come back to hand to the voters."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from accounts.models import User
from stations.models import VoterVisit
from suggestions.models import Suggestion
from tests.conftest import World
from tests.factories import RepresentativeFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-1234"  # tests.factories.UserFactory's password
PHONE = 390


def page_width(page: Page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def test_representative_records_field_work_on_a_390px_phone(
    live_server: object, page: Page, artifacts: Path, world: World, representative_user: User
) -> None:
    base = str(live_server)
    colleague = RepresentativeFactory(name="郑代表")
    colleague.stations.add(world.station_a)
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # The refused form comes back as 400 on purpose; anything else (CSP, scripts) is a problem.
        if message.type == "error" and "status of 400" not in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", representative_user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()

    # From the home page's button to the form.
    assert page_width(page) <= PHONE
    with page.expect_navigation():
        page.get_by_test_id("record-field-work").click()
    expect(page.get_by_test_id("field-work-note")).to_be_visible()
    assert page_width(page) <= PHONE
    page.screenshot(path=str(artifacts / "representative-field-work-390.png"), full_page=True)

    page.select_option("#id_channel", "night_talk")
    page.fill("#id_voters_received", "5")
    page.fill("#id_place", "鼓东街道三坊社区文化广场")
    page.fill("#id_s-0-title", "广场夜间照明不足")
    page.fill("#id_s-0-submitter_phone", "13812345678")
    page.locator("[data-add-row]").click()
    expect(page.locator("#id_s-1-title")).to_be_visible()
    page.fill("#id_s-1-content", "每晚十点后音响还很大。")  # no title yet: refused, all kept
    page.get_by_label("郑代表").check()
    with page.expect_navigation():
        page.get_by_test_id("save-visit").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    assert page_width(page) <= PHONE
    page.screenshot(path=str(artifacts / "representative-field-work-refused-390.png"), full_page=True)
    assert not VoterVisit.objects.exists()
    page.fill("#id_s-1-title", "广场舞音量扰民")
    with page.expect_navigation():
        page.get_by_test_id("save-visit").click()

    expect(page.get_by_test_id("slip-code")).to_have_count(2)
    assert page_width(page) <= PHONE
    page.screenshot(path=str(artifacts / "representative-field-work-slips-390.png"), full_page=True)
    visit = VoterVisit.objects.get()
    assert (visit.channel, visit.recorded_by_id, visit.voters_received) == ("night_talk", representative_user.pk, 5)
    assert set(visit.representatives.values_list("name", flat=True)) == {"陈代表", "郑代表"}
    assert set(Suggestion.objects.values_list("title", flat=True)) == {"广场夜间照明不足", "广场舞音量扰民"}
    assert problems == []
