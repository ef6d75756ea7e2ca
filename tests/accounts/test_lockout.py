"""Login lockout: per username and address, and per address over any usernames; a locked
request costs no password hashing, tells nothing about which usernames exist, and gets a
Chinese page in the login layout saying how long the lock lasts and whom to call."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from tests.accounts.hashers import CountingMD5Hasher
from tests.liaison.pages import english_words, visible_text

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "请输入一个正确的"  # start of Django's Chinese "enter a correct username and password"
LOCKED = "登录已暂时锁定"
ATTACKER = "198.51.100.66"


@pytest.fixture(autouse=True)
def _axes_on(settings: Any) -> None:
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    settings.PASSWORD_HASHERS = ["tests.accounts.hashers.CountingMD5Hasher"]
    CountingMD5Hasher.calls.clear()


@pytest.fixture
def clerk(db: None) -> User:
    user: User = User.objects.create_user(username="clerk", password="Right-Password-9", display_name="王办事员")
    CountingMD5Hasher.calls.clear()
    return user


def _login(username: str, password: str, address: str) -> Any:
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password})


def _text(response: Any) -> str:
    return visible_text(html.unescape(response.content.decode()))


def _hashes_for(call: Any) -> int:
    before = len(CountingMD5Hasher.calls)
    call()
    return len(CountingMD5Hasher.calls) - before


def test_many_usernames_from_one_address_lock_that_address(clerk: User) -> None:
    for i in range(4):
        response = _login(f"guess{i}", "nope", ATTACKER)
        assert response.status_code == 200
        assert WRONG in _text(response)
    # The fifth failure from the address reaches its limit: the lockout page, already.
    assert _login("guess4", "nope", ATTACKER).status_code == 429
    # From now on the address is refused before any password is hashed, even the right one.
    hashes: list[int] = []
    for username, password in (("guess5", "nope"), ("clerk", "Right-Password-9")):
        response = None

        def attempt(username: str = username, password: str = password) -> None:
            nonlocal response
            response = _login(username, password, ATTACKER)

        hashes.append(_hashes_for(attempt))
        assert response is not None
        assert response.status_code == 429
        assert LOCKED in _text(response)
        assert "_auth_user_id" not in response.client.session
    assert hashes == [0, 0]
    # Another address is not affected.
    elsewhere = _login("clerk", "Right-Password-9", "203.0.113.5")
    assert elsewhere.status_code == 302
    assert elsewhere.url == "/"


def test_a_username_tried_from_one_address_is_locked_there_only(clerk: User) -> None:
    for _ in range(2):
        assert _login("clerk", "wrong", "192.0.2.10").status_code == 200
    assert _login("clerk", "wrong", "192.0.2.10").status_code == 429
    assert _login("clerk", "Right-Password-9", "192.0.2.10").status_code == 429
    assert _login("clerk", "Right-Password-9", "192.0.2.11").status_code == 302


def test_the_answer_is_the_same_whether_or_not_the_username_exists(clerk: User) -> None:
    real = _hashes_for(lambda: _login("clerk", "wrong", "192.0.2.20"))
    made_up = _hashes_for(lambda: _login("no-such-user", "wrong", "192.0.2.21"))
    assert real == made_up == 1  # Django hashes for unknown usernames too, so the time is alike
    assert _text(_login("clerk", "wrong", "192.0.2.20")) == _text(_login("no-such-user", "wrong", "192.0.2.21"))
    for _ in range(2):
        _login("clerk", "wrong", "192.0.2.20")
        _login("no-such-user", "wrong", "192.0.2.21")
    locked_real = _login("clerk", "wrong", "192.0.2.20")
    locked_made_up = _login("no-such-user", "wrong", "192.0.2.21")
    assert locked_real.status_code == locked_made_up.status_code == 429
    assert _text(locked_real) == _text(locked_made_up)


def test_the_lock_lifts_after_the_configured_time(clerk: User, settings: Any) -> None:
    settings.LOGIN_LOCKOUT_MINUTES = 30
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for i in range(5):
            _login(f"guess{i}", "nope", ATTACKER)
        assert _login("clerk", "Right-Password-9", ATTACKER).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert _login("clerk", "Right-Password-9", ATTACKER).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        assert _login("clerk", "Right-Password-9", ATTACKER).status_code == 302


def test_the_lockout_page_is_chinese_says_how_long_and_whom_to_call(clerk: User, settings: Any) -> None:
    for i in range(5):
        response = _login(f"guess{i}", "nope", ATTACKER)
    assert response.status_code == 429
    page = response.content.decode()
    text = _text(response)
    assert LOCKED in text
    assert "1 小时" in text
    assert "请联系本级人大常委会信息化管理员" in text
    assert 'class="card narrow"' in page
    assert 'class="topbar"' in page
    assert 'href="/accounts/login/"' in page
    assert english_words(page) == [], text

    settings.LOGIN_LOCKOUT_MINUTES = 90
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=90)
    settings.LOGIN_LOCKOUT_CONTACT = "请致电市人大常委会办公室 0591-87654321"
    text = _text(_login("guess9", "nope", ATTACKER))
    assert "90 分钟" in text
    assert "请致电市人大常委会办公室 0591-87654321" in text


def test_the_admin_sign_in_is_locked_the_same_way(clerk: User) -> None:
    for i in range(5):
        Client(REMOTE_ADDR=ATTACKER).post("/admin/login/", {"username": f"guess{i}", "password": "nope"})
    response = Client(REMOTE_ADDR=ATTACKER).post("/admin/login/", {"username": "clerk", "password": "x"})
    assert response.status_code == 429
    assert LOCKED in _text(response)


def test_behind_a_proxy_the_forwarded_address_is_the_one_locked(clerk: User, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"

    def via_proxy(username: str, password: str, client: str) -> Any:
        return Client(REMOTE_ADDR=proxy).post(
            LOGIN, {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=client
        )

    for i in range(5):
        via_proxy(f"guess{i}", "nope", ATTACKER)
    assert via_proxy("clerk", "Right-Password-9", ATTACKER).status_code == 429
    # Another voter or clerk behind the same proxy signs in.
    assert via_proxy("clerk", "Right-Password-9", "203.0.113.77").status_code == 302
