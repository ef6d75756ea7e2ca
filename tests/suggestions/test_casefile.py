"""The case file (issue 14 §1-§3): every round kept, the figures computed from the rounds.

A case answered late, rated 不满意, re-handled, answered on time and then rated 满意 must count
as dissatisfied in the first round and satisfied in the final one, with one late and one
on-time answer; before the case file it counted as satisfied once and its late reply vanished.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from dashboards.league import unit_league
from dashboards.measures import Figures, suggestion_aggregates
from suggestions import workflow
from suggestions.casefile import case_file_from_events
from suggestions.deadlines import add_working_days
from suggestions.errors import WorkflowError
from suggestions.models import CoOpinion, Feedback, FollowUpReport, Reply, Suggestion, SuggestionEvent
from tests.suggestions.workflow_builders import Cast, build, latest_token

pytestmark = pytest.mark.django_db


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _rehandled_case(cast: Cast) -> Suggestion:
    """Handed over today; answered two working days late; 不满意; answered again on time; 满意."""
    s, _unused = build(cast, "in_progress")
    assert s.reply_due is not None
    late_day = add_working_days(s.reply_due, 2).due
    with time_machine.travel(_at(late_day), tick=False):
        s = workflow.suggestion_reply(suggestion=s, actor=cast.admin, category="C", text="暂不具备条件，明年安排。")
        s = workflow.suggestion_feedback(
            suggestion=s, actor=None, token=latest_token(s), rating="dissatisfied", text="拖了这么久还没解决"
        )
        assert (s.state, s.rehandle_count) == ("in_progress", 1)
    with time_machine.travel(_at(late_day + dt.timedelta(days=1)), tick=False):
        s = workflow.suggestion_reply(suggestion=s, actor=cast.admin, category="A", text="路灯已全部更换。")
        s = workflow.suggestion_feedback(suggestion=s, actor=None, token=latest_token(s), rating="satisfied")
    assert s.state == "closed"
    return s


def test_a_rehandled_case_keeps_both_rounds(cast: Cast) -> None:
    s = _rehandled_case(cast)
    replies = list(Reply.objects.filter(suggestion=s).order_by("round"))
    assert [(r.round, r.category, r.on_time) for r in replies] == [(1, "C", False), (2, "A", True)]
    assert replies[0].text == "暂不具备条件，明年安排。"  # not overwritten by the second answer
    assert replies[0].due is not None
    assert replies[1].due is not None
    assert replies[1].due > replies[0].due
    assert replies[0].working_days is not None
    assert replies[0].working_days > 15
    feedbacks = list(Feedback.objects.filter(suggestion=s).order_by("given_at"))
    assert [(f.reply.round, f.party, f.via, f.rating, f.outcome) for f in feedbacks] == [
        (1, "voter", "link", "dissatisfied", "rehandling"),
        (2, "voter", "link", "satisfied", "closed"),
    ]
    assert feedbacks[0].text == "拖了这么久还没解决"
    assert SuggestionEvent.objects.get(suggestion=s, action="suggestion.replied", data__round=1).reply == replies[0]


def test_figures_of_a_rehandled_case(cast: Cast) -> None:
    s = _rehandled_case(cast)
    row = Suggestion.objects.filter(pk=s.pk).values(**suggestion_aggregates()).get()
    figures = Figures()
    figures.add_row(row)
    assert (figures.replied_with_due, figures.replied_on_time) == (2, 1)
    assert figures.on_time_rate == 50.0  # the late first answer still counts
    assert figures.first_satisfaction_rate == 0.0  # 不满意 with the first answer
    assert figures.satisfaction_rate == 100.0  # 满意 with the latest
    assert figures.rehandle_rate == 100.0
    assert figures.solved_rate == 100.0  # the latest answer is "A"
    assert figures.ack_on_time_rate == 100.0
    league = {u.unit_id: u for u in unit_league()}[cast.world.unit_a.pk]
    assert (league.on_time_rate, league.first_satisfaction_rate, league.satisfaction_rate) == (50.0, 0.0, 100.0)


def test_representative_rates_beside_the_voter_once_per_answer(cast: Cast) -> None:
    s, token = build(cast, "replied")
    rep = cast.users["representative_user"]
    assert "rate_as_representative" in workflow.allowed_actions(suggestion=s, user=rep)
    assert "rate_as_representative" not in workflow.allowed_actions(suggestion=s, user=cast.admin)
    s = workflow.suggestion_rate_as_representative(suggestion=s, actor=rep, rating="basic", text="进度偏慢")
    assert s.state == "replied"  # the representative's rating never closes the case
    assert (s.rep_rating, s.rating) == ("basic", "")
    before = Feedback.objects.count(), SuggestionEvent.objects.filter(suggestion=s).count()
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_rate_as_representative(suggestion=s, actor=rep, rating="satisfied")
    assert caught.value.code == "representative_rating_given"
    assert str(caught.value.message) == "您已评价过这次答复，每次答复只能评价一次。"
    assert (Feedback.objects.count(), SuggestionEvent.objects.filter(suggestion=s).count()) == before
    assert "rate_as_representative" not in workflow.allowed_actions(suggestion=s, user=rep)
    # The voter's rating decides, and after closing the representative can no longer rate again.
    assert token is not None
    s = workflow.suggestion_feedback(suggestion=s, actor=None, token=token, rating="satisfied")
    assert s.state == "closed"
    assert sorted(Feedback.objects.filter(suggestion=s).values_list("party", "rating")) == [
        ("representative", "basic"),
        ("voter", "satisfied"),
    ]
    with pytest.raises(WorkflowError) as second:
        workflow.suggestion_feedback(suggestion=s, actor=cast.users["station_staff"], rating="dissatisfied")
    assert second.value.code == "invalid_state"


def test_co_opinions_and_follow_ups_are_each_kept(cast: Cast) -> None:
    s, _unused = build(cast, "in_progress")
    co = cast.users["co_unit_staff"]
    s = workflow.suggestion_co_opinion(suggestion=s, actor=co, text="同意。")
    s = workflow.suggestion_co_opinion(suggestion=s, actor=co, text="补充：需协调供电公司。")
    assert list(CoOpinion.objects.filter(suggestion=s).order_by("id").values_list("text", flat=True)) == [
        "同意。",
        "补充：需协调供电公司。",
    ]
    follow = timezone.localdate() + dt.timedelta(days=20)
    s = workflow.suggestion_reply(suggestion=s, actor=cast.admin, category="B", text="正在施工。", follow_up_due=follow)
    s = workflow.suggestion_report_follow_up(
        suggestion=s, actor=cast.admin, text="已完成一半。", next_due=follow + dt.timedelta(days=10)
    )
    s = workflow.suggestion_report_follow_up(suggestion=s, actor=cast.admin, text="已全部完工。", solved=True)
    reports = list(FollowUpReport.objects.filter(suggestion=s).order_by("id"))
    assert [(r.text, r.solved, r.reply.round if r.reply else None) for r in reports] == [
        ("已完成一半。", False, 1),
        ("已全部完工。", True, 1),
    ]


def test_migration_builds_the_case_file_from_the_events(cast: Cast) -> None:
    """Data from before the case file: the events and the latest answer are all there is."""
    s = _rehandled_case(cast)
    expected = Suggestion.objects.filter(pk=s.pk).values(
        "answers", "answers_with_due", "answers_on_time", "first_rating", "rating", "acks_with_due", "acks_on_time"
    )
    before = expected.get()
    Feedback.objects.filter(suggestion=s).delete()
    Reply.objects.filter(suggestion=s).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE suggestions_suggestion SET answers = 0, answers_with_due = 0, answers_on_time = 0, "
            "first_rating = '', acks_with_due = 0, acks_on_time = 0 WHERE id = %s",
            [s.pk],
        )
        cursor.execute(
            "UPDATE suggestions_assignment SET acknowledged_at = NULL, acknowledged_late = NULL "
            "WHERE suggestion_id = %s",
            [s.pk],
        )
    case_file_from_events()
    assert expected.get() == before
    replies = list(Reply.objects.filter(suggestion=s).order_by("round"))
    assert [(r.round, r.category, r.on_time, r.text_lost) for r in replies] == [
        (1, "C", False, True),  # its text was overwritten before the case file existed
        (2, "A", True, False),
    ]
    assert replies[1].text == "路灯已全部更换。"
    assert list(Feedback.objects.filter(suggestion=s).order_by("given_at").values_list("reply__round", "rating")) == [
        (1, "dissatisfied"),
        (2, "satisfied"),
    ]
    case_file_from_events()  # a second run adds nothing
    assert Reply.objects.filter(suggestion=s).count() == 2
