"""Status lookup by tracking code + last four digits of the phone: the public timeline, the
same answer for a wrong code and a wrong phone, and limits per client address, per code from
one address and per code from all addresses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils.translation import gettext as _

from suggestions.models import Suggestion
from suggestions.tracking import tracking_code_display
from tests.voters.conftest import Site, walk

pytestmark = pytest.mark.django_db

STATUS = "/s/status/"
FULL_WIDTH_LETTERS = {ord(c): ord(c) + 0xFEE0 for c in "abcdefghijklmnopqrstuvwxyz0123456789"}
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def lookup(client: Client, code: str, last4: str, **extra: Any) -> Any:
    return client.post(STATUS, {"code": code, "last4": last4}, **extra)


def body(response: Any) -> bytes:
    """The page without its per-request CSRF token."""
    return CSRF.sub(b"", response.content)


def test_the_voter_sees_the_public_timeline_without_staff_or_notes(client: Client, site: Site) -> None:
    s, _token = walk(site, to="replied", reply="张三丰同志：已修好，有事打13812345678。")
    response = lookup(client, s.tracking_code, "5678")
    assert response.status_code == 200
    page = response.content.decode()
    assert s.title in page
    assert site.world.unit_a.name in page  # handed over to which unit
    assert f"{s.reply_due:%Y-%m-%d}" in page  # its due date
    assert "已修好" in page  # the reply
    for label in ("Received", "Handed over", "Replied"):
        assert _(label) in page
    # No staff names, no internal notes, no unmasked name or phone.
    for staff in (site.station_staff, site.committee_staff, site.unit_staff):
        assert str(staff) not in page
        assert staff.username not in page
    assert "内部备注" not in page
    assert "张三丰" not in page
    assert "13812345678" not in page
    assert "张**" in page


def test_code_as_people_type_it_is_accepted(client: Client, site: Site) -> None:
    s, _token = walk(site, to="received")
    typed = " " + tracking_code_display(s.tracking_code).lower().translate(FULL_WIDTH_LETTERS) + " "
    response = lookup(client, typed, "５６７８")
    assert response.status_code == 200
    assert s.title in response.content.decode()


def test_wrong_code_and_wrong_phone_get_the_same_answer(
    client: Client, site: Site, django_assert_num_queries: Any
) -> None:
    s, _token = walk(site, to="assigned")
    other, _no_token = walk(site, to="received", title="另一件", phone="13900009999")
    made_up = "ABCDE" + s.tracking_code[5:] if s.tracking_code[:5] != "ABCDE" else "BCDEF" + s.tracking_code[5:]
    assert not Suggestion.objects.filter(tracking_code=made_up).exists()
    queries = _count(client, made_up, "5678")
    with django_assert_num_queries(queries):
        wrong_code = lookup(client, made_up, "5678")
    with django_assert_num_queries(queries):
        wrong_phone = lookup(client, s.tracking_code, "0000")
    someone_elses_phone = lookup(client, s.tracking_code, other.submitter_phone_last4)
    assert wrong_code.status_code == wrong_phone.status_code == someone_elses_phone.status_code == 200
    assert body(wrong_code) == body(wrong_phone) == body(someone_elses_phone)
    assert s.title.encode() not in wrong_phone.content
    # Nothing typed is echoed back either.
    assert s.tracking_code.encode() not in wrong_phone.content
    assert made_up.encode() not in wrong_code.content


def _count(client: Client, code: str, last4: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        lookup(client, code, last4)
    return len(queries)


def test_malformed_last_four_digits_is_explained(client: Client, site: Site) -> None:
    s, _token = walk(site, to="received")
    response = lookup(client, s.tracking_code, "12a")
    assert response.status_code == 400
    assert response.context["form"].errors["last4"]
    assert s.title not in response.content.decode()


def test_wrong_tries_lock_the_code_only_for_the_address_they_come_from(
    client: Client, site: Site, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PUBLIC_LOOKUP_PER_CODE_PER_HOUR = 3
    s, _token = walk(site, to="received")
    attacker = "203.0.113.66"
    # The same code typed three ways is still the same code.
    spellings = [s.tracking_code, tracking_code_display(s.tracking_code).lower(), " ".join(s.tracking_code)]
    for i, spelling in enumerate(spellings):
        response = lookup(client, spelling, f"000{i}", HTTP_X_FORWARDED_FOR=attacker)
        assert response.status_code == 200
    # The fourth try from that address, even with the right digits, is refused.
    limited = lookup(client, s.tracking_code, "5678", HTTP_X_FORWARDED_FOR=attacker)
    assert limited.status_code == 429
    assert s.title not in limited.content.decode()
    assert "尝试次数过多" in limited.content.decode()
    # The voter, from their own phone's address, still finds their suggestion.
    owner = lookup(client, s.tracking_code, "5678", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert owner.status_code == 200
    assert s.title in owner.content.decode()
    # Another code from the attacker's address still works.
    other, _no_token = walk(site, to="received", title="另一件", phone="13900009999")
    assert lookup(client, other.tracking_code, "9999", HTTP_X_FORWARDED_FOR=attacker).status_code == 200


def test_one_code_tried_from_many_addresses_is_limited_over_all_of_them(
    client: Client, site: Site, settings: Any
) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PUBLIC_LOOKUP_PER_CODE_ALL_PER_HOUR = 4
    s, _token = walk(site, to="received")
    for i in range(4):
        assert lookup(client, s.tracking_code, f"{i:04d}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code == 200
    # Guessing the digits from a fifth address is refused; the slip's QR key still opens it
    # (tests/voters/test_status_told.py).
    assert lookup(client, s.tracking_code, "5678", HTTP_X_FORWARDED_FOR="203.0.113.50").status_code == 429
    settings.PUBLIC_LOOKUP_PER_CODE_ALL_PER_HOUR = 0  # off
    assert lookup(client, s.tracking_code, "5678", HTTP_X_FORWARDED_FOR="203.0.113.51").status_code == 200


def test_a_made_up_code_is_limited_exactly_like_a_real_one(client: Client, site: Site, settings: Any) -> None:
    settings.PUBLIC_LOOKUP_PER_CODE_PER_HOUR = 2
    settings.PUBLIC_LOOKUP_PER_IP_PER_HOUR = 100
    s, _token = walk(site, to="received")
    made_up = "23456789AB" if s.tracking_code != "23456789AB" else "3456789ABC"
    statuses = {
        code: [lookup(client, code, "0000").status_code for _ in range(3)] for code in (s.tracking_code, made_up)
    }
    assert statuses[s.tracking_code] == statuses[made_up] == [200, 200, 429]


def test_attempts_are_limited_per_client_address(client: Client, site: Site, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PUBLIC_LOOKUP_PER_IP_PER_HOUR = 3
    s, _token = walk(site, to="received")
    codes = ["23456789AB", "3456789ABC", "456789ABCD"]
    for code in codes:
        assert lookup(client, code, "1234", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200
    # What the client claims in front of the proxy's entry does not matter.
    spoofed = "10.9.9.9, 198.51.100.7"
    assert lookup(client, s.tracking_code, "5678", HTTP_X_FORWARDED_FOR=spoofed).status_code == 429
    # Another voter behind the same proxy is not affected.
    assert lookup(client, s.tracking_code, "5678", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 200


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(client: Client, site: Site, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    settings.PUBLIC_LOOKUP_PER_IP_PER_HOUR = 2
    for i in range(2):
        assert lookup(client, "23456789AB", "1234", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").status_code == 200
    assert lookup(client, "3456789ABC", "1234", HTTP_X_FORWARDED_FOR="192.0.2.50").status_code == 429


def test_status_pages_are_not_cached(client: Client, site: Site) -> None:
    s, _token = walk(site, to="received")
    response = lookup(client, s.tracking_code, "5678")
    assert "no-store" in response["Cache-Control"]
