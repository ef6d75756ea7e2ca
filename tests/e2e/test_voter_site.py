"""A voter on a phone (375 px, WeChat's browser): find a station, send a suggestion, look it up,
rate the reply through the link that arrived by e-mail, and find the case on the public board."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from captcha.conf import settings as captcha_settings
from django.core import mail
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from accounts.models import User
from liaison.celery import app as celery_app
from representatives.models import CongressLevel
from stations.models import StationFeature
from suggestions import workflow
from suggestions.models import Attachment, Rating, State, Suggestion
from tests.conftest import World
from tests.factories import CategoryFactory, DutyShiftFactory, MandateFactory, RepresentativeFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
# WeChat's built-in browser on an iPhone announces itself like this.
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN", user_agent=WECHAT_UA
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    # Assertions wait as long as actions do: other suites may be loading the machine.
    expect.set_options(timeout=15_000)
    yield tab
    expect.set_options(timeout=5_000)
    context.close()


@pytest.fixture
def notifications_in_process() -> Iterator[None]:
    """Run the notification tasks in this process right after commit, so the voter's e-mail
    (with the rating link) lands in Django's test mailbox instead of a shared Redis queue."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


class Camera:
    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.taken: list[Path] = []

    def __call__(self, name: str) -> None:
        # Nothing may be wider than the phone: no sideways scrolling.
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: page is {width}px wide"
        target = self.folder / f"voter-{name}-375.png"
        self.page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 5_000
        self.taken.append(target)


def _photo(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (183, 28, 28)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_voter_finds_a_station_suggests_looks_up_and_rates_on_a_phone(
    live_server: Any,
    phone: Page,
    artifacts: Path,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    notifications_in_process: None,
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
) -> None:
    base = str(live_server)
    settings.SITE_URL = base
    # Rate limits and caches of this run only (the Redis database is shared, never flushed).
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"e2e{uuid.uuid4().hex}"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CAPTCHA_TEST_MODE = True
    monkeypatch.setattr(captcha_settings, "CAPTCHA_TEST_MODE", True)  # the library keeps its own copy
    mail.outbox.clear()

    category = CategoryFactory(code="roads", name="道路交通")
    rep = RepresentativeFactory(name="陈明代表", occupation="社区医生")
    rep.stations.add(world.station_a)
    MandateFactory(representative=rep, level=CongressLevel.COUNTY, region=world.district_a)
    world.station_a.features.add(StationFeature.objects.create(name="说事驿站"))
    today = timezone.localdate()
    start = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=9), dt.time(9))
    )
    DutyShiftFactory(
        representative=rep, station=world.station_a, starts_at=start, ends_at=start + dt.timedelta(hours=3)
    )

    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # 4xx answers are part of the story (a used link); anything else (CSP, scripts) is a problem.
        if message.type == "error" and not re.search(r"status of 4\d\d", message.text):
            problems.append(message.text)

    phone.on("console", on_console)
    phone.on("pageerror", lambda error: problems.append(str(error)))
    shoot = Camera(phone, artifacts)

    # --- Find a station: by region, then by searching a place name ----------------------------
    phone.goto(f"{base}/s/")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    shoot("finder")
    phone.get_by_role("link", name=world.district_a.name, exact=True).click()
    phone.get_by_role("link", name=world.town_a.name, exact=True).click()
    expect(phone.locator(".station-list")).to_contain_text(world.station_a.name)
    expect(phone.locator(".station-list")).not_to_contain_text(world.station_b.name)
    shoot("finder-township")
    phone.fill("input[name=q]", "鼓东")
    with phone.expect_navigation():
        phone.locator("form[role=search] button[type=submit]").click()
    phone.get_by_role("link", name=world.station_a.name).click()
    expect(phone.locator("h1")).to_have_text(world.station_a.name)
    expect(phone.locator(".shifts").last).to_contain_text("陈明代表")  # on duty next week
    expect(phone.locator("img.qr")).to_be_visible()
    # The QR code really loads (same origin, allowed by the CSP) and has a size.
    loaded_width = phone.locator("img.qr").evaluate(
        "img => img.complete ? img.naturalWidth"
        " : new Promise(done => img.addEventListener('load', () => done(img.naturalWidth)))"
    )
    assert loaded_width > 0
    shoot("station")

    # --- Send a suggestion to this station ------------------------------------------------------
    phone.locator(f"a[href='/s/stations/{world.station_a.pk}/suggest/']").click()
    expect(phone.locator("#id_region")).to_have_value(str(world.town_a.pk))
    phone.fill("#id_title", "鼓东路公交站没有遮雨棚")
    phone.fill("#id_content", "下雨天在鼓东路公交站等车的老人没有地方避雨，我叫王秀英，电话 139 1234 5678。")
    phone.select_option("#id_category", label=category.name)
    phone.fill("#id_address", "鼓东路口公交站")
    phone.fill("#id_submitter_name", "王秀英")
    phone.fill("#id_submitter_phone", "１３９ １２３４ ５６７８")  # full-width, as a Chinese keyboard types it
    phone.fill("#id_submitter_email", "wangxy@example.cn")
    phone.check("#id_consent_to_publish")
    phone.set_input_files("#id_photos", str(_photo(tmp_path / "shelter.jpg")))
    expect(phone.locator("img.captcha-img")).to_be_visible()
    # "Another picture" (public.js) swaps the picture and its key without losing the form.
    old_key = phone.input_value("#id_captcha_0")
    phone.get_by_role("button", name=re.compile("换一张|Another picture")).click()
    expect(phone.locator("#id_captcha_0")).not_to_have_value(old_key)
    expect(phone.locator("#id_title")).to_have_value("鼓东路公交站没有遮雨棚")
    phone.fill("#id_captcha_1", "PASSED")
    shoot("suggest-form")
    with phone.expect_navigation():
        phone.locator("form[data-once] button[type=submit]").click()
    code_shown = phone.get_by_test_id("tracking-code").inner_text().strip()
    shoot("suggest-done")
    suggestion = Suggestion.objects.get()
    assert code_shown.replace("-", "") == suggestion.tracking_code
    assert suggestion.station == world.station_a
    assert suggestion.channel == "online"
    assert suggestion.submitter_phone == "13912345678"
    assert Attachment.objects.filter(suggestion=suggestion, content_type="image/jpeg").count() == 1

    # --- Staff handle it (their own screens are tested elsewhere) ---------------------------------
    s = workflow.suggestion_sort(suggestion=suggestion, actor=station_staff, category=category, urgency="normal")
    s = workflow.suggestion_propose(suggestion=s, actor=station_staff, route="unit", unit=world.unit_a)
    s = workflow.suggestion_hand_over(suggestion=s, actor=committee_staff, lead_unit=world.unit_a, note="内部：加急")
    s = workflow.suggestion_acknowledge(suggestion=s, actor=unit_staff)
    s = workflow.suggestion_reply(
        suggestion=s, actor=unit_staff, category="A", text="王秀英您好：遮雨棚已列入本月施工计划，已于月底建成。"
    )

    # --- Look it up with the code and the last four digits --------------------------------------
    phone.goto(f"{base}/s/status/")
    phone.fill("#id_code", code_shown.lower())
    phone.fill("#id_last4", "5678")
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    timeline = phone.locator("ol.timeline")
    expect(timeline).to_contain_text(world.unit_a.name)
    expect(timeline).to_contain_text("遮雨棚已列入本月施工计划")
    expect(phone.locator("main")).not_to_contain_text("王秀英")
    expect(phone.locator("main")).not_to_contain_text("内部：加急")
    shoot("status")

    # --- Rate it through the link from the e-mail -------------------------------------------------
    links = [
        link
        for message in mail.outbox
        if "wangxy@example.cn" in message.to
        for link in re.findall(rf"{re.escape(base)}/s/rate/[A-Za-z0-9_\-]+/", message.body)
    ]
    assert links, [m.subject for m in mail.outbox]
    rate_link = links[-1]
    phone.goto(rate_link)
    expect(phone.locator("blockquote.reply")).to_contain_text("遮雨棚")
    phone.locator(f"input[name=rating][value={Rating.SATISFIED}]").check()
    phone.fill("#id_text", "很快就解决了，谢谢！")
    shoot("rate")
    with phone.expect_navigation():
        phone.locator("form[data-once] button[type=submit]").click()
    shoot("rate-thanks")
    s.refresh_from_db()
    assert s.state == State.CLOSED
    assert s.rating == Rating.SATISFIED
    phone.goto(rate_link)
    expect(phone.locator("[data-code=feedback_link_used]")).to_be_visible()
    shoot("rate-used")

    # --- The committee publishes it: on the board, masked -----------------------------------------
    workflow.suggestion_publish(suggestion=s, actor=committee_staff)
    phone.goto(f"{base}/s/board/")
    board = phone.locator("ul.cases")
    expect(board).to_contain_text("鼓东路公交站没有遮雨棚")
    expect(board).to_contain_text("王**")
    expect(board).to_contain_text("139****5678")
    expect(phone.locator("main")).not_to_contain_text("王秀英")
    shoot("board")
    phone.goto(f"{base}/s/units/")
    expect(phone.locator("ol.league")).to_contain_text(world.unit_a.name)
    shoot("units")
    phone.goto(f"{base}/s/stations/{world.station_a.pk}/poster/")
    shoot("poster")

    assert problems == []
    assert len(shoot.taken) == 12
