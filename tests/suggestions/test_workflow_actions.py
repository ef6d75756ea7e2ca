"""What each workflow action does, as the people involved would notice it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Outbox
from suggestions import workflow
from suggestions.deadlines import add_working_days
from suggestions.errors import WorkflowError
from suggestions.models import Assignment, ExtensionRequest, FeedbackToken, Suggestion
from suggestions.tracking import ALPHABET
from tests.suggestions.workflow_builders import Cast, build, latest_token, record

pytestmark = pytest.mark.django_db


def _kinds(s: Suggestion) -> list[str]:
    return list(Outbox.objects.filter(suggestion=s).order_by("id").values_list("kind", flat=True))


def _events(s: Suggestion) -> list[str]:
    return list(s.events.order_by("id").values_list("action", flat=True))


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_the_whole_road_of_a_suggestion(cast: Cast) -> None:
    """梳理 → 拟办 → 交办 → 签收 → 答复 → 反馈 → 公示, each step by the person responsible."""
    u = cast.users
    s = record(cast)
    assert re.fullmatch(f"[{ALPHABET}]{{10}}", s.tracking_code)
    s = workflow.suggestion_sort(suggestion=s, actor=u["station_staff"], category=cast.category, urgency="normal")
    s = workflow.suggestion_propose(suggestion=s, actor=u["station_staff"], route="unit", unit=cast.world.unit_a)
    assert s.proposed_unit == cast.world.unit_a
    s = workflow.suggestion_hand_over(
        suggestion=s, actor=u["committee_staff"], lead_unit=cast.world.unit_a, co_units=[cast.co_unit]
    )
    today = timezone.localdate()
    assert s.reply_due == add_working_days(today, 15).due
    assert s.ack_due == add_working_days(today, 2).due
    assert s.deadline_basis["reply_due"]["start"] == today.isoformat()
    assert s.deadline_basis["reply_due"]["days"] == 15
    co = Assignment.objects.get(suggestion=s, role="co")
    assert co.unit == cast.co_unit
    assert co.due == add_working_days(today, 10).due
    s = workflow.suggestion_acknowledge(suggestion=s, actor=u["unit_staff"])
    s = workflow.suggestion_co_opinion(suggestion=s, actor=u["co_unit_staff"], text="同意主办单位方案。")
    co.refresh_from_db()
    assert co.opinion == "同意主办单位方案。"
    assert co.opinion_at is not None
    s = workflow.suggestion_reply(suggestion=s, actor=u["unit_staff"], category="A", text="路灯已修复。")
    assert s.feedback_due == add_working_days(today, 10).due
    s = workflow.suggestion_feedback(suggestion=s, actor=None, rating="satisfied", text="很快", token=latest_token(s))
    assert s.state == "closed"
    s = workflow.suggestion_publish(suggestion=s, actor=u["committee_staff"])
    assert s.is_published
    assert _events(s) == [
        "suggestion.recorded",
        "suggestion.sorted",
        "suggestion.proposed",
        "suggestion.handed_over",
        "suggestion.acknowledged",
        "suggestion.co_opinion_given",
        "suggestion.replied",
        "suggestion.feedback_received",
        "suggestion.published",
    ]
    assert s.version == 9
    assert _kinds(s) == [
        "suggestion.recorded",
        "suggestion.handed_over",
        "suggestion.replied",
        "suggestion.feedback_received",
    ]
    feedback = Outbox.objects.get(suggestion=s, kind="suggestion.feedback_received")
    assert feedback.payload["rating"] == "satisfied"


def test_hand_over_payload_names_units_and_deadlines(cast: Cast) -> None:
    s, _ = build(cast, "assigned")
    payload = Outbox.objects.get(suggestion=s, kind="suggestion.handed_over").payload
    assert payload["lead_unit"] == cast.world.unit_a.pk
    assert payload["co_units"] == [cast.co_unit.pk]
    assert payload["reply_due"] == s.reply_due.isoformat()  # type: ignore[union-attr]


def test_urgent_suggestions_get_the_short_limit(cast: Cast) -> None:
    s = record(cast, urgency="urgent")
    admin = cast.admin
    s = workflow.suggestion_sort(suggestion=s, actor=admin, category=cast.category, urgency="urgent")
    s = workflow.suggestion_propose(suggestion=s, actor=admin, route="unit")
    s = workflow.suggestion_hand_over(suggestion=s, actor=cast.users["committee_staff"], lead_unit=cast.world.unit_a)
    assert s.reply_due == add_working_days(timezone.localdate(), 5).due
    assert s.deadline_basis["reply_due"]["days"] == 5


def test_hand_over_with_chosen_dates_records_them_as_manual(cast: Cast) -> None:
    s, _ = build(cast, "proposed")
    due = timezone.localdate() + dt.timedelta(days=40)
    s = workflow.suggestion_hand_over(
        suggestion=s,
        actor=cast.users["city_committee_staff"],
        lead_unit=cast.world.unit_a,
        co_units=[cast.co_unit],
        reply_due=due,
        co_due=due - dt.timedelta(days=10),
    )
    assert s.reply_due == due
    assert s.deadline_basis["reply_due"]["source"] == "manual"
    assert Assignment.objects.get(suggestion=s, role="co").due == due - dt.timedelta(days=10)


def test_voter_records_online(cast: Cast) -> None:
    s = workflow.suggestion_record(
        actor=None,
        title="公交站台缺少遮阳棚",
        content="夏天等车太晒。",
        region=cast.world.town_a,
        submitter_phone="138 1234 5678",
        channel="online",
    )
    assert s.recorded_by is None
    assert s.channel == "online"
    assert s.submitter_phone_last4 == "5678"
    assert Outbox.objects.get(suggestion=s).payload["tracking_code"] == s.tracking_code


def test_station_staff_with_one_station_record_for_it(cast: Cast) -> None:
    s = workflow.suggestion_record(
        actor=cast.users["station_staff"], title="噪音扰民", content="夜间施工。", region=cast.world.town_a
    )
    assert s.station == cast.world.station_a


def test_merge_into_an_earlier_duplicate(cast: Cast) -> None:
    earlier = record(cast, title="路灯坏了")
    later = record(cast, title="路灯坏了（重复）")
    later = workflow.suggestion_sort(
        suggestion=later, actor=cast.users["station_staff"], category=None, urgency="normal", merge_into=earlier
    )
    assert later.state == "merged"
    assert later.merged_into == earlier
    assert list(earlier.duplicates.all()) == [later]
    third = record(cast)
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_sort(
            suggestion=third, actor=cast.users["station_staff"], category=None, urgency="normal", merge_into=later
        )
    assert caught.value.code == "merge_target_invalid"


def test_resolve_on_the_spot_sends_a_feedback_link(cast: Cast) -> None:
    s = record(cast)
    s = workflow.suggestion_resolve_on_spot(suggestion=s, actor=cast.users["station_staff"], reply_text="现场解决。")
    assert (s.state, s.reply_category, s.resolved_on_spot) == ("replied", "A", True)
    token = latest_token(s)
    assert workflow.feedback_link_get(token=token).suggestion == s


def test_feedback_link_stores_only_a_hash(cast: Cast) -> None:
    s, token = build(cast, "replied")
    assert token
    stored = FeedbackToken.objects.get(suggestion=s, used_at__isnull=True, expires_at__gt=timezone.now())
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not FeedbackToken.objects.filter(token_hash=token).exists()
    workflow.suggestion_feedback(suggestion=s, actor=None, rating="basic", token=token)
    stored.refresh_from_db()
    assert stored.used_at is not None


def test_dissatisfied_twice_goes_to_the_committee(cast: Cast) -> None:
    u = cast.users
    s, token = build(cast, "replied")
    s = workflow.suggestion_feedback(suggestion=s, actor=None, rating="dissatisfied", text="没修好", token=token)
    today = timezone.localdate()
    assert (s.state, s.rehandle_count) == ("in_progress", 1)
    assert s.reply_due == add_working_days(today, 10).due
    assert s.deadline_basis["reply_due"]["days"] == 10
    assert _kinds(s)[-2:] == ["suggestion.feedback_received", "suggestion.rehandling"]
    s = workflow.suggestion_reply(suggestion=s, actor=u["unit_staff"], category="C", text="暂不具备条件。")
    assert s.rating == ""
    s = workflow.suggestion_feedback(suggestion=s, actor=u["station_staff"], rating="dissatisfied")
    assert (s.state, s.rehandle_count, s.rating) == ("replied", 1, "dissatisfied")
    assert Outbox.objects.filter(suggestion=s).latest("id").payload["outcome"] == "committee_decision"
    assert workflow.allowed_actions(suggestion=s, user=u["committee_staff"]) == ["close"]
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_close(suggestion=s, actor=u["committee_staff"])
    assert caught.value.code == "note_required"
    s = workflow.suggestion_close(suggestion=s, actor=u["committee_staff"], note="已向选民解释，办结。")
    assert (s.state, s.close_note) == ("closed", "已向选民解释，办结。")
    assert s.events.latest("id").data == {"reason": "committee_decision"}


def test_close_when_no_feedback_came_in_time(cast: Cast) -> None:
    s, _ = build(cast, "replied")
    committee = cast.users["committee_staff"]
    assert "close" not in workflow.allowed_actions(suggestion=s, user=committee)
    assert s.feedback_due is not None
    with time_machine.travel(_at(s.feedback_due + dt.timedelta(days=1)), tick=False):
        assert "close" in workflow.allowed_actions(suggestion=s, user=committee)
        s = workflow.suggestion_close(suggestion=s, actor=committee)
    assert s.state == "closed"
    assert _kinds(s)[-1] == "suggestion.closed"


def test_b_reply_is_followed_up_until_solved(cast: Cast) -> None:
    unit = cast.users["unit_staff"]
    s, _ = build(cast, "in_progress")
    first = timezone.localdate() + dt.timedelta(days=20)
    s = workflow.suggestion_reply(suggestion=s, actor=unit, category="B", text="已立项。", follow_up_due=first)
    assert s.follow_up_due == first
    s = workflow.suggestion_feedback(suggestion=s, actor=cast.users["station_staff"], rating="basic")
    assert s.state == "closed"
    second = first + dt.timedelta(days=30)
    s = workflow.suggestion_report_follow_up(suggestion=s, actor=unit, text="施工过半。", next_due=second)
    assert (s.state, s.follow_up_due) == ("closed", second)
    s = workflow.suggestion_report_follow_up(suggestion=s, actor=unit, text="完工。", solved=True)
    assert s.follow_up_due is None
    assert "report_follow_up" not in workflow.allowed_actions(suggestion=s, user=unit)
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_report_follow_up(suggestion=s, actor=unit, text="再报。", solved=True)
    assert caught.value.code == "no_follow_up_due"


def test_extension_moves_the_reply_deadline_in_working_days(cast: Cast) -> None:
    u = cast.users
    s, _ = build(cast, "in_progress")
    old_due = s.reply_due
    assert old_due is not None
    s = workflow.suggestion_request_extension(suggestion=s, actor=u["unit_staff"], days=3, reason="采购灯具。")
    assert s.reply_due == old_due
    assert "decide_extension" in workflow.allowed_actions(suggestion=s, user=u["committee_staff"])
    assert "request_extension" not in workflow.allowed_actions(suggestion=s, user=u["unit_staff"])
    s = workflow.suggestion_decide_extension(suggestion=s, actor=u["committee_staff"], approve=True, note="同意。")
    start = dt.date.fromisoformat(s.deadline_basis["reply_due"]["start"])
    assert s.reply_due == add_working_days(start, 18).due
    assert s.reply_due > old_due
    assert (s.extension_days, s.deadline_basis["reply_due"]["days"]) == (3, 18)
    assert Assignment.objects.get(suggestion=s, role="lead", is_active=True).due == s.reply_due
    assert _kinds(s)[-2:] == ["suggestion.extension_requested", "suggestion.extension_decided"]


def test_rejected_extension_keeps_the_deadline(cast: Cast) -> None:
    u = cast.users
    s, _ = build(cast, "in_progress")
    old_due = s.reply_due
    s = workflow.suggestion_request_extension(suggestion=s, actor=u["unit_staff"], days=3, reason="采购。")
    s = workflow.suggestion_decide_extension(suggestion=s, actor=u["committee_staff"], approve=False, note="不同意。")
    assert (s.reply_due, s.extension_days) == (old_due, 0)
    assert ExtensionRequest.objects.get(suggestion=s).status == "rejected"


def test_reply_withdraws_a_pending_extension(cast: Cast) -> None:
    u = cast.users
    s, _ = build(cast, "in_progress")
    s = workflow.suggestion_request_extension(suggestion=s, actor=u["unit_staff"], days=3, reason="采购。")
    workflow.suggestion_reply(suggestion=s, actor=u["unit_staff"], category="A", text="已修复。")
    assert ExtensionRequest.objects.get(suggestion=s).status == "rejected"


def test_late_acknowledgement_is_accepted_and_recorded(cast: Cast) -> None:
    s, _ = build(cast, "assigned")
    assert s.ack_due is not None
    with time_machine.travel(_at(s.ack_due + dt.timedelta(days=7)), tick=False):
        s = workflow.suggestion_acknowledge(suggestion=s, actor=cast.users["unit_staff"])
    event = s.events.latest("id")
    assert event.data["late"] is True
    assert event.data["working_days_late"] >= 4


def test_return_ends_the_units_part_and_the_committee_reassigns(cast: Cast) -> None:
    u = cast.users
    s, _ = build(cast, "assigned")
    s = workflow.suggestion_return(suggestion=s, actor=u["unit_staff"], reason="不属于本单位职责。")
    assert (s.state, s.lead_unit, s.reply_due) == ("proposed", None, None)
    assert not Assignment.objects.filter(suggestion=s, is_active=True).exists()
    assert Outbox.objects.filter(suggestion=s).latest("id").payload["reason"] == "不属于本单位职责。"
    assert workflow.allowed_actions(suggestion=s, user=u["unit_staff"]) == []
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_acknowledge(suggestion=s, actor=u["unit_staff"])
    assert caught.value.code == "not_found"
    s = workflow.suggestion_hand_over(suggestion=s, actor=u["committee_staff"], lead_unit=cast.co_unit)
    assert s.lead_unit == cast.co_unit
    assert Assignment.objects.filter(suggestion=s, is_active=True).count() == 1


@pytest.mark.parametrize(
    ("route", "event", "field"),
    [
        ("not_accepted", "suggestion.declined", None),
        ("closed_session", "suggestion.converted", "formal_reference"),
        ("escalate", "suggestion.escalated", "escalated_to"),
    ],
)
def test_decline_convert_or_escalate_follows_the_route(cast: Cast, route: str, event: str, field: str | None) -> None:
    s = record(cast)
    s = workflow.suggestion_sort(suggestion=s, actor=cast.admin, category=cast.category, urgency="normal")
    s = workflow.suggestion_propose(suggestion=s, actor=cast.users["station_staff"], route=route, note="理由。")
    s = workflow.suggestion_decline(
        suggestion=s, actor=cast.users["committee_staff"], note="经研究决定。", reference="闽人大建〔2026〕12号"
    )
    assert s.state == "closed"
    assert _events(s)[-1] == event
    if field:
        assert getattr(s, field) == "闽人大建〔2026〕12号"
    if route == "closed_session":
        assert s.deadline_basis["formal_reply_due"]["months"] == 3


def test_reply_stores_uploaded_attachments_with_the_event(cast: Cast, tmp_path: object, settings: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    s, _ = build(cast, "in_progress")
    pdf = SimpleUploadedFile("答复函.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    s = workflow.suggestion_reply(
        suggestion=s, actor=cast.users["unit_staff"], category="A", text="见附件。", attachments=[pdf]
    )
    event = s.events.latest("id")
    stored = list(event.attachments.all())
    assert [(a.original_name, a.content_type) for a in stored] == [("答复函.pdf", "application/pdf")]
    assert event.data["attachments"] == [stored[0].pk]


def test_expected_version_guards_against_lost_updates(cast: Cast) -> None:
    s, _ = build(cast, "in_progress")
    seen = s.version
    workflow.suggestion_supervise(suggestion=s, actor=cast.users["committee_staff"], expected_version=seen)
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_supervise(suggestion=s, actor=cast.users["city_committee_staff"], expected_version=seen)
    assert (caught.value.code, caught.value.status) == ("stale_version", 409)
    assert Suggestion.objects.get(pk=s.pk).supervision_level == 1


def test_actions_offered_to_each_person(cast: Cast) -> None:
    u = cast.users
    s, _ = build(cast, "in_progress")
    offered = {name: workflow.allowed_actions(suggestion=s, user=user) for name, user in u.items()}
    assert offered == {
        "station_staff": [],
        "other_station_staff": [],
        "committee_staff": ["supervise"],
        "other_committee_staff": [],
        "city_committee_staff": ["supervise"],
        "unit_staff": ["request_extension", "reply"],
        "co_unit_staff": ["co_opinion"],
        "other_unit_staff": [],
        "representative_user": [],
        "admin_user": ["co_opinion", "request_extension", "supervise", "reply"],
        "voter": [],
    }


def test_hand_over_query_count_is_bounded(cast: Cast) -> None:
    from django.db import connection

    s, _ = build(cast, "proposed")
    committee = cast.users["committee_staff"]
    workflow.allowed_actions(suggestion=s, user=committee)  # warms the user's scope cache
    with CaptureQueriesContext(connection) as queries:
        workflow.suggestion_hand_over(
            suggestion=s, actor=committee, lead_unit=cast.world.unit_a, co_units=[cast.co_unit]
        )
    # lock, units, overrides/years for the calendar, assignments, update, event, outbox; no per-day queries.
    assert len(queries) <= 12, [q["sql"][:80] for q in queries.captured_queries]


def test_dissatisfied_with_an_on_the_spot_resolution_goes_to_a_unit(cast: Cast) -> None:
    """Nobody but the station has handled it yet, so re-handling starts with a hand-over."""
    u = cast.users
    s = record(cast)
    s = workflow.suggestion_resolve_on_spot(suggestion=s, actor=u["station_staff"], reply_text="现场答复。")
    s = workflow.suggestion_feedback(suggestion=s, actor=None, rating="dissatisfied", token=latest_token(s))
    assert (s.state, s.rehandle_count, s.route) == ("proposed", 1, "unit")
    assert workflow.allowed_actions(suggestion=s, user=u["committee_staff"]) == ["hand_over", "decline"]
    s = workflow.suggestion_hand_over(suggestion=s, actor=u["committee_staff"], lead_unit=cast.world.unit_a)
    s = workflow.suggestion_acknowledge(suggestion=s, actor=u["unit_staff"])
    s = workflow.suggestion_reply(suggestion=s, actor=u["unit_staff"], category="C", text="暂无条件。")
    s = workflow.suggestion_feedback(suggestion=s, actor=u["station_staff"], rating="dissatisfied")
    assert s.state == "replied"  # the second dissatisfaction: the committee decides
