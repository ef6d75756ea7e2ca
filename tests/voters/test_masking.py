"""Masking of personal data in public text (suggestions/masking.py)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suggestions.masking import mask_name, mask_phone, mask_text

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SEPARATORS = [" ", "-", "－", "　", "—", " - ", ".", "\u00a0"]


_READER_SEPARATORS = re.compile(r"[\s\-－—–‐‑‒−.．·]+")


def normalised_digits(text: str) -> str:
    """`text` as a reader reassembles numbers: digits as ASCII, the separators people put
    between digit groups dropped; anything else (a star, a letter) still breaks a number."""
    ascii_digits = "".join(str(unicodedata.digit(ch)) if ch.isdecimal() else ch for ch in text)
    return _READER_SEPARATORS.sub("", ascii_digits)


def test_mask_name_keeps_the_surname_only() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张**"
    assert mask_name(" 欧阳娜娜 ") == "欧**"
    assert mask_name("") == ""


def test_mask_phone_mobile_and_landline() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("１３８ １２３４ ５６７８") == "138****5678"
    masked = mask_phone("0591-87654321")
    assert "87654321" not in masked
    assert masked.endswith("4321")
    assert mask_phone("") == ""


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("电话13812345678", "13812345678"),
        ("电话 138 1234 5678", "13812345678"),
        ("电话138-1234-5678", "13812345678"),
        ("电话１３８１２３４５６７８", "13812345678"),
        ("电话 +86 138 1234 5678", "13812345678"),
        ("身份证11010519491231002X", "11010519491231002"),
        ("身份证 110105 19491231 0021", "110105194912310021"),
        ("身份证110105-1949-12-31-0021", "110105194912310021"),
        ("座机0591-87654321找我", "87654321"),
        ("座机(0591)87654321", "87654321"),
    ],
)
def test_mask_text_hides_numbers_however_written(text: str, secret: str) -> None:
    masked = mask_text(text)
    assert secret not in normalised_digits(masked)
    assert "*" in masked


def test_mask_text_masks_names_email_and_keeps_ordinary_text() -> None:
    text = "我是张三丰，邮箱 zhang.sanfeng@example.cn，张 三 丰 2025-03-01 14:30 在鼓东路3号反映。"
    masked = mask_text(text, names=["张三丰"])
    assert "张三丰" not in masked.replace(" ", "")
    assert "zhang.sanfeng@" not in masked
    assert "张**" in masked
    # Dates, times and short numbers stay readable.
    assert "2025-03-01 14:30" in masked
    assert "鼓东路3号" in masked


def test_mask_text_ignores_one_letter_names_and_empty_text() -> None:
    assert mask_text("张家界很美", names=["张"]) == "张家界很美"
    assert mask_text("", names=["张三"]) == ""


@st.composite
def mobile_numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["13", "14", "15", "16", "17", "18", "19"]))
    return prefix + draw(st.text(alphabet="0123456789", min_size=9, max_size=9))


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    area = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    year = draw(st.integers(1930, 2010))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    seq = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    check = draw(st.sampled_from("0123456789X"))
    return f"{area}{year}{month:02d}{day:02d}{seq}{check}"


@st.composite
def written(draw: st.DrawFn, number: str) -> str:
    """The number as a person might type it: groups split anywhere, any separator, full-width or not."""
    cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), max_size=4)))
    groups = [number[i:j] for i, j in zip([0, *cuts], [*cuts, len(number)], strict=True)]
    out = groups[0]
    for group in groups[1:]:
        out += draw(st.sampled_from(SEPARATORS)) + group
    if draw(st.booleans()):
        out = out.translate(FULL_WIDTH)
    return out


SURROUNDINGS = st.text(
    alphabet="的了是在我有他这中大来上国个到说们为子和你地出道也时年电话号码：:，。abc-2025年3月 ", max_size=30
)


@given(data=st.data(), mobile=mobile_numbers(), before=SURROUNDINGS, after=SURROUNDINGS)
def test_no_mobile_survives_masking(data: st.DataObject, mobile: str, before: str, after: str) -> None:
    text = before + data.draw(written(mobile)) + after
    assert mobile not in normalised_digits(mask_text(text))


@given(data=st.data(), number=id_numbers(), before=SURROUNDINGS, after=SURROUNDINGS)
def test_no_id_number_survives_masking(data: st.DataObject, number: str, before: str, after: str) -> None:
    text = before + data.draw(written(number)) + after
    masked = mask_text(text)
    assert number[:17] not in normalised_digits(masked)
    assert not re.search(r"\d{17}[\dXx]", masked)


@given(
    name=st.text(alphabet="王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧", min_size=2, max_size=4),
    before=SURROUNDINGS,
    after=SURROUNDINGS,
    spaced=st.booleans(),
)
def test_the_given_name_never_survives(name: str, before: str, after: str, spaced: bool) -> None:
    written_name = " ".join(name) if spaced else name
    masked = mask_text(before + written_name + after, names=[name])
    assert name not in masked.replace(" ", "").replace("\u3000", "")


# --- Other people's names, found by their form of address (issue 14 §4) ------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("张先生来电反映", "张**先生来电反映"),  # a one-character name: the length is hidden as in mask_name
        ("找到李四主任协调", "找到李**主任协调"),
        ("王大爷和刘阿姨都说", "王**大爷和刘**阿姨都说"),
        ("社区陈书记、赵老师到场", "社区陈**书记、赵**老师到场"),
        ("欧阳修先生", "欧阳**先生"),  # a two-character surname stays whole
        ("我和张三丰主任说过", "我和张**主任说过"),  # 和 before a name is a word, not a surname
        ("班主任张老师", "班主任张**老师"),
        ("保安王大爷", "保安王**大爷"),
    ],
)
def test_names_with_a_form_of_address_are_masked_keeping_surname_and_title(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    ["党支部书记到场", "村委会主任答复", "常务副主任", "班主任说", "保安大爷", "语文老师", "司机师傅", "请先生们注意"],
)
def test_words_that_only_look_like_names_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_the_submitters_name_and_a_third_partys_name_are_both_masked() -> None:
    assert mask_text("张三丰说邻居李四先生也受影响", names=["张三丰"]) == "张**说邻居李**先生也受影响"


def test_a_units_landline_in_its_reply_stays_while_mobiles_and_the_voters_phone_are_masked() -> None:
    from suggestions.masking import mask_reply

    reply = "如有疑问请致电0591-87654321或本局热线0591-83345678；经办人手机13900001111；已回访您（0591-88889999）。"
    masked = mask_reply(reply, submitter_name="张三", submitter_phone="0591-88889999", unit_phone="0591-83345678")
    assert "0591-87654321" in masked  # an official landline with its area code
    assert "0591-83345678" in masked  # the unit's own phone
    assert "13900001111" not in masked
    assert "139****1111" in masked
    assert "88889999" not in normalised_digits(masked)  # the voter's own landline never
    # The same landline in the voter's own words is masked as before.
    assert "87654321" not in normalised_digits(mask_text("我家电话0591-87654321"))
    # The unit's phone in any form (full-width, spaces) stays; a number without area code does not.
    assert "0591 8334 5678" in mask_reply(
        "电话0591 8334 5678", submitter_name="", submitter_phone="", unit_phone="0591-83345678"
    )
    assert "87654321" not in normalised_digits(mask_reply("电话87654321", submitter_name="", submitter_phone=""))
