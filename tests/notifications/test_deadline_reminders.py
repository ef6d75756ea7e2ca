"""The deadlines issue 14 §6 added to the sweep, on PostgreSQL with the clock moved: co-unit
opinions, "B" follow-up reports, the end of the feedback window, formal suggestions' statutory
three months, pending extension requests, and the stages 梳理, 拟办 and 交办. For each, the
sweep creates every reminder exactly once (a second sweep the same day creates nothing).

The dates sit around China's 2025 National Day holiday: 1–8 October off, Sunday 28 September
and Saturday 11 October working days.
"""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from accounts.services import membership_grant
from notifications import sms
from notifications.models import Channel, Delivery
from notifications.reminders import reminder_sweep
from notifications.services import deliveries_send
from suggestions import workflow
from suggestions.models import HandlingUnit, Suggestion
from suggestions.tracking import tracking_code_display
from tests.conftest import World
from tests.factories import CategoryFactory, HandlingUnitContactFactory, HandlingUnitFactory, UserFactory
from tests.notifications.helpers import acknowledge, at, hand_over, reminder_rows

pytestmark = pytest.mark.django_db

D = dt.date
WANG_EMAIL, WANG_PHONE = "wang@unit-a.example.cn", "13900000000"  # unit A's contact
LI_EMAIL, LI_PHONE = "li@cg.example.cn", "13700000000"  # the co-unit's contact


@pytest.fixture(autouse=True)
def _limits(settings: pytest.FixtureRequest) -> None:
    settings.REMINDER_DAYS_AHEAD = 2  # type: ignore[attr-defined]
    settings.ESCALATE_AFTER_DAYS = 3  # type: ignore[attr-defined]
    settings.SORT_LIMIT_DAYS = 2  # type: ignore[attr-defined]
    settings.PROPOSE_LIMIT_DAYS = 3  # type: ignore[attr-defined]
    settings.HANDOVER_LIMIT_DAYS = 3  # type: ignore[attr-defined]
    settings.EXTENSION_DECISION_DAYS = 2  # type: ignore[attr-defined]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"  # type: ignore[attr-defined]
    sms.outbox.clear()


def sweep(day: dt.date, kind: str | None = None) -> set[tuple[str, str, str]]:
    """Run the sweep at 09:00 on `day`; the (key, channel, recipient) it created, of one deadline kind if given."""
    with at(day):
        rows = reminder_rows(reminder_sweep().created_ids)
    return {r for r in rows if kind is None or r[0].split(":")[2] == kind}


def keys(rows: set[tuple[str, str, str]]) -> set[str]:
    return {key for key, _, _ in rows}


def staff(user: User, key: str) -> set[tuple[str, str, str]]:
    """What a staff member without a phone gets: the bell and an e-mail."""
    return {(key, Channel.IN_APP, str(user.pk)), (key, Channel.EMAIL, user.email)}


def contact(email: str, phone: str, key: str) -> set[tuple[str, str, str]]:
    return {(key, Channel.EMAIL, email), (key, Channel.SMS, phone)}


def record(world: World, station_staff: User | None, *, on: dt.date, title: str = "小区路灯不亮") -> Suggestion:
    with at(on):
        return workflow.suggestion_record(
            actor=station_staff,
            title=title,
            content="晚上路灯不亮，老人出行不便。",
            region=world.town_a,
            station=world.station_a if station_staff is not None else None,
            submitter_name="张三",
            submitter_phone="13812345678",
            channel="reception" if station_staff is not None else "online",
        )


# --- Co-unit opinions ----------------------------------------------------------------------------


@pytest.fixture
def co_unit(world: World) -> HandlingUnit:
    unit = HandlingUnitFactory(name="鼓楼区城管局", region=world.district_a)
    HandlingUnitContactFactory(unit=unit, name="李科长", email=LI_EMAIL, phone=LI_PHONE)
    return unit


@pytest.fixture
def co_unit_staff(co_unit: HandlingUnit) -> User:
    user = UserFactory(username="co_unit")
    membership_grant(user=user, role=Role.UNIT_STAFF, unit=co_unit)
    return user


@pytest.fixture
def with_co_unit(
    world: World, station_staff: User, committee_staff: User, unit_staff: User, co_unit: HandlingUnit
) -> Suggestion:
    """Handed over on Monday 22 September, reply due Tuesday 30th; unit B co-handles, its opinion due the 30th too."""
    s = hand_over(
        world,
        station_staff=station_staff,
        committee_staff=committee_staff,
        on=D(2025, 9, 22),
        reply_due=D(2025, 9, 30),
        co_units=(co_unit,),
    )
    assert s.assignments.get(role="co").due == D(2025, 9, 30)
    return acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 22))


def test_co_unit_opinion_reminders_go_to_the_co_unit_once_per_level_then_to_the_committee(
    with_co_unit: Suggestion, committee_staff: User
) -> None:
    key = f"reminder:{with_co_unit.pk}:co:2025-09-30:"
    assert sweep(D(2025, 9, 26), "co") == set()
    assert sweep(D(2025, 9, 28), "co") == contact(LI_EMAIL, LI_PHONE, key + "soon")
    assert sweep(D(2025, 9, 28)) == set()
    assert sweep(D(2025, 9, 29), "co") == set()
    assert sweep(D(2025, 9, 30), "co") == contact(LI_EMAIL, LI_PHONE, key + "today")
    assert sweep(D(2025, 9, 30)) == set()
    assert sweep(D(2025, 10, 1), "co") == contact(LI_EMAIL, LI_PHONE, key + "overdue")
    assert sweep(D(2025, 10, 10), "co") == set()
    # Three working days late on the make-up Saturday: district A's committee staff are told.
    assert sweep(D(2025, 10, 11), "co") == staff(committee_staff, key + "escalated")
    assert sweep(D(2025, 10, 11)) == set()
    assert sweep(D(2025, 10, 13), "co") == set()
    # Unit A's contact heard only of its own reply deadline, never of the co-unit's opinion.
    assert not Delivery.objects.filter(key__contains=":co:", recipient=WANG_EMAIL).exists()


def test_no_co_unit_reminder_once_its_opinion_is_given(with_co_unit: Suggestion, co_unit_staff: User) -> None:
    assert keys(sweep(D(2025, 9, 28), "co")) == {f"reminder:{with_co_unit.pk}:co:2025-09-30:soon"}
    with at(D(2025, 9, 29)):
        workflow.suggestion_co_opinion(suggestion=with_co_unit, actor=co_unit_staff, text="同意主办单位方案。")
    assert sweep(D(2025, 9, 30), "co") == set()
    assert sweep(D(2025, 10, 13), "co") == set()


# --- "B" follow-up reports -----------------------------------------------------------------------


def test_follow_up_report_reminders_to_the_lead_unit_also_after_closing(
    with_co_unit: Suggestion, unit_staff: User, committee_staff: User
) -> None:
    with at(D(2025, 9, 29)):
        s = workflow.suggestion_reply(
            suggestion=with_co_unit,
            actor=unit_staff,
            category="B",
            text="已列入改造计划。",
            follow_up_due=D(2025, 10, 20),
        )
        s = workflow.suggestion_feedback(suggestion=s, actor=committee_staff, rating="satisfied")
    assert s.state == "closed"
    key = f"reminder:{s.pk}:follow_up:2025-10-20:"
    assert sweep(D(2025, 10, 15), "follow_up") == set()
    assert sweep(D(2025, 10, 16), "follow_up") == contact(WANG_EMAIL, WANG_PHONE, key + "soon")
    assert sweep(D(2025, 10, 16)) == set()
    assert sweep(D(2025, 10, 20), "follow_up") == contact(WANG_EMAIL, WANG_PHONE, key + "today")
    assert sweep(D(2025, 10, 21), "follow_up") == contact(WANG_EMAIL, WANG_PHONE, key + "overdue")
    assert sweep(D(2025, 10, 23), "follow_up") == staff(committee_staff, key + "escalated")
    assert sweep(D(2025, 10, 23)) == set()
    # The unit reports and names the next date: the new date has its own reminders.
    with at(D(2025, 10, 24)):
        workflow.suggestion_report_follow_up(
            suggestion=s, actor=unit_staff, text="施工过半。", next_due=D(2025, 11, 20)
        )
    assert sweep(D(2025, 10, 27), "follow_up") == set()
    assert keys(sweep(D(2025, 11, 20), "follow_up")) == {f"reminder:{s.pk}:follow_up:2025-11-20:today"}


# --- The end of the feedback window -------------------------------------------------------------


def test_committee_staff_are_told_once_that_they_may_close_when_the_feedback_window_ends(
    with_co_unit: Suggestion, unit_staff: User, committee_staff: User, city_committee_staff: User
) -> None:
    with at(D(2025, 9, 29)):
        s = workflow.suggestion_reply(suggestion=with_co_unit, actor=unit_staff, category="A", text="路灯已修复。")
    assert s.feedback_due is not None
    due = s.feedback_due
    assert sweep(due, "feedback") == set()  # the voter may still rate today
    key = f"reminder:{s.pk}:feedback:{due.isoformat()}:overdue"
    assert sweep(due + dt.timedelta(days=1), "feedback") == staff(committee_staff, key) | staff(
        city_committee_staff, key
    )
    assert sweep(due + dt.timedelta(days=1)) == set()
    assert sweep(due + dt.timedelta(days=9), "feedback") == set()
    # The message tells them they may close it, in Chinese.
    with at(due + dt.timedelta(days=1)):
        deliveries_send(delivery_ids=list(Delivery.objects.filter(key=key).values_list("pk", flat=True)))
    assert {m.to[0] for m in mail.outbox} == {committee_staff.email, city_committee_staff.email}
    assert all("可以办结" in m.subject and tracking_code_display(s.tracking_code) in m.subject for m in mail.outbox)


def test_no_feedback_window_reminder_once_the_voter_rated(
    with_co_unit: Suggestion, unit_staff: User, committee_staff: User
) -> None:
    with at(D(2025, 9, 29)):
        s = workflow.suggestion_reply(suggestion=with_co_unit, actor=unit_staff, category="A", text="路灯已修复。")
        workflow.suggestion_feedback(suggestion=s, actor=committee_staff, rating="satisfied")
    assert s.feedback_due is not None
    assert sweep(s.feedback_due + dt.timedelta(days=1), "feedback") == set()


# --- Formal suggestions' statutory three months --------------------------------------------------


def test_formal_suggestion_reply_date_is_a_column_and_is_watched(
    world: World, station_staff: User, committee_staff: User
) -> None:
    s = record(world, station_staff, on=D(2025, 9, 22))
    with at(D(2025, 9, 22)):
        category = CategoryFactory(code="roads", name="道路交通")
        s = workflow.suggestion_sort(suggestion=s, actor=station_staff, category=category, urgency="normal")
        s = workflow.suggestion_propose(suggestion=s, actor=station_staff, route="closed_session", note="涉及全区规划")
        s = workflow.suggestion_decline(
            suggestion=s, actor=committee_staff, note="转为闭会建议。", reference="闭会建议第12号"
        )
    assert Suggestion.objects.get(pk=s.pk).formal_reply_due == D(2025, 12, 22)
    assert Suggestion.objects.filter(formal_reply_due__lte=D(2025, 12, 31)).count() == 1
    key = f"reminder:{s.pk}:formal:2025-12-22:"
    assert sweep(D(2025, 12, 17), "formal") == set()
    assert sweep(D(2025, 12, 18), "formal") == staff(committee_staff, key + "soon")
    assert sweep(D(2025, 12, 18)) == set()
    assert sweep(D(2025, 12, 22), "formal") == staff(committee_staff, key + "today")
    assert sweep(D(2025, 12, 23), "formal") == staff(committee_staff, key + "overdue")
    assert sweep(D(2025, 12, 30)) == set()  # committee staff are already the ones told: no escalation
    with at(D(2025, 12, 23)):
        deliveries_send(delivery_ids=list(Delivery.objects.filter(key=key + "overdue").values_list("pk", flat=True)))
    assert "闭会建议第12号" in mail.outbox[0].body


# --- Pending extension requests ------------------------------------------------------------------


def test_a_pending_extension_request_reminds_committee_staff_to_decide(
    world: World, station_staff: User, committee_staff: User, unit_staff: User
) -> None:
    s = hand_over(
        world,
        station_staff=station_staff,
        committee_staff=committee_staff,
        on=D(2025, 9, 22),
        reply_due=D(2025, 10, 31),
    )
    s = acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 22))
    with at(D(2025, 10, 13)):  # Monday: decision due two working days later, Wednesday 15th
        s = workflow.suggestion_request_extension(suggestion=s, actor=unit_staff, days=3, reason="需要采购灯具。")
    key = f"reminder:{s.pk}:extension:2025-10-15:"
    assert sweep(D(2025, 10, 13), "extension") == staff(committee_staff, key + "soon")
    assert sweep(D(2025, 10, 13)) == set()
    assert sweep(D(2025, 10, 14), "extension") == set()
    assert sweep(D(2025, 10, 15), "extension") == staff(committee_staff, key + "today")
    assert sweep(D(2025, 10, 16), "extension") == staff(committee_staff, key + "overdue")
    assert sweep(D(2025, 10, 16)) == set()
    with at(D(2025, 10, 16)):
        workflow.suggestion_decide_extension(suggestion=s, actor=committee_staff, approve=True, note="同意。")
    assert sweep(D(2025, 10, 17), "extension") == set()
    assert sweep(D(2025, 10, 24), "extension") == set()


def test_an_extension_requested_late_in_the_evening_counts_from_that_day_in_shanghai(
    world: World, station_staff: User, committee_staff: User, unit_staff: User
) -> None:
    s = hand_over(
        world,
        station_staff=station_staff,
        committee_staff=committee_staff,
        on=D(2025, 9, 22),
        reply_due=D(2025, 10, 31),
    )
    s = acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 22))
    with at(D(2025, 10, 13), hour=23):  # 15:00 UTC: still Monday the 13th in Shanghai
        workflow.suggestion_request_extension(suggestion=s, actor=unit_staff, days=3, reason="需要采购灯具。")
    assert keys(sweep(D(2025, 10, 15), "extension")) == {f"reminder:{s.pk}:extension:2025-10-15:today"}


# --- 梳理, 拟办, 交办 ------------------------------------------------------------------------------


def test_each_stage_before_the_hand_over_has_its_limit_and_its_reminders(
    world: World, station_staff: User, committee_staff: User
) -> None:
    s = record(world, station_staff, on=D(2025, 9, 22))  # Monday: sort within two working days
    assert (s.stage_due, s.deadline_basis["stage_due"]["days"]) == (D(2025, 9, 24), 2)
    sort = f"reminder:{s.pk}:sort:2025-09-24:"
    assert sweep(D(2025, 9, 22), "sort") == staff(station_staff, sort + "soon")
    assert sweep(D(2025, 9, 22)) == set()
    assert sweep(D(2025, 9, 24), "sort") == staff(station_staff, sort + "today")
    assert sweep(D(2025, 9, 25), "sort") == staff(station_staff, sort + "overdue")
    # The 25th, 26th and the working Sunday 28th: three working days late, the committee is told.
    assert sweep(D(2025, 9, 26), "sort") == set()
    assert sweep(D(2025, 9, 28), "sort") == staff(committee_staff, sort + "escalated")
    assert sweep(D(2025, 9, 28)) == set()

    with at(D(2025, 9, 29)):
        category = CategoryFactory(code="roads", name="道路交通")
        s = workflow.suggestion_sort(suggestion=s, actor=station_staff, category=category, urgency="normal")
    assert s.stage_due == D(2025, 10, 10)  # 30 September, 9 and 10 October
    propose = f"reminder:{s.pk}:propose:2025-10-10:"
    assert sweep(D(2025, 9, 29)) == set()
    assert sweep(D(2025, 10, 9), "propose") == staff(station_staff, propose + "soon")
    assert sweep(D(2025, 10, 9)) == set()

    with at(D(2025, 10, 10)):
        s = workflow.suggestion_propose(suggestion=s, actor=station_staff, route="unit", unit=world.unit_a)
    assert s.stage_due == D(2025, 10, 14)  # the working Saturday 11th, 13th, 14th
    hand = f"reminder:{s.pk}:hand_over:2025-10-14:"
    assert sweep(D(2025, 10, 13), "hand_over") == staff(committee_staff, hand + "soon")
    assert sweep(D(2025, 10, 15), "hand_over") == staff(committee_staff, hand + "overdue")
    assert sweep(D(2025, 10, 22)) == set()  # committee staff are the ones told: no escalation

    with at(D(2025, 10, 16)):
        s = workflow.suggestion_hand_over(suggestion=s, actor=committee_staff, lead_unit=world.unit_a)
    assert (s.stage_since, s.stage_due) == (None, None)
    assert "stage_due" not in s.deadline_basis


def test_a_suggestion_without_a_station_is_sorted_by_the_committee_and_they_are_reminded(
    world: World, station_staff: User, committee_staff: User
) -> None:
    s = record(world, None, on=D(2025, 9, 22))  # a voter online
    sort = f"reminder:{s.pk}:sort:2025-09-24:"
    assert sweep(D(2025, 9, 24), "sort") == staff(committee_staff, sort + "today")


def test_a_returned_suggestion_has_a_fresh_hand_over_limit(
    world: World, station_staff: User, committee_staff: User, unit_staff: User
) -> None:
    s = hand_over(world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 9, 22))
    with at(D(2025, 9, 23)):
        s = workflow.suggestion_return(suggestion=s, actor=unit_staff, reason="路灯归城管局管理。")
    assert (s.state, s.stage_due) == ("proposed", D(2025, 9, 26))
    assert keys(sweep(D(2025, 9, 26), "hand_over")) == {f"reminder:{s.pk}:hand_over:2025-09-26:today"}


# --- Every new kind: constant queries, Chinese messages, a backfill ------------------------------


def test_the_number_of_queries_does_not_grow_with_the_new_deadlines(
    world: World, station_staff: User, committee_staff: User, unit_staff: User, co_unit: HandlingUnit
) -> None:
    def queries_for_sweep(day: dt.date) -> tuple[int, int]:
        with at(day), CaptureQueriesContext(connection) as ctx:
            created = reminder_sweep().created_ids
        return len(ctx.captured_queries), len(created)

    def in_progress(title: str, co: bool) -> Suggestion:
        s = hand_over(
            world,
            station_staff=station_staff,
            committee_staff=committee_staff,
            on=D(2025, 9, 22),
            reply_due=D(2025, 10, 31),
            title=title,
            co_units=(co_unit,) if co else (),
        )
        return acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 22))

    first = in_progress("第一件", co=True)
    with at(D(2025, 10, 13)):
        workflow.suggestion_request_extension(suggestion=first, actor=unit_staff, days=3, reason="协调中。")
    record(world, station_staff, on=D(2025, 10, 13))
    few, created_few = queries_for_sweep(D(2025, 10, 13))
    for i, day in enumerate([D(2025, 10, 14), D(2025, 10, 15), D(2025, 10, 16)]):
        s = in_progress(f"第{i}件", co=True)
        with at(day):
            workflow.suggestion_request_extension(suggestion=s, actor=unit_staff, days=3, reason="协调中。")
        for j in range(3):
            record(world, station_staff, on=day, title=f"第{i}-{j}件")
    many, created_many = queries_for_sweep(D(2025, 10, 16))
    assert created_many > 3 * created_few > 0
    assert many == few


def test_every_new_reminder_renders_in_chinese(
    with_co_unit: Suggestion, world: World, station_staff: User, committee_staff: User, unit_staff: User
) -> None:
    b = hand_over(
        world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 9, 22), title="另一件"
    )
    b = acknowledge(b, unit_staff=unit_staff, on=D(2025, 9, 22))
    with at(D(2025, 9, 29)):
        workflow.suggestion_reply(
            suggestion=b, actor=unit_staff, category="B", text="已列入改造计划。", follow_up_due=D(2025, 9, 30)
        )
    s = record(world, station_staff, on=D(2025, 9, 26))
    with at(D(2025, 10, 11)):
        created = reminder_sweep().created_ids
        deliveries_send(delivery_ids=created)
    kinds = {key.split(":")[2] for key in Delivery.objects.values_list("key", flat=True)}
    assert kinds >= {"co", "follow_up", "sort"}
    assert mail.outbox
    assert sms.outbox
    for message in mail.outbox:
        text = message.subject + message.body
        assert not any(word in text for word in ("Reminder", "Overdue", "handed over", "working days", "opinion"))
        assert "建议" in message.subject
    assert any(tracking_code_display(s.tracking_code) in m.subject and "梳理" in m.subject for m in mail.outbox)


def test_the_migration_backfills_formal_dates_and_stage_clocks(
    world: World, station_staff: User, committee_staff: User
) -> None:
    waiting = record(world, station_staff, on=D(2025, 9, 22))
    with at(D(2025, 9, 25)):
        category = CategoryFactory(code="roads", name="道路交通")
        waiting = workflow.suggestion_sort(suggestion=waiting, actor=station_staff, category=category, urgency="normal")
    formal = record(world, station_staff, on=D(2025, 9, 22), title="另一件")
    with at(D(2025, 9, 22)):
        formal = workflow.suggestion_sort(suggestion=formal, actor=station_staff, category=category, urgency="normal")
        formal = workflow.suggestion_propose(
            suggestion=formal, actor=station_staff, route="closed_session", note="规划"
        )
        formal = workflow.suggestion_decline(
            suggestion=formal, actor=committee_staff, note="转为闭会建议。", reference="12"
        )
    Suggestion.objects.update(stage_since=None, stage_due=None, formal_reply_due=None)
    migration = importlib.import_module("suggestions.migrations.0006_stage_deadlines")
    migration.backfill(apps, None)
    waiting.refresh_from_db()
    formal.refresh_from_db()
    assert formal.formal_reply_due == D(2025, 12, 22)
    assert waiting.stage_since is not None
    assert waiting.stage_since.date() == D(2025, 9, 25)
    assert waiting.stage_due == D(2025, 9, 29)  # 26th, the working Sunday 28th, 29th
