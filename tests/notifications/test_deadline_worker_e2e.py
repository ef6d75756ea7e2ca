"""Issue 14 §6 end to end: a real `celery worker` runs the deadline sweep task on the test
database, our own Redis and an SMTP server, on today's real date (a worker's clock cannot be
moved). Every new deadline kind reaches its people by Chinese e-mail exactly once, the
overdue suggestion is put under key supervision automatically, and a second sweep sends
nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import membership_grant
from notifications.models import Channel, Delivery
from notifications.tasks import reminders_sweep
from suggestions import workflow
from suggestions.models import Suggestion
from suggestions.tracking import tracking_code_display
from tests.conftest import World
from tests.factories import CategoryFactory, HandlingUnitContactFactory, HandlingUnitFactory, UserFactory
from tests.notifications.smtp import Inbox
from tests.notifications.test_worker_e2e import (  # noqa: F401 - the fixtures are used by name
    Worker,
    all_dispatched,
    broker,
    inbox,
    proposed,
    redis_server,
    start_worker,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

CO_EMAIL = "li@cg.example.cn"


def _in_progress(
    world: World, station_staff: User, committee_staff: User, unit_staff: User, **kw: object
) -> Suggestion:
    s = proposed(world, station_staff, title=str(kw.pop("title")))
    s = workflow.suggestion_hand_over(suggestion=s, actor=committee_staff, lead_unit=world.unit_a, **kw)  # type: ignore[arg-type]
    return workflow.suggestion_acknowledge(suggestion=s, actor=unit_staff)


def test_a_real_worker_delivers_each_new_deadline_once_and_supervises_automatically(
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
    inbox: tuple[int, Inbox],  # noqa: F811
    start_worker: Callable[[], Worker],  # noqa: F811
) -> None:
    today = timezone.localdate()
    co_unit = HandlingUnitFactory(name="鼓楼区城管局", region=world.district_a)
    HandlingUnitContactFactory(unit=co_unit, name="李科长", email=CO_EMAIL, phone="")
    co_user = UserFactory(username="co_unit")
    membership_grant(user=co_user, role=Role.UNIT_STAFF, unit=co_unit)

    # 梳理: recorded today, to be sorted within two working days → "due soon" for station A.
    to_sort = workflow.suggestion_record(
        actor=station_staff, title="待梳理", content="路面坑洼。", region=world.town_a, station=world.station_a
    )
    # A co-unit's opinion due today.
    co = _in_progress(
        world, station_staff, committee_staff, unit_staff, title="协办", reply_due=today, co_units=[co_unit]
    )
    # An extension request waiting for the committee.
    asked = _in_progress(
        world, station_staff, committee_staff, unit_staff, title="延期", reply_due=today + dt.timedelta(days=30)
    )
    workflow.suggestion_request_extension(suggestion=asked, actor=unit_staff, days=3, reason="需要采购灯具。")
    # A "B" reply whose progress report is due today.
    follow = _in_progress(world, station_staff, committee_staff, unit_staff, title="跟踪")
    workflow.suggestion_reply(
        suggestion=follow, actor=unit_staff, category="B", text="已列入计划。", follow_up_due=today
    )
    # A reply whose feedback window ended yesterday without a rating.
    quiet = _in_progress(world, station_staff, committee_staff, unit_staff, title="未评价")
    workflow.suggestion_reply(suggestion=quiet, actor=unit_staff, category="A", text="已修复。")
    Suggestion.objects.filter(pk=quiet.pk).update(feedback_due=today - dt.timedelta(days=1))
    # A formal suggestion whose statutory reply date is today.
    formal = workflow.suggestion_record(
        actor=station_staff, title="闭会", content="全区停车规划。", region=world.town_a, station=world.station_a
    )
    formal = workflow.suggestion_sort(
        suggestion=formal,
        actor=station_staff,
        category=CategoryFactory(code="roads", name="道路交通"),
        urgency="normal",
    )
    formal = workflow.suggestion_propose(suggestion=formal, actor=station_staff, route="closed_session", note="规划")
    workflow.suggestion_decline(suggestion=formal, actor=committee_staff, note="转闭会建议。", reference="第12号")
    Suggestion.objects.filter(pk=formal.pk).update(formal_reply_due=today)
    # A reply thirty days overdue: key supervision, automatically.
    late = _in_progress(world, station_staff, committee_staff, unit_staff, title="超期")
    Suggestion.objects.filter(pk=late.pk).update(reply_due=today - dt.timedelta(days=30))

    worker = start_worker()
    wait_until(all_dispatched, timeout=60, what="the workflow's own notifications", log=worker.log)
    _, box = inbox
    before = len(box.snapshot())
    reminders_sweep.apply_async()
    expected = {
        ("sort", station_staff.email),
        ("co", CO_EMAIL),
        ("extension", committee_staff.email),
        ("follow_up", "wang@unit-a.example.cn"),
        ("feedback", committee_staff.email),
        ("formal", committee_staff.email),
    }

    def arrived() -> set[tuple[str, str]]:
        return {
            (key.split(":")[2], recipient)
            for key, recipient in Delivery.objects.filter(
                key__startswith="reminder:", channel=Channel.EMAIL, status="sent"
            ).values_list("key", "recipient")
        }

    wait_until(lambda: expected <= arrived(), timeout=90, what="every new kind of reminder", log=worker.log)
    wait_until(all_dispatched, timeout=60, what="every delivery to be marked sent", log=worker.log)
    late.refresh_from_db()
    assert late.supervision_level == 2
    (event,) = late.events.filter(action="suggestion.supervised")
    assert (event.actor_id, event.data["automatic"]) == (None, True)

    subjects = [str(m["Subject"]) for m in box.snapshot()[before:]]
    for code, text in (
        (to_sort.tracking_code, "梳理"),
        (co.tracking_code, "协办意见"),
        (asked.tracking_code, "延期申请"),
        (follow.tracking_code, "办理进展"),
        (quiet.tracking_code, "可以办结"),
        (formal.tracking_code, "闭会建议"),
        (late.tracking_code, "重点督办"),
    ):
        assert any(tracking_code_display(code) in s and text in s for s in subjects), (code, text, subjects)
    # Each reminder once: no (key, recipient) e-mail twice.
    reminder_keys = list(
        Delivery.objects.filter(key__startswith="reminder:", channel=Channel.EMAIL).values_list("key", "recipient")
    )
    assert len(reminder_keys) == len(set(reminder_keys))
    sent = len(box.snapshot())

    # The next sweep finds nothing new to send, and raises nothing again.
    rows = Delivery.objects.count()
    reminders_sweep.apply_async()

    def sweeps_done() -> int:
        lines = worker.log.read_text(errors="replace").splitlines()
        return sum(1 for line in lines if "reminders_sweep[" in line and "succeeded" in line)

    wait_until(
        lambda: sweeps_done() >= 2,
        timeout=60,
        what="the second sweep",
        log=worker.log,
    )
    wait_until(all_dispatched, timeout=30, what="the second sweep to settle", log=worker.log)
    assert Delivery.objects.count() == rows
    assert len(box.snapshot()) == sent
    assert late.events.filter(action="suggestion.supervised").count() == 1
