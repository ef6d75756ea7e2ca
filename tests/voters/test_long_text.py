"""Over-long text on the voter forms is refused with a clear Chinese message and nothing is
written; line breaks count once, as the page's counter counts them."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import override

from suggestions.models import Feedback, State, Suggestion
from tests.voters.conftest import Site, form_data, walk
from voters.forms import CONTENT_MAX, FEEDBACK_MAX, TITLE_MAX

pytestmark = pytest.mark.django_db

SUGGEST = "/s/suggest/"


def _page(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


def test_a_suggestion_one_character_too_long_is_refused_in_chinese(client: Client, site: Site) -> None:
    with override("zh-hans"):
        response = client.post(SUGGEST, form_data(site, content="长" * (CONTENT_MAX + 1), title="题" * (TITLE_MAX + 3)))
    assert response.status_code == 400
    page = _page(response)
    assert f"最多 {CONTENT_MAX} 字，现在有 {CONTENT_MAX + 1} 字，请删减后再提交。" in page
    assert f"最多 {TITLE_MAX} 字，现在有 {TITLE_MAX + 3} 字，请删减后再提交。" in page
    assert "确保该变量" not in page
    # Nothing was cut: the text comes back whole, for the voter to shorten.
    assert "长" * (CONTENT_MAX + 1) in page
    assert Suggestion.objects.count() == 0


def test_line_breaks_sent_as_cr_lf_count_once(client: Client, site: Site) -> None:
    lines = ["第一行", "第二行"] * 10
    text = "\r\n".join(lines)
    body = text + "字" * (CONTENT_MAX - len(text.replace("\r\n", "\n")))
    assert len(body.replace("\r\n", "\n")) == CONTENT_MAX
    assert len(body) > CONTENT_MAX  # what the browser sends
    response = client.post(SUGGEST, form_data(site, content=body))
    assert response.status_code == 302
    assert Suggestion.objects.get().content == body.replace("\r\n", "\n")


def test_a_rating_comment_over_the_limit_is_refused_and_the_case_stays_open(client: Client, site: Site) -> None:
    s, token = walk(site, to="replied")
    assert token is not None
    url = reverse("public:rate", args=[token])
    with override("zh-hans"):
        response = client.post(url, {"rating": "satisfied", "text": "谢" * (FEEDBACK_MAX + 5)})
    assert response.status_code == 400
    assert f"最多 {FEEDBACK_MAX} 字，现在有 {FEEDBACK_MAX + 5} 字，请删减后再提交。" in _page(response)
    assert not Feedback.objects.filter(suggestion=s).exists()
    assert Suggestion.objects.get(pk=s.pk).state == State.REPLIED


def test_the_long_fields_carry_a_limit_for_the_counter(client: Client, site: Site) -> None:
    page = client.get(SUGGEST).content.decode()
    assert f'maxlength="{CONTENT_MAX}"' in page  # counter.js reads it, then lifts the hard cut
    assert 'data-count=""' in page  # the title is counted too
    assert "js/counter.js" in page
    assert "已输入 {count}/{limit} 字" in html.unescape(page)
