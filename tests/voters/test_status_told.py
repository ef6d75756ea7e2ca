"""The status page beyond code + phone digits (issue 14 §5): a merged duplicate's voter sees the
case theirs follows, masked; the printed slip's QR code opens the page with a signed key and no
phone; a tampered key gets the answer of a wrong code; a valid key is never limited, a foreign one
counts against its address."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from stations.services import visit_record
from suggestions import workflow
from suggestions.models import Suggestion
from suggestions.status_access import status_key_make, status_key_url
from suggestions.tracking import tracking_code_display
from tests.voters.conftest import Site, walk
from voters.qr import qr_svg

pytestmark = pytest.mark.django_db

STATUS = "/s/status/"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
# What differs by the address asked, not by the answer: the language switch's way back, the menu's mark.
BY_ADDRESS = re.compile(rb'name="next" type="hidden" value="[^"]*"| aria-current="page"')
NOT_FOUND = "查询码与电话号码不匹配，请核对后重试。"


def body(response: Any) -> bytes:
    """The page without its per-request CSRF token and what depends on the address asked."""
    return BY_ADDRESS.sub(b"", CSRF.sub(b"", response.content))


def merged_duplicate(site: Site, target: Suggestion, *, phone: str = "13900001111") -> Suggestion:
    dup = workflow.suggestion_record(
        actor=None,
        channel="online",
        title="鼓东路路灯坏了",
        content="路灯坏了一个月。",
        region=site.world.town_a,
        station=site.world.station_a,
        submitter_name="李四",
        submitter_phone=phone,
    )
    return workflow.suggestion_sort(
        suggestion=dup, actor=site.station_staff, category=None, urgency="normal", merge_into=target
    )


def key_path(code: str) -> str:
    return f"/s/status/k/{status_key_make(tracking_code=code)}/"


# --- A merged duplicate follows the case --------------------------------------------------


def test_a_merged_duplicates_voter_sees_the_progress_and_answer_of_the_case_it_follows(
    client: Client, site: Site
) -> None:
    target, _token = walk(site, to="assigned")
    dup = merged_duplicate(site, target)
    # Replied after the merge: the duplicate's page shows it without anything being copied over.
    target = workflow.suggestion_acknowledge(suggestion=target, actor=site.unit_staff)
    workflow.suggestion_reply(
        suggestion=target, actor=site.unit_staff, category="A", text="张三丰同志：已修好，有事打13812345678。"
    )
    response = client.post(STATUS, {"code": dup.tracking_code, "last4": "1111"})
    assert response.status_code == 200
    page = response.content.decode()
    assert tracking_code_display(dup.tracking_code) in page  # their own code
    assert "鼓东路路灯坏了" in page  # their own suggestion
    assert 'data-testid="followed-case"' in page
    followed = page.split('data-testid="followed-case"', 1)[1]
    assert "已修好" in followed  # the answer
    assert site.world.unit_a.name in followed  # the handling unit
    assert "已答复" in followed
    # Masked as the status page masks; never the other voter's code, name or phone.
    assert "张**" in followed
    for secret in ("张三丰", "13812345678", target.tracking_code, tracking_code_display(target.tracking_code)):
        assert secret not in page


def test_a_case_merged_twice_is_followed_to_the_end_and_the_target_shows_no_follower(
    client: Client, site: Site
) -> None:
    target, _token = walk(site, to="received")
    middle = workflow.suggestion_record(
        actor=None,
        channel="online",
        title="同一盏路灯",
        content="同上。",
        region=site.world.town_a,
        station=site.world.station_a,
        submitter_phone="13700002222",
    )
    last = merged_duplicate(site, middle, phone="13900003333")
    workflow.suggestion_sort(
        suggestion=middle, actor=site.station_staff, category=None, urgency="normal", merge_into=target
    )
    page = client.post(STATUS, {"code": last.tracking_code, "last4": "3333"}).content.decode()
    followed = page.split('data-testid="followed-case"', 1)[1]
    assert "小区路灯不亮" in followed  # the target's title, not the middle one's
    assert "同一盏路灯" not in followed
    own = client.post(STATUS, {"code": target.tracking_code, "last4": "5678"}).content.decode()
    assert 'data-testid="followed-case"' not in own
    assert "鼓东路路灯坏了" not in own


# --- The slip's signed key ------------------------------------------------------------------


def test_the_slip_of_a_voter_without_a_phone_carries_a_qr_code_that_opens_the_status_page(
    client: Client, site: Site
) -> None:
    visit, (no_phone, with_phone) = visit_record(
        actor=site.station_staff,
        station=site.world.station_a,
        channel="reception",
        occurred_at=timezone.now(),
        suggestions=[
            {"title": "菜市场垃圾清运不及时", "submitter_name": "王五"},
            {"title": "小区路灯不亮", "submitter_name": "赵六", "submitter_phone": "13812345678"},
        ],
    )
    client.force_login(site.station_staff)
    slips = client.get(f"/visits/{visit.pk}/").content.decode()
    for s in (no_phone, with_phone):
        url = status_key_url(tracking_code=s.tracking_code)
        assert url.startswith("http://127.0.0.1:8000/s/status/k/")
        # The QR code is drawn inline, for exactly this suggestion's key.
        assert qr_svg(url, title=tracking_code_display(s.tracking_code)).decode() in slips
    assert slips.count('data-testid="slip-qr"') == 2
    assert "扫描二维码即可查询办理进度，无需手机号" in slips
    client.logout()

    response = client.get(key_path(no_phone.tracking_code))
    assert response.status_code == 200
    page = response.content.decode()
    assert "菜市场垃圾清运不及时" in page
    assert tracking_code_display(no_phone.tracking_code) in page
    assert "王五" not in page
    assert "no-store" in response["Cache-Control"]


def test_a_tampered_or_borrowed_key_gets_the_answer_of_a_wrong_code(client: Client, site: Site) -> None:
    mine, _token = walk(site, to="assigned")
    other, _no_token = walk(site, to="received", title="别人的建议", phone="13900009999")
    key = status_key_make(tracking_code=mine.tracking_code)
    signature = key.rsplit(":", 1)[1]
    tampered = [
        key[:-1] + ("A" if key[-1] != "A" else "B"),  # a changed signature
        f"{other.tracking_code}:{signature}",  # someone else's code under my signature
        other.tracking_code,  # a bare code
        "nonsense",
    ]
    wrong_code = client.post(STATUS, {"code": "ABCDEFGHJK", "last4": "5678"})
    assert NOT_FOUND in wrong_code.content.decode()
    for bad in tampered:
        response = client.get(f"/s/status/k/{bad}/")
        assert response.status_code == wrong_code.status_code == 200
        assert body(response) == body(wrong_code)
        assert "别人的建议" not in response.content.decode()
        assert mine.title not in response.content.decode()
    # A key signed for another purpose (another salt) opens nothing either.
    from django.core import signing

    foreign = signing.Signer(salt="something.else").sign(mine.tracking_code)
    assert NOT_FOUND in client.get(f"/s/status/k/{foreign}/").content.decode()


def test_the_slips_key_opens_the_page_even_when_its_code_is_under_attack(
    client: Client, site: Site, settings: Any
) -> None:
    settings.PUBLIC_LOOKUP_PER_IP_PER_HOUR = 3
    settings.PUBLIC_LOOKUP_PER_CODE_PER_HOUR = 2
    settings.PUBLIC_LOOKUP_PER_CODE_ALL_PER_HOUR = 2
    s, _token = walk(site, to="received")
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for last4 in ("0000", "1111", "2222"):
        attacker.post(STATUS, {"code": s.tracking_code, "last4": last4})
    # The code is locked for typed lookups from there and from everywhere, and so is the address.
    assert attacker.post(STATUS, {"code": s.tracking_code, "last4": "5678"}).status_code == 429
    assert client.post(STATUS, {"code": s.tracking_code, "last4": "5678"}).status_code == 429
    # The slip's key still opens the page, from anywhere, the attacker's address too, and again.
    path = key_path(s.tracking_code)
    for visitor in (client, attacker, attacker):
        opened = visitor.get(path)
        assert opened.status_code == 200
        assert s.title in opened.content.decode()


def test_keys_that_are_not_ours_count_against_the_address(client: Client, site: Site, settings: Any) -> None:
    settings.PUBLIC_LOOKUP_PER_IP_PER_HOUR = 2
    s, _token = walk(site, to="received")
    guesser = Client(REMOTE_ADDR="10.0.0.9")
    assert guesser.get("/s/status/k/nonsense/").status_code == 200
    assert guesser.get(f"/s/status/k/{s.tracking_code}:forged/").status_code == 200
    limited = guesser.get("/s/status/k/nonsense2/")
    assert limited.status_code == 429
    assert "尝试次数过多" in html.unescape(limited.content.decode())
    assert guesser.post(STATUS, {"code": s.tracking_code, "last4": "5678"}).status_code == 429  # same count
    # Another address is not affected.
    assert client.get("/s/status/k/nonsense3/").status_code == 200
