"""A re-handled case, built through the workflow's own actions, for the tests that show the
case file 督办档案 (staff page, printed form, API, the voter's status page, the board)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import User
from suggestions import workflow
from suggestions.models import Suggestion
from tests.suggestions.workflow_builders import Cast, build, latest_token

FIRST_ANSWER = "第一轮答复：已安排维修，月底前完工。"
SECOND_ANSWER = "第二轮答复：已更换三盏路灯，张三可拨打13812345678核实。"
VOTER_FIRST_COMMENT = "路灯仍然不亮，张三很失望。"
REP_FIRST_COMMENT = "进度偏慢，请加快。"
CO_OPINIONS = ("同意牵头单位方案。", "补充：电缆由我局负责更换。")
PROGRESS = "施工队已进场。"


def _user(cast: Cast, persona: str) -> User:
    user = cast.users[persona]
    assert user is not None
    return user


def rehandled(cast: Cast, *, first_round_only: bool = False) -> Suggestion:
    """Handed over with a co-unit (two versions of its opinion), an extension granted, a "B"
    reply with a progress report, the representative's 基本满意 and the voter's 不满意 by link,
    re-handled, an "A" reply and the voter's 满意 by link: closed, two rounds.

    `first_round_only` stops after the representative's rating of the first answer (replied)."""
    admin = cast.admin
    s, _token = build(cast, "in_progress")
    for text in CO_OPINIONS:
        s = workflow.suggestion_co_opinion(suggestion=s, actor=_user(cast, "co_unit_staff"), text=text)
    s = workflow.suggestion_request_extension(suggestion=s, actor=admin, days=3, reason="需协调电缆采购")
    s = workflow.suggestion_decide_extension(suggestion=s, actor=admin, approve=True, note="同意延期")
    s = workflow.suggestion_reply(
        suggestion=s,
        actor=admin,
        category="B",
        text=FIRST_ANSWER,
        follow_up_due=timezone.localdate() + dt.timedelta(days=30),
    )
    s = workflow.suggestion_report_follow_up(
        suggestion=s, actor=admin, text=PROGRESS, next_due=timezone.localdate() + dt.timedelta(days=20)
    )
    rep = _user(cast, "representative_user")
    s = workflow.suggestion_rate_as_representative(suggestion=s, actor=rep, rating="basic", text=REP_FIRST_COMMENT)
    if first_round_only:
        return s
    s = workflow.suggestion_feedback(
        suggestion=s, actor=None, token=latest_token(s), rating="dissatisfied", text=VOTER_FIRST_COMMENT
    )
    assert s.state == "in_progress"
    s = workflow.suggestion_reply(suggestion=s, actor=admin, category="A", text=SECOND_ANSWER)
    s = workflow.suggestion_feedback(suggestion=s, actor=None, token=latest_token(s), rating="satisfied")
    assert s.state == "closed"
    return s
