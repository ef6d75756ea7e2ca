"""Every round of the case file on the voter's status page and the public board, masked: each
answer's own text, the ratings (选民评价, 代表评价), no staff member's name, no unmasked name or
phone; the board shows ratings without the raters' comments."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from representatives.models import Representative
from suggestions import workflow
from suggestions.models import Rating, Reply, Suggestion
from tests.voters.conftest import Site, feedback_token, walk
from tests.voters.test_status import lookup

pytestmark = pytest.mark.django_db

FIRST = "张三丰同志：已安排维修，有事打13812345678。"
SECOND = "第二轮：已更换三盏路灯。"


def _rehandled(site: Site, representative_user: User) -> Suggestion:
    s, token = walk(site, to="replied", reply=FIRST)
    assert token is not None
    # The suggestion was received by a representative who signs in (the site's one does not).
    Suggestion.objects.filter(pk=s.pk).update(representative=Representative.objects.get(user=representative_user))
    s.refresh_from_db()
    s = workflow.suggestion_rate_as_representative(
        suggestion=s, actor=representative_user, rating="basic", text="张三丰反映属实，进度偏慢"
    )
    s = workflow.suggestion_feedback(
        suggestion=s, actor=None, token=token, rating="dissatisfied", text="张三丰仍不满意"
    )
    s = workflow.suggestion_reply(suggestion=s, actor=site.unit_staff, category="A", text=SECOND)
    return s


def test_the_status_page_shows_every_round_masked(client: Client, site: Site, representative_user: User) -> None:
    s = _rehandled(site, representative_user)
    response = lookup(client, s.tracking_code, "5678")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    start = page.index('data-testid="rounds"')
    rounds = page[start : page.index("</ol>", start)]
    assert rounds.index("已安排维修") < rounds.index(SECOND)  # both answers, in order
    for expected in (
        _("Voter's rating"),
        _("Representative's rating"),
        str(Rating.DISSATISFIED.label),
        str(Rating.BASIC.label),
        "仍不满意",  # the voter's own comment, masked
        "反映属实",
    ):
        assert expected in rounds, expected
    assert _("Rated by the representative") in page  # on the timeline too
    # Masked: no name, no phone, no staff, no representative's name on the rounds.
    assert "张三丰" not in page
    assert "13812345678" not in page
    assert "张**" in page
    for staff in (site.station_staff, site.committee_staff, site.unit_staff, representative_user):
        assert str(staff) not in page
        assert staff.username not in page


def test_a_round_whose_text_was_not_kept_says_so_to_the_voter(
    client: Client, site: Site, representative_user: User
) -> None:
    s = _rehandled(site, representative_user)
    Reply.objects.filter(suggestion=s, round=1).update(text="", text_lost=True)
    page = html.unescape(lookup(client, s.tracking_code, "5678").content.decode())
    assert _("(The original text of this round's answer was not kept.)") in page
    assert "已安排维修" not in page


def test_the_board_shows_the_rounds_and_ratings_without_comments(
    client: Client, site: Site, representative_user: User
) -> None:
    s = _rehandled(site, representative_user)
    s = workflow.suggestion_feedback(suggestion=s, actor=None, token=feedback_token(s), rating="satisfied")
    s = workflow.suggestion_publish(suggestion=s, actor=site.committee_staff)
    page = html.unescape(client.get(reverse("public:board_case", kwargs={"pk": s.pk})).content.decode())
    start = page.index('data-testid="rounds"')
    rounds = page[start : page.index("</ol>", start)]
    # Each round's result and ratings; the only words are the published reply (which staff may
    # have edited before publishing), shown once above the rounds, never an earlier round's text.
    assert 'data-round="1"' in rounds
    assert 'data-round="2"' in rounds
    assert "已安排维修" not in page
    assert page.index(SECOND) < start
    assert _("Representative's rating") in rounds
    assert str(Rating.SATISFIED.label) in rounds
    assert str(Rating.DISSATISFIED.label) in rounds
    assert "仍不满意" not in page
    assert "反映属实" not in page
    assert "张三丰" not in page
    assert "13812345678" not in page
    for staff in (site.station_staff, site.committee_staff, site.unit_staff):
        assert str(staff) not in page


def test_the_timeline_names_a_progress_report_date_for_what_it_is(client: Client, site: Site) -> None:
    import datetime as dt

    from django.utils import timezone

    s, _token = walk(site, to="assigned")
    s = workflow.suggestion_acknowledge(suggestion=s, actor=site.unit_staff)
    first_report = timezone.localdate() + dt.timedelta(days=30)
    s = workflow.suggestion_reply(
        suggestion=s, actor=site.unit_staff, category="B", text="已列入计划。", follow_up_due=first_report
    )
    next_report = first_report + dt.timedelta(days=30)
    workflow.suggestion_report_follow_up(suggestion=s, actor=site.unit_staff, text="已开工。", next_due=next_report)
    page = html.unescape(lookup(client, s.tracking_code, "5678").content.decode())
    timeline = page[page.index('class="timeline"') :]
    # The next report's date is not a reply deadline (the case was answered).
    assert f"下次进展报告期限：{next_report:%Y-%m-%d}" in timeline
    assert f"答复期限：{next_report:%Y-%m-%d}" not in timeline
