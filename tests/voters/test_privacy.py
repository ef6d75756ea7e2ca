"""No public page leaks a voter's mobile number, ID-card number or full name, however they
were written into the suggestion (full-width digits, spaces, dashes) — property-tested."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from suggestions.workflow import suggestion_feedback, suggestion_publish
from tests.voters.conftest import Site, walk
from tests.voters.test_masking import id_numbers, mobile_numbers, normalised_digits, written

pytestmark = pytest.mark.django_db

SURNAMES = "王李张刘杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = "蕾婷娜娟伟强磊军洋勇艳杰涛超秀霞刚桂英"


def digits_of(page: str) -> str:
    """The page's text (tags dropped) with numbers reassembled across spaces and dashes."""
    return normalised_digits(html.unescape(re.sub(r"<[^>]*>", "", page)))


def letters_of(page: str) -> str:
    return re.sub(r"\s+", "", html.unescape(page))


@hypothesis_settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    surname=st.sampled_from(SURNAMES),
    given_name=st.text(alphabet=GIVEN, min_size=1, max_size=2),
    mobile=mobile_numbers(),
    id_number=id_numbers(),
)
def test_no_public_page_shows_the_voters_phone_id_number_or_name(
    client: Client,
    site: Site,
    settings: Any,
    data: st.DataObject,
    surname: str,
    given_name: str,
    mobile: str,
    id_number: str,
) -> None:
    settings.PUBLIC_LOOKUP_PER_IP_PER_HOUR = 1000  # every example looks up from the same address
    name = surname + given_name
    spaced_name = data.draw(st.sampled_from([name, " ".join(name), "\u3000".join(name)]))
    phone_in_text = data.draw(written(mobile))
    id_in_text = data.draw(written(id_number))
    s, token = walk(
        site,
        to="replied",
        name=name,
        phone=mobile,
        title=f"{spaced_name}反映 {phone_in_text}",
        content=f"我是{spaced_name}，电话{phone_in_text}，身份证{id_in_text}。小区路灯坏了。",
        reply=f"{spaced_name}您好，已联系您（{data.draw(written(mobile))}），身份证 {id_in_text} 已核实。",
    )
    assert token is not None
    pages = [
        client.get(reverse("public:rate", args=[token])),
        client.post(reverse("public:status"), {"code": s.tracking_code, "last4": mobile[-4:]}),
    ]
    s = suggestion_feedback(suggestion=s, actor=None, token=token, rating="satisfied")
    suggestion_publish(suggestion=s, actor=site.committee_staff)
    pages += [
        client.get(reverse("public:board")),
        client.get(reverse("public:board_case", args=[s.pk])),
        client.get(reverse("public:units")),
    ]
    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        assert mobile not in digits_of(page)
        assert id_number[:17] not in digits_of(page)
        assert name not in letters_of(page)
    # The pages did show the case: masked, not missing.
    assert f"{surname}**" in pages[3].content.decode()
    assert f"{mobile[:3]}****{mobile[-4:]}" in pages[3].content.decode()
