"""Bad input: each refusal has its own code and message, and nothing at all is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from suggestions import workflow
from suggestions.errors import WorkflowError
from suggestions.models import Suggestion
from tests.suggestions.workflow_builders import Cast, build, record, snapshot

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
YESTERDAY = lambda: timezone.localdate() - dt.timedelta(days=1)  # noqa: E731


@dataclass
class Case:
    state: str
    persona: str
    call: Callable[[Cast, Suggestion, str | None], object]
    code: str
    status: int
    field: str | None = None


CASES: dict[str, Case] = {
    "reply text empty": Case(
        "in_progress",
        "unit_staff",
        lambda c, s, t: workflow.suggestion_reply(suggestion=s, actor=c.users["unit_staff"], category="A", text="  "),
        "reply_text_required",
        400,
        "text",
    ),
    "on-the-spot reply empty": Case(
        "sorted",
        "station_staff",
        lambda c, s, t: workflow.suggestion_resolve_on_spot(
            suggestion=s, actor=c.users["station_staff"], reply_text=""
        ),
        "reply_text_required",
        400,
        "reply_text",
    ),
    "extension past the cap": Case(
        "in_progress",
        "unit_staff",
        lambda c, s, t: workflow.suggestion_request_extension(
            suggestion=s, actor=c.users["unit_staff"], days=16, reason="工程量大。"
        ),
        "extension_cap_exceeded",
        400,
        "days",
    ),
    "extension of zero days": Case(
        "in_progress",
        "unit_staff",
        lambda c, s, t: workflow.suggestion_request_extension(
            suggestion=s, actor=c.users["unit_staff"], days=0, reason="工程量大。"
        ),
        "validation",
        400,
        "days",
    ),
    "extension without reason": Case(
        "in_progress",
        "unit_staff",
        lambda c, s, t: workflow.suggestion_request_extension(
            suggestion=s, actor=c.users["unit_staff"], days=3, reason=""
        ),
        "reason_required",
        400,
        "reason",
    ),
    "return without reason": Case(
        "assigned",
        "unit_staff",
        lambda c, s, t: workflow.suggestion_return(suggestion=s, actor=c.users["unit_staff"], reason=" \n "),
        "reason_required",
        400,
        "reason",
    ),
    "hand-over to a unit outside the committee's region": Case(
        "proposed",
        "committee_staff",
        lambda c, s, t: workflow.suggestion_hand_over(
            suggestion=s, actor=c.users["committee_staff"], lead_unit=c.world.unit_b
        ),
        "unit_out_of_region",
        400,
        "lead_unit",
    ),
    "co-unit outside the committee's region": Case(
        "proposed",
        "committee_staff",
        lambda c, s, t: workflow.suggestion_hand_over(
            suggestion=s, actor=c.users["committee_staff"], lead_unit=c.world.unit_a, co_units=[c.world.unit_b]
        ),
        "unit_out_of_region",
        400,
        "co_units",
    ),
    "lead unit also a co-unit": Case(
        "proposed",
        "committee_staff",
        lambda c, s, t: workflow.suggestion_hand_over(
            suggestion=s, actor=c.users["committee_staff"], lead_unit=c.world.unit_a, co_units=[c.world.unit_a]
        ),
        "validation",
        400,
        "co_units",
    ),
    "reply deadline in the past": Case(
        "proposed",
        "committee_staff",
        lambda c, s, t: workflow.suggestion_hand_over(
            suggestion=s, actor=c.users["committee_staff"], lead_unit=c.world.unit_a, reply_due=YESTERDAY()
        ),
        "deadline_in_past",
        400,
        "reply_due",
    ),
    "co-unit deadline in the past": Case(
        "proposed",
        "committee_staff",
        lambda c, s, t: workflow.suggestion_hand_over(
            suggestion=s,
            actor=c.users["committee_staff"],
            lead_unit=c.world.unit_a,
            co_units=[c.co_unit],
            co_due=YESTERDAY(),
        ),
        "deadline_in_past",
        400,
        "co_due",
    ),
    "follow-up date in the past": Case(
        "in_progress",
        "unit_staff",
        lambda c, s, t: workflow.suggestion_reply(
            suggestion=s, actor=c.users["unit_staff"], category="B", text="正在施工。", follow_up_due=YESTERDAY()
        ),
        "deadline_in_past",
        400,
        "follow_up_due",
    ),
    "B reply without follow-up date": Case(
        "in_progress",
        "unit_staff",
        lambda c, s, t: workflow.suggestion_reply(
            suggestion=s, actor=c.users["unit_staff"], category="B", text="正在施工。"
        ),
        "follow_up_due_required",
        400,
        "follow_up_due",
    ),
    "reply category unknown": Case(
        "in_progress",
        "unit_staff",
        lambda c, s, t: workflow.suggestion_reply(suggestion=s, actor=c.users["unit_staff"], category="E", text="好。"),
        "validation",
        400,
        "category",
    ),
    "reply attachment not a picture or PDF": Case(
        "in_progress",
        "unit_staff",
        lambda c, s, t: workflow.suggestion_reply(
            suggestion=s,
            actor=c.users["unit_staff"],
            category="A",
            text="已修复。",
            attachments=[SimpleUploadedFile("run.exe", b"MZ\x90\x00" * 8, content_type="image/png")],
        ),
        "attachment_type",
        400,
        "attachments",
    ),
    "decline without reason": Case(
        "proposed",
        "committee_staff",
        lambda c, s, t: workflow.suggestion_decline(suggestion=s, actor=c.users["committee_staff"], note=""),
        "reason_required",
        400,
        "note",
    ),
    "not accepted without reason": Case(
        "sorted",
        "station_staff",
        lambda c, s, t: workflow.suggestion_propose(suggestion=s, actor=c.users["station_staff"], route="not_accepted"),
        "reason_required",
        400,
        "note",
    ),
    "unknown route": Case(
        "sorted",
        "station_staff",
        lambda c, s, t: workflow.suggestion_propose(suggestion=s, actor=c.users["station_staff"], route="elsewhere"),
        "validation",
        400,
        "route",
    ),
    "sort without category": Case(
        "received",
        "station_staff",
        lambda c, s, t: workflow.suggestion_sort(
            suggestion=s, actor=c.users["station_staff"], category=None, urgency="normal"
        ),
        "validation",
        400,
        "category",
    ),
    "merge into a later suggestion": Case(
        "received",
        "station_staff",
        lambda c, s, t: workflow.suggestion_sort(
            suggestion=s, actor=c.users["station_staff"], category=None, urgency="normal", merge_into=record(c)
        ),
        "merge_target_invalid",
        400,
        "merge_into",
    ),
    "feedback with an unknown link": Case(
        "replied",
        "voter",
        lambda c, s, t: workflow.suggestion_feedback(suggestion=s, actor=None, rating="satisfied", token="forged"),
        "feedback_link_invalid",
        404,
        "token",
    ),
    "anonymous request without a link": Case(
        "replied",
        "voter",
        lambda c, s, t: workflow.suggestion_feedback(suggestion=s, actor=AnonymousUser(), rating="satisfied"),
        "feedback_link_invalid",
        404,
        "token",
    ),
    "feedback rating unknown": Case(
        "replied",
        "voter",
        lambda c, s, t: workflow.suggestion_feedback(suggestion=s, actor=None, rating="great", token=t),
        "validation",
        400,
        "rating",
    ),
    "close while the voter may still give feedback": Case(
        "replied",
        "committee_staff",
        lambda c, s, t: workflow.suggestion_close(suggestion=s, actor=c.users["committee_staff"], note="办结。"),
        "feedback_pending",
        409,
    ),
    "stale version": Case(
        "proposed",
        "committee_staff",
        lambda c, s, t: workflow.suggestion_hand_over(
            suggestion=s, actor=c.users["committee_staff"], lead_unit=c.world.unit_a, expected_version=s.version - 1
        ),
        "stale_version",
        409,
    ),
    "out of scope": Case(
        "received",
        "other_station_staff",
        lambda c, s, t: workflow.suggestion_sort(
            suggestion=s, actor=c.users["other_station_staff"], category=c.category, urgency="normal"
        ),
        "not_found",
        404,
    ),
    "wrong role": Case(
        "proposed",
        "station_staff",
        lambda c, s, t: workflow.suggestion_hand_over(
            suggestion=s, actor=c.users["station_staff"], lead_unit=c.world.unit_a
        ),
        "not_allowed",
        403,
    ),
    "wrong state": Case(
        "received",
        "committee_staff",
        lambda c, s, t: workflow.suggestion_publish(suggestion=s, actor=c.users["committee_staff"]),
        "invalid_state",
        409,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_and_nothing_is_written(cast: Cast, name: str) -> None:
    case = CASES[name]
    subject, token = build(cast, case.state)
    before = snapshot(subject)
    with pytest.raises(WorkflowError) as caught:
        case.call(cast, subject, token)
    error = caught.value
    assert (error.code, error.status) == (case.code, case.status)
    assert str(error.message)  # a sentence a person can read
    if case.field:
        assert list(error.fields) == [case.field]
    after = snapshot(subject)
    # The merge case records one extra (later) suggestion on purpose before the refusal.
    if name == "merge into a later suggestion":
        after["suggestions"] -= 1
    assert after == before


def test_feedback_twice_with_the_same_link(cast: Cast) -> None:
    subject, token = build(cast, "replied")
    workflow.suggestion_feedback(suggestion=subject, actor=None, rating="satisfied", token=token)
    before = snapshot(subject)
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_feedback(suggestion=subject, actor=None, rating="dissatisfied", token=token)
    assert (caught.value.code, caught.value.status) == ("feedback_link_used", 409)
    assert snapshot(subject) == before
    assert Suggestion.objects.get(pk=subject.pk).rating == "satisfied"


def test_feedback_link_used_after_rehandling_is_still_refused(cast: Cast) -> None:
    """The first link, used for a dissatisfied rating, cannot be reused on the new reply."""
    subject, token = build(cast, "replied")
    subject = workflow.suggestion_feedback(suggestion=subject, actor=None, rating="dissatisfied", token=token)
    assert subject.state == "in_progress"
    subject = workflow.suggestion_reply(suggestion=subject, actor=cast.users["unit_staff"], category="A", text="已修。")
    before = snapshot(subject)
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_feedback(suggestion=subject, actor=None, rating="satisfied", token=token)
    assert caught.value.code == "feedback_link_used"
    assert snapshot(subject) == before


def test_expired_feedback_link(cast: Cast, settings: pytest.FixtureRequest) -> None:
    subject, token = build(cast, "replied")
    before = snapshot(subject)
    later = timezone.now() + dt.timedelta(days=settings.FEEDBACK_LINK_VALID_DAYS + 1)  # type: ignore[attr-defined]
    with time_machine.travel(later, tick=False), pytest.raises(WorkflowError) as caught:
        workflow.suggestion_feedback(suggestion=subject, actor=None, rating="satisfied", token=token)
    assert (caught.value.code, caught.value.status) == ("feedback_link_expired", 410)
    assert snapshot(subject) == before


def test_a_new_reply_retires_the_previous_link(cast: Cast) -> None:
    subject, first = build(cast, "replied")
    subject = workflow.suggestion_feedback(suggestion=subject, actor=cast.users["station_staff"], rating="dissatisfied")
    subject = workflow.suggestion_reply(suggestion=subject, actor=cast.users["unit_staff"], category="A", text="已修。")
    before = snapshot(subject)
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_feedback(suggestion=subject, actor=None, rating="satisfied", token=first)
    assert caught.value.code == "feedback_link_expired"
    assert snapshot(subject) == before


def test_extension_cap_counts_earlier_extensions(cast: Cast) -> None:
    subject, _ = build(cast, "in_progress")
    unit, committee = cast.users["unit_staff"], cast.users["committee_staff"]
    subject = workflow.suggestion_request_extension(suggestion=subject, actor=unit, days=10, reason="采购。")
    subject = workflow.suggestion_decide_extension(suggestion=subject, actor=committee, approve=True)
    before = snapshot(subject)
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_request_extension(suggestion=subject, actor=unit, days=6, reason="还要采购。")
    assert caught.value.code == "extension_cap_exceeded"
    assert "5" in str(caught.value.message)  # tells how many days are left
    assert snapshot(subject) == before
    workflow.suggestion_request_extension(suggestion=subject, actor=unit, days=5, reason="还要采购。")


def test_extension_after_the_deadline(cast: Cast) -> None:
    subject, _ = build(cast, "in_progress")
    before = snapshot(subject)
    assert subject.reply_due is not None
    after_due = dt.datetime.combine(subject.reply_due + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
    with time_machine.travel(after_due, tick=False), pytest.raises(WorkflowError) as caught:
        workflow.suggestion_request_extension(
            suggestion=subject, actor=cast.users["unit_staff"], days=2, reason="晚了。"
        )
    assert caught.value.code == "deadline_passed"
    assert snapshot(subject) == before


def test_record_with_missing_fields_names_each_field(cast: Cast) -> None:
    before = Suggestion.objects.count()
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_record(
            actor=None,
            title=" ",
            content="",
            region=cast.world.town_a,
            submitter_phone="call me",
            submitter_email="not-an-address",
            channel="online",
        )
    assert caught.value.code == "validation"
    assert set(caught.value.fields) == {"title", "content", "submitter_phone", "submitter_email"}
    assert Suggestion.objects.count() == before


def test_supervision_stops_at_key_supervision(cast: Cast) -> None:
    subject, _ = build(cast, "assigned")
    committee = cast.users["committee_staff"]
    subject = workflow.suggestion_supervise(suggestion=subject, actor=committee)
    subject = workflow.suggestion_supervise(suggestion=subject, actor=committee)
    assert subject.supervision_level == 2
    before = snapshot(subject)
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_supervise(suggestion=subject, actor=committee)
    assert caught.value.code == "supervision_at_maximum"
    assert snapshot(subject) == before


def test_publish_twice(cast: Cast) -> None:
    subject, _ = build(cast, "closed")
    subject = workflow.suggestion_publish(suggestion=subject, actor=cast.users["committee_staff"])
    before = snapshot(subject)
    with pytest.raises(WorkflowError) as caught:
        workflow.suggestion_publish(suggestion=subject, actor=cast.users["committee_staff"])
    assert caught.value.code == "already_published"
    assert snapshot(subject) == before
