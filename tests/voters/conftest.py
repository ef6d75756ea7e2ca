"""Fixtures for the voter site: a small city with representatives on duty, and suggestions
brought to each state through the workflow's own actions."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from captcha.conf import settings as captcha_settings
from django.utils import timezone

from accounts.models import User
from notifications.models import Outbox
from representatives.models import CongressLevel, Representative
from stations.models import Station, StationFeature, StationKind
from suggestions import workflow
from suggestions.models import Category, Suggestion
from tests.conftest import World
from tests.factories import CategoryFactory, DutyShiftFactory, MandateFactory, RepresentativeFactory, StationFactory


@pytest.fixture(autouse=True)
def _own_cache(settings: Any) -> None:
    """Each test counts its rate limits and duplicates in its own cache keys (the Redis
    database is shared with other tests running at the same time, so it is never flushed)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"t{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def captcha_test_mode(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    """The captcha answer "PASSED" is accepted (CAPTCHA_TEST_MODE). django-simple-captcha reads
    the setting once at import, so its copy is switched along with Django's."""

    def switch(on: bool) -> None:
        settings.CAPTCHA_TEST_MODE = on
        monkeypatch.setattr(captcha_settings, "CAPTCHA_TEST_MODE", on)

    switch(True)
    return switch


@dataclass
class Site:
    """What the voter site shows: stations, a representative on duty, categories, and the staff
    who move suggestions through the workflow."""

    world: World
    category: Category
    rep: Representative
    online_station: Station
    station_staff: User
    committee_staff: User
    unit_staff: User


@pytest.fixture
def site(world: World, station_staff: User, committee_staff: User, unit_staff: User) -> Site:
    category = CategoryFactory(code="roads", name="道路交通")
    CategoryFactory(code="env", name="生态环境")
    rep = RepresentativeFactory(name="陈明代表", occupation="社区医生")
    rep.stations.add(world.station_a)
    MandateFactory(representative=rep, level=CongressLevel.COUNTY, region=world.district_a)
    MandateFactory(representative=rep, level=CongressLevel.CITY, region=world.city)
    feature = StationFeature.objects.create(name="说事驿站")
    world.station_a.features.add(feature)
    world.station_a.star_rating = 5
    world.station_a.save()
    online = StationFactory(name="福州市网上联络站", kind=StationKind.ONLINE, region=world.city)
    return Site(world, category, rep, online, station_staff, committee_staff, unit_staff)


def this_monday_at(hour: int, *, weeks: int = 0, day: int = 0) -> dt.datetime:
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks, days=day)
    return timezone.make_aware(dt.datetime.combine(monday, dt.time(hour)))


def shift(site: Site, *, weeks: int, day: int = 2, rep: Representative | None = None) -> Any:
    start = this_monday_at(9, weeks=weeks, day=day)
    return DutyShiftFactory(
        representative=rep or site.rep,
        station=site.world.station_a,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
    )


def walk(
    site: Site,
    *,
    to: str,
    title: str = "小区路灯不亮",
    content: str = "晚上路灯不亮，老人出行不便。",
    name: str = "张三丰",
    phone: str = "13812345678",
    reply: str = "已安排维修，月底前完工。",
    rating: str = "satisfied",
    consent: bool = True,
) -> tuple[Suggestion, str | None]:
    """A suggestion submitted online to station A, moved by the staff personas up to `to`
    (received, assigned, replied, closed, published). Returns it and the raw feedback token."""
    s = workflow.suggestion_record(
        actor=None,
        channel="online",
        title=title,
        content=content,
        region=site.world.town_a,
        station=site.world.station_a,
        submitter_name=name,
        submitter_phone=phone,
        consent_to_publish=consent,
        representative=site.rep,
    )
    token = None
    if to == "received":
        return s, None
    s = workflow.suggestion_sort(
        suggestion=s, actor=site.station_staff, category=site.category, urgency="normal", note="内部备注：王科员经办"
    )
    s = workflow.suggestion_propose(
        suggestion=s, actor=site.station_staff, route="unit", unit=site.world.unit_a, note="内部备注：拟交住建局"
    )
    s = workflow.suggestion_hand_over(
        suggestion=s, actor=site.committee_staff, lead_unit=site.world.unit_a, note="内部备注：请尽快办理"
    )
    if to == "assigned":
        return s, None
    s = workflow.suggestion_acknowledge(suggestion=s, actor=site.unit_staff)
    s = workflow.suggestion_reply(suggestion=s, actor=site.unit_staff, category="A", text=reply)
    token = feedback_token(s)
    if to == "replied":
        return s, token
    s = workflow.suggestion_feedback(suggestion=s, actor=None, token=token, rating=rating, text="谢谢")
    if to == "closed":
        return s, None
    s = workflow.suggestion_publish(suggestion=s, actor=site.committee_staff)
    assert to == "published"
    return s, None


def feedback_token(suggestion: Suggestion) -> str:
    """The raw one-time token the workflow put into the voter's reply notification."""
    row = Outbox.objects.filter(suggestion=suggestion, kind="suggestion.replied").order_by("-id").first()
    assert row is not None
    token = row.payload["feedback_token"]
    assert isinstance(token, str)
    return token


def form_data(site: Site, **overrides: Any) -> dict[str, Any]:
    """A valid online suggestion as the browser posts it (captcha in test mode)."""
    data: dict[str, Any] = {
        "title": "公交站台没有遮雨棚",
        "content": "鼓东路公交站台没有遮雨棚，下雨天等车很不方便。",
        "category": site.category.pk,
        "region": site.world.town_a.pk,
        "address": "鼓东路口",
        "submitter_name": "李四",
        "submitter_phone": "13912345678",
        "submitter_email": "",
        "website": "",
        "captcha_0": "test",
        "captcha_1": "PASSED",
    }
    data.update(overrides)
    return data
