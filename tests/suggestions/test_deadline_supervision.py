"""Issue 14 §6 in the workflow: overdue work is supervised automatically (催办, then 重点督办),
committee staff may supervise a "B" reply's follow-up reports, and an extension of a date typed
by staff counts working days on the calendar like any other.

The dates sit around China's 2025 National Day holiday (1–8 October off, Sunday 28 September
and Saturday 11 October working days) and the end of 2026, the last year the calendar package
knows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from accounts.models import User
from notifications.models import Outbox
from suggestions import workflow
from suggestions.deadlines import basis_description
from suggestions.errors import WorkflowError
from suggestions.models import Suggestion, SuggestionEvent
from tests.conftest import World
from tests.notifications.helpers import acknowledge, at, hand_over

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture(autouse=True)
def _limits(settings: pytest.FixtureRequest) -> None:
    settings.SUPERVISE_URGE_AFTER_DAYS = 5  # type: ignore[attr-defined]
    settings.SUPERVISE_KEY_AFTER_DAYS = 10  # type: ignore[attr-defined]


def supervised(s: Suggestion) -> list[SuggestionEvent]:
    return list(SuggestionEvent.objects.filter(suggestion=s, action="suggestion.supervised").order_by("id"))


def raise_on(day: dt.date) -> int:
    with at(day):
        return workflow.supervision_auto_raise()


@pytest.fixture
def late(world: World, station_staff: User, committee_staff: User, unit_staff: User) -> Suggestion:
    """Acknowledged at once, the reply due Tuesday 30 September 2025 and never given."""
    s = hand_over(
        world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 9, 22), reply_due=D(2025, 9, 30)
    )
    return acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 22))


def test_overdue_work_is_urged_then_put_under_key_supervision_automatically(late: Suggestion) -> None:
    # Working days late: 9, 10, 11 (Saturday, worked), 13 October → four; the 14th is the fifth.
    assert raise_on(D(2025, 10, 13)) == 0
    assert raise_on(D(2025, 10, 14)) == 1
    late.refresh_from_db()
    assert late.supervision_level == 1
    (urge,) = supervised(late)
    assert urge.actor is None
    assert urge.data == {
        "level": 1,
        "from_level": 0,
        "lead_unit": late.lead_unit_id,
        "reply_due": "2025-09-30",
        "automatic": True,
        "deadline": "reply_due",
        "due": "2025-09-30",
        "working_days_overdue": 5,
    }
    assert Outbox.objects.filter(suggestion=late, kind="suggestion.supervised", payload__automatic=True).count() == 1
    # Another sweep the same day, or the next, raises nothing.
    assert raise_on(D(2025, 10, 14)) == 0
    assert raise_on(D(2025, 10, 17)) == 0
    # Ten working days late (15, 16, 17, 20, 21 October): 重点督办.
    assert raise_on(D(2025, 10, 21)) == 1
    late.refresh_from_db()
    assert late.supervision_level == 2
    assert [(e.data["from_level"], e.data["level"], e.data["automatic"]) for e in supervised(late)] == [
        (0, 1, True),
        (1, 2, True),
    ]
    assert raise_on(D(2025, 11, 28)) == 0
    assert len(supervised(late)) == 2


def test_a_very_late_suggestion_goes_straight_to_key_supervision_in_one_event(late: Suggestion) -> None:
    assert raise_on(D(2025, 11, 3)) == 1
    late.refresh_from_db()
    assert late.supervision_level == 2
    (event,) = supervised(late)
    assert (event.data["from_level"], event.data["level"]) == (0, 2)


def test_staff_urging_first_leaves_only_key_supervision_to_the_sweep(late: Suggestion, committee_staff: User) -> None:
    with at(D(2025, 10, 9)):
        workflow.suggestion_supervise(suggestion=late, actor=committee_staff, note="请加快办理。")
    assert raise_on(D(2025, 10, 14)) == 0  # already urged, by a person
    assert raise_on(D(2025, 10, 21)) == 1
    assert [(e.actor_id, e.data["automatic"]) for e in supervised(late)] == [
        (committee_staff.pk, False),
        (None, True),
    ]


def test_work_on_time_and_answered_work_are_left_alone(
    world: World, station_staff: User, committee_staff: User, unit_staff: User, late: Suggestion
) -> None:
    on_time = hand_over(
        world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 10, 9), title="按期"
    )
    with at(D(2025, 10, 13)):
        workflow.suggestion_reply(suggestion=late, actor=unit_staff, category="A", text="路灯已修复。")
    assert raise_on(D(2025, 10, 15)) == 0  # on_time's acknowledgement was due the 11th: three working days late
    assert raise_on(D(2025, 11, 28)) == 1  # …and after the tenth working day it is key-supervised
    on_time.refresh_from_db()
    assert on_time.supervision_level == 2
    assert supervised(late) == []


def test_an_overdue_follow_up_report_is_supervised_automatically_too(late: Suggestion, unit_staff: User) -> None:
    with at(D(2025, 9, 29)):
        workflow.suggestion_reply(
            suggestion=late, actor=unit_staff, category="B", text="已列入改造计划。", follow_up_due=D(2025, 10, 20)
        )
    assert raise_on(D(2025, 10, 27)) == 1  # 21, 22, 23, 24, 27 October
    (event,) = supervised(late)
    assert (event.from_state, event.data["deadline"], event.data["follow_up_due"]) == (
        "replied",
        "follow_up_due",
        "2025-10-20",
    )


# --- Supervising a "B" follow-up ----------------------------------------------------------------


def test_committee_staff_supervise_a_b_follow_up_also_after_closing(
    late: Suggestion, unit_staff: User, committee_staff: User
) -> None:
    with at(D(2025, 9, 29)):
        s = workflow.suggestion_reply(
            suggestion=late, actor=unit_staff, category="B", text="已列入改造计划。", follow_up_due=D(2025, 10, 20)
        )
        assert "supervise" in workflow.allowed_actions(suggestion=s, user=committee_staff)
        s = workflow.suggestion_supervise(suggestion=s, actor=committee_staff, note="请按期报送进展。")
        s = workflow.suggestion_feedback(suggestion=s, actor=committee_staff, rating="satisfied")
        assert s.state == "closed"
        s = workflow.suggestion_supervise(suggestion=s, actor=committee_staff, note="列为重点督办。")
    assert s.supervision_level == 2
    assert [(e.from_state, e.data["follow_up_due"]) for e in supervised(s)] == [
        ("replied", "2025-10-20"),
        ("closed", "2025-10-20"),
    ]


def test_supervising_a_reply_with_no_follow_up_due_is_refused_and_writes_nothing(
    late: Suggestion, unit_staff: User, committee_staff: User
) -> None:
    with at(D(2025, 9, 29)):
        s = workflow.suggestion_reply(suggestion=late, actor=unit_staff, category="A", text="路灯已修复。")
        assert "supervise" not in workflow.allowed_actions(suggestion=s, user=committee_staff)
        version = Suggestion.objects.get(pk=s.pk).version
        with pytest.raises(WorkflowError) as caught:
            workflow.suggestion_supervise(suggestion=s, actor=committee_staff, note="催办。")
    assert (caught.value.code, caught.value.status) == ("no_follow_up_due", 409)
    assert Suggestion.objects.get(pk=s.pk).version == version
    assert supervised(s) == []


# --- An extension of a date typed by staff ------------------------------------------------------


def test_an_extension_of_a_hand_typed_date_counts_working_days_and_is_provisional_in_an_unknown_year(
    world: World, station_staff: User, committee_staff: User, unit_staff: User, admin_user: User
) -> None:
    s = hand_over(
        world,
        station_staff=station_staff,
        committee_staff=committee_staff,
        on=D(2026, 12, 21),
        reply_due=D(2026, 12, 28),
    )
    s = acknowledge(s, unit_staff=unit_staff, on=D(2026, 12, 21))
    assert s.deadline_basis["reply_due"]["source"] == "manual"
    with at(D(2026, 12, 22)):
        s = workflow.suggestion_request_extension(suggestion=s, actor=unit_staff, days=5, reason="需要采购灯具。")
        s = workflow.suggestion_decide_extension(suggestion=s, actor=committee_staff, approve=True, note="同意。")
    # 29, 30, 31 December 2026 (known), then 2027, which the calendar does not know: Friday
    # 1 January is counted as a weekday for now, and Monday 4 January is the fifth.
    assert s.reply_due == D(2027, 1, 4)
    basis = s.deadline_basis["reply_due"]
    assert basis["start"] == "2026-12-28"
    assert basis["days"] == 5
    assert basis["source"] == "weekdays"
    assert basis["provisional"] is True
    assert basis["manual_due"] == "2026-12-28"
    with translation.override("zh-hans"):
        text = basis_description(basis)
    assert "人大工作人员设定的日期 2026-12-28" in text
    assert "5 个工作日" in text
    assert "暂按周一至周五计算" in text
    with translation.override("en"):
        assert basis_description(basis).startswith("5 working days after 2026-12-28, a date set by committee staff")
    # Administrators enter New Year's Day 2027: the deadline moves like any computed one.
    with at(D(2026, 12, 23)):
        assert workflow.holiday_override_set(actor=admin_user, date=D(2027, 1, 1), is_working_day=False) == 1
    s.refresh_from_db()
    assert s.reply_due == D(2027, 1, 5)
    assert s.deadline_basis["reply_due"]["provisional"] is True
    assert s.assignments.get(role="lead", is_active=True).due == D(2027, 1, 5)
    with at(D(2026, 12, 23)):
        workflow.calendar_year_set(actor=admin_user, year=2027, overrides_complete=True)
    s.refresh_from_db()
    assert (s.reply_due, s.deadline_basis["reply_due"]["provisional"]) == (D(2027, 1, 5), False)
    # A second extension counts on from the typed date: 5 + 2 working days after 28 December.
    with at(D(2026, 12, 24)):
        s = workflow.suggestion_request_extension(suggestion=s, actor=unit_staff, days=2, reason="仍需协调。")
        s = workflow.suggestion_decide_extension(suggestion=s, actor=committee_staff, approve=True)
    assert s.reply_due == D(2027, 1, 7)
    assert (s.deadline_basis["reply_due"]["days"], s.deadline_basis["reply_due"]["manual_due"]) == (7, "2026-12-28")


def test_an_extension_of_a_hand_typed_date_within_a_known_year_is_definite(
    world: World, station_staff: User, committee_staff: User, unit_staff: User
) -> None:
    s = hand_over(
        world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 9, 22), reply_due=D(2025, 9, 30)
    )
    s = acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 22))
    with at(D(2025, 9, 23)):
        s = workflow.suggestion_request_extension(suggestion=s, actor=unit_staff, days=2, reason="需要采购灯具。")
        s = workflow.suggestion_decide_extension(suggestion=s, actor=committee_staff, approve=True)
    assert s.reply_due == D(2025, 10, 10)  # the National Day holiday is not counted
    basis = s.deadline_basis["reply_due"]
    assert (basis["source"], basis["provisional"]) == ("statutory", False)
    with translation.override("zh-hans"):
        assert "人大工作人员设定的日期 2025-09-30" in basis_description(basis)
