"""Rating the reply through the one-time link: works once, then says it was used; an expired
link says so; a guessed link is a 404."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from suggestions.models import FeedbackToken, Rating, State, Suggestion, SuggestionEvent
from suggestions.workflow import MSG_LINK_EXPIRED, MSG_LINK_USED
from tests.voters.conftest import Site, walk

pytestmark = pytest.mark.django_db


def rate_url(token: str) -> str:
    return reverse("public:rate", args=[token])


def fresh(s: Suggestion) -> Suggestion:
    return Suggestion.objects.get(pk=s.pk)


def test_the_link_shows_the_masked_reply_and_a_rating_form(client: Client, site: Site) -> None:
    _s, token = walk(site, to="replied", reply="张三丰您好：路灯已修复。联系电话 138 1234 5678")
    assert token is not None
    response = client.get(rate_url(token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "路灯已修复" in page
    assert "张三丰" not in page
    assert "5678" in page
    assert "13812345678" not in page.replace(" ", "")
    for value in Rating.values:
        assert f'value="{value}"' in page


def test_the_link_works_once_then_says_it_was_used(client: Client, site: Site) -> None:
    s, token = walk(site, to="replied")
    assert token is not None
    response = client.post(rate_url(token), {"rating": "satisfied", "text": "好<b>评</b><script>x</script>"})
    assert response.status_code == 302
    assert response["Location"] == reverse("public:rate_thanks")
    s = fresh(s)
    assert s.state == State.CLOSED
    assert s.rating == Rating.SATISFIED
    assert s.feedback_text == "好<b>评</b><script>x</script>"  # stored as typed
    assert SuggestionEvent.objects.filter(suggestion=s, action="suggestion.feedback_received").count() == 1
    again = client.get(rate_url(token))
    assert again.status_code == 410
    assert str(MSG_LINK_USED) in again.content.decode()
    resubmit = client.post(rate_url(token), {"rating": "dissatisfied"})
    assert resubmit.status_code == 410
    assert fresh(s).rating == Rating.SATISFIED
    assert SuggestionEvent.objects.filter(suggestion=s, action="suggestion.feedback_received").count() == 1


def test_an_expired_link_says_so(client: Client, site: Site, settings: Any) -> None:
    s, token = walk(site, to="replied")
    assert token is not None
    later = timezone.now() + dt.timedelta(days=settings.FEEDBACK_LINK_VALID_DAYS, minutes=1)
    with time_machine.travel(later, tick=False):
        response = client.get(rate_url(token))
        assert response.status_code == 410
        assert str(MSG_LINK_EXPIRED) in response.content.decode()
        assert client.post(rate_url(token), {"rating": "satisfied"}).status_code == 410
    assert fresh(s).state == State.REPLIED
    assert fresh(s).rating == ""


@pytest.mark.parametrize("guess", ["guessed", "A" * 43, "thanks-not", "%00"])
def test_a_guessed_link_is_not_found(client: Client, site: Site, guess: str) -> None:
    walk(site, to="replied")
    assert client.get(rate_url(guess)).status_code == 404
    assert client.post(rate_url(guess), {"rating": "satisfied"}).status_code == 404


def test_a_random_well_formed_token_is_not_found(client: Client, site: Site) -> None:
    s, _token = walk(site, to="replied")
    response = client.post(rate_url(secrets.token_urlsafe(32)), {"rating": "satisfied"})
    assert response.status_code == 404
    assert fresh(s).state == State.REPLIED


def test_dissatisfied_starts_re_handling_and_the_timeline_says_so(client: Client, site: Site) -> None:
    s, token = walk(site, to="replied")
    assert token is not None
    response = client.post(rate_url(token), {"rating": "dissatisfied", "text": "没有修好"}, follow=True)
    assert _("The unit will handle your suggestion again and reply to you.") in response.content.decode()
    s = fresh(s)
    assert s.state == State.IN_PROGRESS
    assert s.rehandle_count == 1
    status = client.post(reverse("public:status"), {"code": s.tracking_code, "last4": "5678"}).content.decode()
    assert _("Being handled again") in status
    assert f"{s.reply_due:%Y-%m-%d}" in status


@pytest.mark.parametrize("data", [{"rating": "delighted"}, {}, {"rating": "satisfied", "text": "长" * 2001}])
def test_bad_rating_input_changes_nothing(client: Client, site: Site, data: dict[str, str]) -> None:
    s, token = walk(site, to="replied")
    assert token is not None
    response = client.post(rate_url(token), data)
    assert response.status_code == 400
    assert fresh(s).state == State.REPLIED
    assert FeedbackToken.objects.get(suggestion=s, used_at__isnull=True)
    # The link still works afterwards.
    assert client.post(rate_url(token), {"rating": "basic"}).status_code == 302


def test_a_link_of_a_suggestion_no_longer_awaiting_feedback_says_so(client: Client, site: Site) -> None:
    s, token = walk(site, to="replied")
    assert token is not None
    from suggestions.workflow import suggestion_feedback

    suggestion_feedback(suggestion=s, actor=site.station_staff, rating="satisfied")  # a phone call-back
    response = client.get(rate_url(token))
    assert response.status_code == 410
    assert client.post(rate_url(token), {"rating": "dissatisfied"}).status_code == 410
    assert fresh(s).rating == Rating.SATISFIED
