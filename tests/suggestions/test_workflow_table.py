"""Every state × action × role of DESIGN §3.

The expected table below is written out by hand from DESIGN §3 (not derived from
`workflow.TRANSITIONS`), so a change to the code's table that disagrees with the design fails
here. Allowed combinations must move the state as written and write exactly one event with
the action's code; every other combination must raise `WorkflowError` and leave the row, the
event log, the outbox and every related row exactly as they were.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from suggestions import workflow
from suggestions.errors import WorkflowError
from suggestions.models import Suggestion, SuggestionEvent
from tests.suggestions.workflow_builders import Cast, build, record, snapshot

pytestmark = pytest.mark.django_db

STATES = ["received", "sorted", "proposed", "assigned", "in_progress", "replied", "closed", "merged"]

STATION = {"station_staff", "admin_user"}
COMMITTEE = {"committee_staff", "city_committee_staff", "admin_user"}
LEAD = {"unit_staff", "admin_user"}
CO = {"co_unit_staff", "admin_user"}

# action: (states it may start from, personas allowed, resulting state or None for "unchanged", event code)
EXPECTED: dict[str, tuple[set[str], set[str], str | None, str]] = {
    "sort": ({"received"}, STATION, "sorted", "suggestion.sorted"),
    "merge": ({"received"}, STATION, "merged", "suggestion.merged"),
    "resolve_on_spot": ({"received", "sorted"}, STATION, "replied", "suggestion.resolved_on_spot"),
    "propose": ({"sorted"}, STATION, "proposed", "suggestion.proposed"),
    "hand_over": ({"proposed"}, COMMITTEE, "assigned", "suggestion.handed_over"),
    "decline": ({"proposed"}, COMMITTEE, "closed", "suggestion.declined"),
    "acknowledge": ({"assigned"}, LEAD, "in_progress", "suggestion.acknowledged"),
    "return": ({"assigned"}, LEAD, "proposed", "suggestion.returned"),
    "co_opinion": ({"assigned", "in_progress"}, CO, None, "suggestion.co_opinion_given"),
    "request_extension": ({"in_progress"}, LEAD, None, "suggestion.extension_requested"),
    "decide_extension": ({"in_progress"}, COMMITTEE, None, "suggestion.extension_decided"),
    # replied and closed: the "B" reply's follow-up reports (issue 14 §6); `build` replies "B".
    "supervise": ({"assigned", "in_progress", "replied", "closed"}, COMMITTEE, None, "suggestion.supervised"),
    "reply": ({"in_progress"}, LEAD, "replied", "suggestion.replied"),
    "report_follow_up": ({"replied", "closed"}, LEAD, None, "suggestion.follow_up_reported"),
    # 选民评: the voter by link, or staff recording the voter's call-back.
    "feedback": (
        {"replied"},
        {"voter", "station_staff", "committee_staff", "city_committee_staff", "admin_user"},
        "closed",
        "suggestion.feedback_received",
    ),
    # 代表评: the receiving representative in person, beside the voter's rating; the state stays.
    "rate_as_representative": (
        {"replied", "closed"},
        {"representative_user"},
        None,
        "suggestion.representative_rated",
    ),
    "close": ({"replied"}, COMMITTEE, "closed", "suggestion.closed"),
    "publish": ({"closed"}, COMMITTEE, None, "suggestion.published"),
    "withdraw_publication": ({"closed"}, COMMITTEE, None, "suggestion.publication_withdrawn"),
}

ROLES = [
    "station_staff",
    "other_station_staff",
    "committee_staff",
    "other_committee_staff",
    "city_committee_staff",
    "unit_staff",
    "co_unit_staff",
    "other_unit_staff",
    "representative_user",
    "admin_user",
    "voter",
]

Call = Callable[[Suggestion, Any], Suggestion]


def _calls(cast: Cast, earlier: Suggestion, token: str | None) -> dict[str, Call]:
    """One valid call per action, as a user of the UI would make it."""
    today = timezone.localdate()
    w = cast.world
    return {
        "sort": lambda s, a: workflow.suggestion_sort(suggestion=s, actor=a, category=cast.category, urgency="urgent"),
        "merge": lambda s, a: workflow.suggestion_sort(
            suggestion=s, actor=a, category=None, urgency="normal", merge_into=earlier
        ),
        "resolve_on_spot": lambda s, a: workflow.suggestion_resolve_on_spot(
            suggestion=s, actor=a, reply_text="代表现场协调，物业当天修复。"
        ),
        "propose": lambda s, a: workflow.suggestion_propose(suggestion=s, actor=a, route="unit", unit=w.unit_a),
        "hand_over": lambda s, a: workflow.suggestion_hand_over(
            suggestion=s, actor=a, lead_unit=w.unit_a, co_units=[cast.co_unit]
        ),
        "decline": lambda s, a: workflow.suggestion_decline(suggestion=s, actor=a, note="已由物业自行解决，不予受理。"),
        "acknowledge": lambda s, a: workflow.suggestion_acknowledge(suggestion=s, actor=a),
        "return": lambda s, a: workflow.suggestion_return(suggestion=s, actor=a, reason="路灯归城管局管理。"),
        "co_opinion": lambda s, a: workflow.suggestion_co_opinion(suggestion=s, actor=a, text="同意主办单位方案。"),
        "request_extension": lambda s, a: workflow.suggestion_request_extension(
            suggestion=s, actor=a, days=3, reason="需要采购灯具。"
        ),
        "decide_extension": lambda s, a: workflow.suggestion_decide_extension(
            suggestion=s, actor=a, approve=True, note="同意。"
        ),
        "supervise": lambda s, a: workflow.suggestion_supervise(suggestion=s, actor=a, note="请加快办理。"),
        "reply": lambda s, a: workflow.suggestion_reply(suggestion=s, actor=a, category="A", text="路灯已全部修复。"),
        "report_follow_up": lambda s, a: workflow.suggestion_report_follow_up(
            suggestion=s, actor=a, text="施工过半。", next_due=today + dt.timedelta(days=40)
        ),
        "feedback": lambda s, a: workflow.suggestion_feedback(
            suggestion=s, actor=a, rating="satisfied", token=token if a is None else None
        ),
        "rate_as_representative": lambda s, a: workflow.suggestion_rate_as_representative(
            suggestion=s, actor=a, rating="basic", text="基本满意，进度可以更快。"
        ),
        "close": lambda s, a: workflow.suggestion_close(suggestion=s, actor=a, note="逾期未反馈，办结。"),
        "publish": lambda s, a: workflow.suggestion_publish(suggestion=s, actor=a),
        "withdraw_publication": lambda s, a: workflow.suggestion_withdraw_publication(
            suggestion=s, actor=a, reason="公示内容含第三人姓名，撤销后重新公示。"
        ),
    }


def _setup(action: str, cast: Cast, subject: Suggestion) -> None:
    """What must exist before the action can be valid at all: a pending request to decide, a
    publication to withdraw."""
    if action == "decide_extension" and subject.state == "in_progress":
        workflow.suggestion_request_extension(suggestion=subject, actor=cast.admin, days=2, reason="材料未齐。")
    if action == "withdraw_publication" and subject.state == "closed":
        workflow.suggestion_publish(suggestion=subject, actor=cast.admin)


def _clock(action: str, subject: Suggestion) -> dt.datetime | None:
    """Closing needs the feedback limit to have passed: run it the day after."""
    if action == "close" and subject.feedback_due is not None:
        return dt.datetime.combine(subject.feedback_due + dt.timedelta(days=1), dt.time(10), tzinfo=dt.UTC)
    return None


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("state", STATES)
def test_state_action_role(cast: Cast, state: str, action: str) -> None:
    sources, roles, target, code = EXPECTED[action]
    earlier = record(cast, title="同一问题，较早登记")
    subject, token = build(cast, state)
    calls = _calls(cast, earlier, token)
    mismatches: list[str] = []
    for role in ROLES:
        actor = cast.users[role]
        allowed = state in sources and role in roles
        sid = transaction.savepoint()
        try:
            _setup(action, cast, subject)
            fresh = Suggestion.objects.get(pk=subject.pk)
            before = snapshot(fresh)
            moment = _clock(action, fresh)
            traveller = time_machine.travel(moment, tick=False) if moment else None
            if traveller:
                traveller.start()
            try:
                offered = actor is not None and action in workflow.allowed_actions(suggestion=fresh, user=actor)
                if actor is not None and offered != allowed:
                    mismatches.append(f"{role}: allowed_actions offers {action}={offered}, expected {allowed}")
                try:
                    result = calls[action](fresh, actor)
                except WorkflowError as exc:
                    if allowed:
                        mismatches.append(f"{role}: refused with {exc.code}, expected success")
                    elif snapshot(fresh) != before:
                        mismatches.append(f"{role}: refused with {exc.code} but something was written")
                    continue
            finally:
                if traveller:
                    traveller.stop()
            if not allowed:
                mismatches.append(f"{role}: succeeded, expected refusal")
                continue
            after = Suggestion.objects.get(pk=subject.pk)
            new_events = list(
                SuggestionEvent.objects.filter(suggestion=subject).exclude(id__in=[e[0] for e in before["events"]])
            )
            expected_state = target or state
            if after.state != expected_state or result.state != expected_state:
                mismatches.append(f"{role}: state {after.state}, expected {expected_state}")
            if after.version != before["row"]["version"] + 1:
                mismatches.append(f"{role}: version {after.version}, expected {before['row']['version'] + 1}")
            if [(e.action, e.from_state, e.to_state) for e in new_events] != [(code, state, expected_state)]:
                mismatches.append(f"{role}: events {[(e.action, e.from_state, e.to_state) for e in new_events]}")
        finally:
            transaction.savepoint_rollback(sid)
    assert not mismatches, f"{state} × {action}:\n" + "\n".join(mismatches)


def _record(cast: Cast, role: str) -> Suggestion:
    return workflow.suggestion_record(
        actor=cast.users[role],
        title="垃圾清运不及时",
        content="小区垃圾两天才清运一次。",
        region=cast.world.town_a,
        station=cast.world.station_a,
        channel="online" if role == "voter" else "reception",
    )


@pytest.mark.parametrize("role", ["station_staff", "committee_staff", "city_committee_staff", "admin_user", "voter"])
def test_record_allowed(cast: Cast, role: str) -> None:
    """Recording for station A in township A: its station staff, committee staff over the
    township, administrators and voters online may."""
    s = _record(cast, role)
    assert s.state == "received"
    assert list(s.events.values_list("action", "from_state", "to_state")) == [("suggestion.recorded", "", "received")]


@pytest.mark.parametrize(
    "role",
    [
        "other_station_staff",
        "other_committee_staff",
        "unit_staff",
        "co_unit_staff",
        "other_unit_staff",
        "representative_user",
    ],
)
def test_record_refused(cast: Cast, role: str) -> None:
    """Nobody else may record for station A, and a refusal writes nothing."""
    before = Suggestion.objects.count(), SuggestionEvent.objects.count()
    with pytest.raises(WorkflowError) as caught:
        _record(cast, role)
    assert caught.value.code == "not_allowed"
    assert (Suggestion.objects.count(), SuggestionEvent.objects.count()) == before
