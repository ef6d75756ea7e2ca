"""No page of the voter site (public:*) or of the representatives (representatives:*) is wider
than a 390 px phone. The routes are read from the URLconf, so a new page must be listed here
(or its exclusion explained) before this test passes; every page gets real objects with long
names, long titles and long unbroken codes, the content that pushed the 一人一档 to 423 px."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from captcha.conf import settings as captcha_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page

from accounts.models import User
from representatives.models import Activity, CongressLevel
from stations.models import StationFeature
from suggestions import workflow
from suggestions.status_access import status_key_make
from tests.e2e.casting import full_cast
from tests.factories import DutyShiftFactory, MandateFactory, StationFactory, VoterVisitFactory
from tests.suggestions.workflow_builders import build

pytestmark = [pytest.mark.django_db(transaction=True)]

WIDTH = 390
# What makes pages wide: long unbroken Latin runs (links, codes) and long Chinese names.
LONG_LINK = "https://www.gl.gov.cn/xxgk/tzgg/202506/t20250620_4871234_rendafangwen_zhuanti.htm"
LONG_STATION = "福州市鼓楼区鼓东街道三坊七巷历史文化街区人大代表联络站（选民之家）"
LONG_ADDRESS = "鼓东路与东街交叉口东南侧中山大厦B座18楼1808室（ZhongshanDasha-B1808）"
LONG_TITLE = "关于尽快解决鼓东路三坊七巷南后街片区夜间照明不足及人行道破损影响老人出行安全的建议"
# Routes that are not pages: pictures for <img>, and a POST endpoint whose answer is a redirect.
NOT_PAGES = {
    "public:station_qr": "an SVG picture",
    "public:representative_qr": "an SVG picture",
    "representatives:activity_delete": "POST only; it redirects to my_activities, which is visited",
    "representatives:file_export": "an Excel file (or the job page of a long export, a staff page)",
}


def _route_names(namespace: str) -> set[str]:
    resolver = get_resolver()
    found: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], ns: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or ns)
            elif ns == namespace and p.name:
                found.add(f"{namespace}:{p.name}")

    walk(resolver.url_patterns, None)
    return found


@dataclass
class Visit:
    name: str
    url: str
    user: User | None = None
    # Steps that bring the page into the state to measure (a filled form, a refused form).
    then: Callable[[Page], None] | None = None


def _login(page: Page, base: str, user: User | None) -> None:
    """Log in by planting a session for `user` (the login page is not what is measured here)."""
    page.context.clear_cookies()
    if user is None:
        return
    from importlib import import_module

    from django.conf import settings

    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the model backend, after axes'
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key or "", "url": base}])


def _overflow(page: Page) -> list[str]:
    """The elements that stick out to the right of the viewport, for the failure message."""
    return list(
        page.evaluate(
            """(width) => Array.from(document.querySelectorAll('body *'))
                .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > width + 0.5; })
                .slice(0, 6)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
                          + ' right=' + Math.round(e.getBoundingClientRect().right))""",
            WIDTH,
        )
    )


@pytest.fixture
def phone390(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": 844}, device_scale_factor=1, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def test_no_voter_or_representative_page_is_wider_than_a_390px_phone(
    live_server: Any,
    phone390: Page,
    request: pytest.FixtureRequest,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    artifacts: Path,
) -> None:
    base = str(live_server)
    settings.SITE_URL = base
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"e2e{uuid.uuid4().hex}"}}
    settings.CAPTCHA_TEST_MODE = True
    monkeypatch.setattr(captcha_settings, "CAPTCHA_TEST_MODE", True)
    cast = full_cast(request)
    world = cast.world
    rep = cast.representative
    rep_user = cast.users["representative_user"]
    committee = cast.users["committee_staff"]
    assert rep_user is not None
    assert committee is not None

    # --- Long content everywhere a phone could be pushed sideways --------------------------------
    rep.name = "阿依古丽·买买提艾力"
    rep.occupation = "鼓楼区三坊七巷社区卫生服务中心全科医生、主治医师"
    rep.save()
    big = StationFactory(name=LONG_STATION, region=world.town_a, address=LONG_ADDRESS)
    big.features.add(StationFeature.objects.create(name="说事驿站·议事厅·代表工作室"))
    rep.stations.add(big)
    MandateFactory(representative=rep, level=CongressLevel.COUNTY, region=world.district_a)
    MandateFactory(representative=rep, level=CongressLevel.CITY, region=world.city)
    start = timezone.now() + dt.timedelta(days=2)
    DutyShiftFactory(representative=rep, station=big, starts_at=start, ends_at=start + dt.timedelta(hours=3))
    today = timezone.localdate()
    for i, title in enumerate([LONG_TITLE, f"会议资料见 {LONG_LINK}", "参加代表小组活动"]):
        Activity.objects.create(
            representative=rep,
            kind="inspection" if i == 0 else "law_check",
            date=today - dt.timedelta(days=i + 1),
            hours=Decimal("3.5"),
            title=title,
            notes=LONG_LINK,
            station=big if i < 2 else None,
        )
    VoterVisitFactory(station=world.station_a, voters_received=12)
    replied, token = build(cast, "replied", reply_category="A")
    assert token is not None
    workflow.suggestion_feedback(suggestion=replied, actor=cast.admin, rating="satisfied", text=LONG_LINK)
    closed, _token = build(cast, "closed")
    workflow.suggestion_publish(
        suggestion=closed,
        actor=committee,
        public_title=LONG_TITLE,
        public_content=f"照片和视频见 {LONG_LINK}",
        public_reply=f"处理结果已公布于 {LONG_LINK}",
    )
    _rateable, rate_token = build(cast, "replied", reply_category="B")
    assert rate_token is not None
    activity = Activity.objects.filter(representative=rep).first()
    assert activity is not None

    def suggest_submitted(page: Page) -> None:
        page.fill("#id_title", LONG_TITLE)
        page.fill("#id_content", f"详见照片，另见 {LONG_LINK}")
        page.select_option("#id_region", str(world.town_a.pk))
        page.fill("#id_submitter_name", "王秀英")
        page.fill("#id_submitter_phone", "13912345678")
        page.fill("#id_captcha_1", "PASSED")
        with page.expect_navigation():
            page.locator("form[data-once] button[type=submit]").click()
        assert "/s/suggest/done/" in page.url

    def status_looked_up(page: Page) -> None:
        page.fill("#id_code", replied.tracking_code)
        page.fill("#id_last4", "5678")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        page.locator("ol.timeline").wait_for()

    def refused(page: Page) -> None:
        # An empty submit: the page comes back with the errors next to the fields.
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()

    s = "public"
    r = "representatives"
    visits = [
        Visit(f"{s}:home", reverse(f"{s}:home")),
        Visit(f"{s}:home", reverse(f"{s}:home") + f"?region={world.town_a.pk}"),
        Visit(f"{s}:home", reverse(f"{s}:home") + "?q=鼓东"),
        Visit(f"{s}:home", reverse(f"{s}:home") + f"?district={world.district_b.pk}"),
        Visit(f"{s}:station", reverse(f"{s}:station", args=[big.pk])),
        Visit(f"{s}:station_poster", reverse(f"{s}:station_poster", args=[big.pk])),
        Visit(f"{s}:station_suggest", reverse(f"{s}:station_suggest", args=[big.pk])),
        Visit(f"{s}:station_suggest", reverse(f"{s}:station_suggest", args=[big.pk]), then=refused),
        Visit(f"{s}:representative", reverse(f"{s}:representative", args=[rep.pk])),
        Visit(f"{s}:representative_suggest", reverse(f"{s}:representative_suggest", args=[rep.pk])),
        Visit(f"{s}:suggest", reverse(f"{s}:suggest")),
        Visit(f"{s}:suggest_done", reverse(f"{s}:suggest"), then=suggest_submitted),
        Visit(f"{s}:status", reverse(f"{s}:status")),
        Visit(f"{s}:status", reverse(f"{s}:status"), then=status_looked_up),
        Visit(
            f"{s}:status_key", reverse(f"{s}:status_key", args=[status_key_make(tracking_code=closed.tracking_code)])
        ),
        Visit(f"{s}:rate", reverse(f"{s}:rate", args=[rate_token])),
        Visit(f"{s}:rate_thanks", reverse(f"{s}:rate_thanks") + "?again=1"),
        Visit(f"{s}:board", reverse(f"{s}:board")),
        Visit(f"{s}:board_case", reverse(f"{s}:board_case", args=[closed.pk])),
        Visit(f"{s}:units", reverse(f"{s}:units")),
        Visit(f"{r}:me", reverse(f"{r}:me"), rep_user),
        Visit(f"{r}:my_suggestions", reverse(f"{r}:my_suggestions"), rep_user),
        Visit(f"{r}:my_activities", reverse(f"{r}:my_activities"), rep_user),
        Visit(f"{r}:activity_create", reverse(f"{r}:activity_create"), rep_user),
        Visit(f"{r}:activity_create", reverse(f"{r}:activity_create"), rep_user, then=refused),
        Visit(f"{r}:activity_edit", reverse(f"{r}:activity_edit", args=[activity.pk]), rep_user),
        Visit(f"{r}:field_visit_create", reverse(f"{r}:field_visit_create"), rep_user),
        Visit(f"{r}:file_list", reverse(f"{r}:file_list"), committee),
        Visit(f"{r}:file", reverse(f"{r}:file", args=[rep.pk]), committee),
        Visit(f"{r}:file", reverse(f"{r}:file", args=[rep.pk]), rep_user),
        # What else a representative opens: the home page, a suggestion they received, the bell.
        Visit("home", reverse("home"), rep_user),
        Visit("suggestions:detail", reverse("suggestions:detail", kwargs={"code": replied.tracking_code}), rep_user),
        Visit("notifications:list", reverse("notifications:list"), rep_user),
    ]
    routes = _route_names(s) | _route_names(r)
    assert routes - set(NOT_PAGES) - {v.name for v in visits} == set(), "a page is missing from this test"

    page = phone390
    problems: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    current: User | str | None = "nobody yet"
    for n, visit in enumerate(visits):
        if visit.user != current:
            _login(page, base, visit.user)
            current = visit.user
        response = page.goto(f"{base}{visit.url}")
        assert response is not None
        assert response.status in {200, 400}, (visit.url, response.status)
        if visit.then is not None:
            visit.then(page)
        width = int(page.evaluate("document.documentElement.scrollWidth"))
        page.screenshot(path=str(artifacts / f"w390-{n:02d}-{visit.name.replace(':', '-')}.png"), full_page=True)
        if width > WIDTH:
            problems.append(f"{visit.name} {visit.url}: {width}px {_overflow(page)}")
    assert problems == [], "\n".join(problems)
    # The same pages on a desktop, for people to look at (test-artifacts/).
    page.set_viewport_size({"width": 1280, "height": 900})
    for n, visit in enumerate(visits):
        if visit.then is None and visit.user in {None, rep_user}:
            if visit.user != current:
                _login(page, base, visit.user)
                current = visit.user
            page.goto(f"{base}{visit.url}")
            page.screenshot(path=str(artifacts / f"w1280-{n:02d}-{visit.name.replace(':', '-')}.png"), full_page=True)
    assert errors == []
