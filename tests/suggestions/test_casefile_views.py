"""The case file 督办档案 on the staff pages: every round in order with both ratings, what each
timeline entry set, the printed form round by round, and the representative's own rating
(代表评) as a form in place that also works without JavaScript.

Messages are compared through gettext (the Chinese catalogue is what users see: LANGUAGE_CODE
is zh-hans), and a refusal is checked to have written nothing."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from suggestions import workflow
from suggestions.models import Feedback, Rating, Reply, State, Suggestion, SupervisionLevel
from tests.suggestions.casefile_builders import (
    CO_OPINIONS,
    FIRST_ANSWER,
    PROGRESS,
    REP_FIRST_COMMENT,
    SECOND_ANSWER,
    VOTER_FIRST_COMMENT,
    rehandled,
)
from tests.suggestions.workflow_builders import Cast, build, latest_token, snapshot

pytestmark = pytest.mark.django_db

RATE = "rate_as_representative"


def _login(client: Client, cast: Cast, persona: str) -> None:
    user = cast.users[persona]
    assert user is not None
    client.force_login(user)


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def _detail(s: Suggestion) -> str:
    return f"/suggestions/{s.tracking_code}/"


def _action(s: Suggestion, action: str = RATE) -> str:
    return f"/suggestions/{s.tracking_code}/do/{action}/"


def _casefile(text: str) -> str:
    start = text.index('data-testid="casefile"')
    return text[start : text.index("</section>", start)]


def test_a_rehandled_case_shows_both_answers_and_both_ratings_in_order(client: Client, cast: Cast) -> None:
    s = rehandled(cast)
    _login(client, cast, "committee_staff")
    section = _casefile(_page(client, _detail(s)))

    # Round 1 before round 2, each with its own text, unit and category.
    assert section.index(_("Round %(n)s") % {"n": 1}) < section.index(FIRST_ANSWER)
    assert section.index(FIRST_ANSWER) < section.index(_("Round %(n)s") % {"n": 2}) < section.index(SECOND_ANSWER)
    assert cast.world.unit_a.name in section
    assert str(dict(Reply._meta.get_field("category").choices)["B"]) in section
    # Both ratings of round 1 side by side, with their comments and how they were given.
    first_round = section[: section.index(_("Round %(n)s") % {"n": 2})]
    for expected in (
        _("Voter's rating"),
        _("Representative's rating"),
        str(Rating.DISSATISFIED.label),
        str(Rating.BASIC.label),
        VOTER_FIRST_COMMENT,
        REP_FIRST_COMMENT,
        _("By the voter's link"),
        _("By the receiving representative"),
        _("On time"),
        PROGRESS,
    ):
        assert expected in first_round, expected
    second_round = section[section.index(_("Round %(n)s") % {"n": 2}) :]
    assert str(Rating.SATISFIED.label) in second_round
    assert _("Not rated") in second_round  # the representative has not rated round 2
    # Each version of the co-unit's opinion, and the extension with its decision.
    for text in CO_OPINIONS:
        assert text in section
    assert _("Granted") in section
    assert "同意延期" in section
    assert "需协调电缆采购" in section


def test_the_timeline_says_what_each_step_set(client: Client, cast: Cast) -> None:
    s = rehandled(cast)
    assigned, _t = build(cast, "assigned")
    assigned = workflow.suggestion_supervise(suggestion=assigned, actor=cast.admin, note="请加快")
    _login(client, cast, "committee_staff")
    text = _page(client, _detail(s))
    assert _("Lead unit: %(unit)s") % {"unit": cast.world.unit_a.name} in text
    assert _("Co-units: %(units)s") % {"units": cast.co_unit.name} in text
    assert _("%(days)s more working days asked for") % {"days": 3} in text
    assert _("Granted: %(days)s more working days") % {"days": 3} in text
    assert _("Round %(round)s") % {"round": 2} in text
    assert _("On the answer of round %(round)s") % {"round": 1} in text
    assert _("sent back to the unit for re-handling") in text
    assert _("A revised opinion") in text
    reply_due = Suggestion.objects.get(pk=assigned.pk).reply_due
    text = _page(client, _detail(assigned))
    assert _("Supervision level: %(level)s") % {"level": SupervisionLevel.URGE.label} in text
    assert _("Reply by %(day)s") % {"day": f"{reply_due:%Y-%m-%d}"} in text


def test_a_round_whose_text_was_not_kept_shows_the_marker(client: Client, cast: Cast) -> None:
    s = rehandled(cast)
    Reply.objects.filter(suggestion=s, round=1).update(text="", text_lost=True)  # as the migration left it
    _login(client, cast, "committee_staff")
    section = _casefile(_page(client, _detail(s)))
    assert _("(The original text of this round's answer was not kept.)") in section
    with override("zh-hans"):
        assert "（本轮答复原文未保存）" in _casefile(_page(client, _detail(s)))
    assert FIRST_ANSWER not in section
    assert SECOND_ANSWER in section
    printed = _page(client, f"{_detail(s)}form/")
    assert _("(The original text of this round's answer was not kept.)") in printed


def test_the_printed_form_holds_each_round_with_its_ratings(client: Client, cast: Cast) -> None:
    s = rehandled(cast)
    _login(client, cast, "committee_staff")
    response = client.get(f"{_detail(s)}form/")
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert text.index(FIRST_ANSWER) < text.index(SECOND_ANSWER)
    assert _("Representative's evaluation") in text
    assert VOTER_FIRST_COMMENT in text
    assert REP_FIRST_COMMENT in text
    assert PROGRESS in text
    rounds = re.findall(r'data-round="(\d+)"', text)
    assert rounds == ["1", "2"]
    # Ticked: round 1 voter 不满意 and representative 基本满意, round 2 voter 满意.
    assert response.content.decode().count('class="tick on"') == 3


def test_the_representative_rates_in_place_and_a_second_rating_is_refused(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "replied", reply_category="A")
    _login(client, cast, "representative_user")
    page = _page(client, _detail(s))
    assert f'data-action="{RATE}"' in page

    form = client.get(_action(s), headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert f'data-action-form="{RATE}"' in form.content.decode()
    assert "<html" not in form.content.decode()  # the fragment only, swapped in place

    version = Suggestion.objects.get(pk=s.pk).version
    done = client.post(_action(s), {"version": version, "rating": "basic", "text": "还需跟进"})
    assert done.status_code == 302  # without JavaScript: back to the suggestion page
    rating = Feedback.objects.get(suggestion=s, party="representative")
    assert (rating.rating, rating.text, rating.reply.round) == ("basic", "还需跟进", 1)
    after = _page(client, _detail(s))
    assert _("Your rating as representative is recorded.") in after
    assert f'data-action="{RATE}"' not in after
    assert Suggestion.objects.get(pk=s.pk).state == State.REPLIED  # 代表评 never moves the case
    assert "还需跟进" in _casefile(after)

    before = snapshot(s)
    again = client.post(
        _action(s),
        {"version": Suggestion.objects.get(pk=s.pk).version, "rating": "satisfied"},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 409
    message = _("You have already rated this answer. Each answer is rated once.")
    assert message in html.unescape(again.content.decode())
    with override("zh-hans"):
        assert message != "You have already rated this answer. Each answer is rated once."  # translated
    assert snapshot(s) == before


def test_a_rating_without_a_choice_is_refused_next_to_the_field(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "replied", reply_category="A")
    _login(client, cast, "representative_user")
    before = snapshot(s)
    response = client.post(_action(s), {"version": Suggestion.objects.get(pk=s.pk).version, "text": "无"})
    assert response.status_code == 400
    assert _("Choose how satisfied you are with the handling.") in html.unescape(response.content.decode())
    assert snapshot(s) == before


@pytest.mark.parametrize(("persona", "status"), [("committee_staff", 403), ("station_staff", 403), ("admin_user", 403)])
def test_staff_cannot_rate_as_the_representative(client: Client, cast: Cast, persona: str, status: int) -> None:
    s, _t = build(cast, "replied", reply_category="A")
    _login(client, cast, persona)
    assert f'data-action="{RATE}"' not in _page(client, _detail(s))
    before = snapshot(s)
    response = client.post(_action(s), {"version": Suggestion.objects.get(pk=s.pk).version, "rating": "satisfied"})
    assert response.status_code == status
    assert snapshot(s) == before


def test_the_representatives_own_page_offers_the_rating(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "replied", reply_category="A")
    _login(client, cast, "representative_user")
    page = _page(client, reverse("representatives:my_suggestions"))
    assert _action(s) in page
    rep = cast.users["representative_user"]
    assert rep is not None
    workflow.suggestion_rate_as_representative(suggestion=s, actor=rep, rating="satisfied")
    page = _page(client, reverse("representatives:my_suggestions"))
    assert _action(s) not in page
    assert _("My rating") in page


def test_the_case_file_costs_the_same_however_many_rounds(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "replied", reply_category="A")
    _login(client, cast, "committee_staff")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_detail(s)).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for _round in range(2):
        s = workflow.suggestion_feedback(suggestion=s, actor=None, token=latest_token(s), rating="dissatisfied")
        if s.state != State.IN_PROGRESS:
            break
        s = workflow.suggestion_reply(suggestion=s, actor=cast.admin, category="A", text="再次答复")
    assert Reply.objects.filter(suggestion=s).count() >= 2
    assert count() == one


def test_an_on_the_spot_answer_is_its_own_round_without_a_deadline(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "received")
    s = workflow.suggestion_resolve_on_spot(suggestion=s, actor=cast.admin, reply_text="代表现场协调，已修好。")
    _login(client, cast, "station_staff")
    section = _casefile(_page(client, _detail(s)))
    assert _("Round %(n)s") % {"n": 1} in section
    assert _("Resolved on the spot") in section
    assert "代表现场协调，已修好。" in section
    assert _("Deadline in force") not in section  # an on-the-spot answer has none
    assert _("Late") not in section


def test_a_late_answer_says_so_with_its_working_days(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    assert s.reply_due is not None
    later = timezone.make_aware(dt.datetime.combine(s.reply_due + dt.timedelta(days=7), dt.time(10)))
    with time_machine.travel(later, tick=False):
        s = workflow.suggestion_reply(suggestion=s, actor=cast.admin, category="A", text="迟到的答复。")
    answer = Reply.objects.get(suggestion=s)
    assert answer.on_time is False
    assert answer.working_days is not None
    _login(client, cast, "committee_staff")
    section = _casefile(_page(client, _detail(s)))
    assert 'data-testid="late"' in section
    assert f"{answer.due:%Y-%m-%d}" in section
    days = answer.working_days
    assert ngettext("%(days)s working day", "%(days)s working days", days) % {"days": days} in section
