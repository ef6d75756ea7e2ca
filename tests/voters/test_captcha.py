"""The captcha of the online suggestion form, made to be read on a phone: four digits in a
200×64 picture without crossing lines, another picture on request, and a wrong answer refused
in Chinese with nothing recorded. Drawn on this machine (no outside service)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from captcha.models import CaptchaStore
from django.test import Client
from django.urls import reverse
from django.utils.translation import override
from PIL import Image

from suggestions.models import Suggestion
from tests.voters.conftest import Site, form_data
from voters.captcha import DIGITS

pytestmark = pytest.mark.django_db

SUGGEST = "/s/suggest/"


def _picture(client: Client, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).convert("L")


def _key_and_image(page: str) -> tuple[str, str]:
    key = re.search(r'name="captcha_0" value="(\w+)"', page)
    image = re.search(r'<img src="([^"]+)"[^>]*class="captcha-img" width="(\d+)" height="(\d+)"', page)
    assert key is not None
    assert image is not None
    assert (image.group(2), image.group(3)) == ("200", "64")
    return key.group(1), image.group(1)


def test_the_form_shows_a_large_picture_of_four_digits_without_lines(
    client: Client, site: Site, captcha_test_mode: Callable[[bool], None]
) -> None:
    captcha_test_mode(False)
    page = client.get(SUGGEST).content.decode()
    key, url = _key_and_image(page)
    assert 'inputmode="numeric"' in page
    assert "请输入图中数字" in page
    store = CaptchaStore.objects.get(hashkey=key)
    assert re.fullmatch(rf"[{DIGITS}]{{4}}", store.challenge)
    assert store.response == store.challenge

    picture = _picture(client, url)
    assert picture.size == (200, 64)
    width, height = picture.size
    ink = [x for x in range(width) if any(picture.getpixel((x, y)) < 128 for y in range(height))]
    assert ink, "the digits are drawn"
    # The digits take the middle; noise arcs and lines (the library's default) would cross
    # the margins too. Here the first and last 16 columns are plain background.
    assert min(ink) > 16
    assert max(ink) < width - 16
    # Large enough to read: the digits are at least 24 px tall.
    rows = [y for y in range(height) if any(picture.getpixel((x, y)) < 128 for x in range(width))]
    assert max(rows) - min(rows) >= 24


def test_another_picture_gives_a_new_key_and_a_new_image(client: Client, site: Site) -> None:
    page = client.get(SUGGEST).content.decode()
    old_key, old_url = _key_and_image(page)
    assert 'data-captcha-refresh="/captcha/refresh/"' in page
    assert "换一张" in page
    fresh = client.get(reverse("captcha-refresh"), headers={"X-Requested-With": "XMLHttpRequest"})
    assert fresh.status_code == 200
    data = fresh.json()
    assert data["key"] != old_key
    assert data["image_url"] != old_url
    new_picture = _picture(client, data["image_url"])
    assert new_picture.size == (200, 64)
    challenge = CaptchaStore.objects.get(hashkey=data["key"]).challenge
    assert re.fullmatch(rf"[{DIGITS}]{{4}}", challenge)


def test_a_wrong_answer_is_refused_in_chinese_and_nothing_is_recorded(
    client: Client, site: Site, captcha_test_mode: Callable[[bool], None]
) -> None:
    captcha_test_mode(False)
    key = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.get(hashkey=key).response
    wrong = "".join("2" if c != "2" else "3" for c in answer)
    with override("zh-hans"):
        response = client.post(SUGGEST, form_data(site, captcha_0=key, captcha_1=wrong))
    assert response.status_code == 400
    page = response.content.decode()
    assert "验证码不正确，请输入新图片中的数字。" in page
    assert Suggestion.objects.count() == 0
    # The refused form carries a new picture; the used one cannot be tried again.
    new_key, _url = _key_and_image(page)
    assert new_key != key
    assert not CaptchaStore.objects.filter(hashkey=key).exists()


def test_full_width_digits_from_a_chinese_keyboard_are_accepted(
    client: Client, site: Site, captcha_test_mode: Callable[[bool], None]
) -> None:
    captcha_test_mode(False)
    key = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.get(hashkey=key).response
    full_width = " ".join(chr(ord(c) + 0xFEE0) for c in answer)  # "２ ３ ４ ５"
    response = client.post(SUGGEST, form_data(site, captcha_0=key, captcha_1=full_width))
    assert response.status_code == 302
    assert Suggestion.objects.count() == 1
