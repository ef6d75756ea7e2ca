"""The deadline sweep on PostgreSQL with the clock moved: due soon, due today, overdue, escalated —
each reminder exactly once, however often the sweep runs.

The dates sit around China's 2025 National Day holiday: 1–8 October off, Sunday 28 September
and Saturday 11 October working days.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from notifications import sms
from notifications.models import Channel, Delivery, DeliveryStatus, Notification
from notifications.reminders import reminder_sweep, sweep_window
from notifications.services import deliveries_send
from suggestions.models import HolidayOverride
from suggestions.tracking import tracking_code_display
from tests.conftest import World
from tests.factories import HandlingUnitContactFactory, HandlingUnitFactory
from tests.notifications.helpers import acknowledge, at, hand_over, reminder_rows

pytestmark = pytest.mark.django_db

D = dt.date
WANG_EMAIL = "wang@unit-a.example.cn"  # unit A's contact in the test world, no account
WANG_PHONE = "13900000000"


@pytest.fixture(autouse=True)
def _limits(settings: pytest.FixtureRequest) -> None:
    settings.REMINDER_DAYS_AHEAD = 2  # type: ignore[attr-defined]
    settings.ESCALATE_AFTER_DAYS = 3  # type: ignore[attr-defined]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    settings.SMS_BACKEND = "notifications.sms.LocmemBackend"  # type: ignore[attr-defined]
    sms.outbox.clear()


def sweep(day: dt.date) -> set[tuple[str, str, str]]:
    """Run the sweep at 09:00 on `day`; the (key, channel, recipient) it created."""
    with at(day):
        return reminder_rows(reminder_sweep().created_ids)


def keys(rows: set[tuple[str, str, str]]) -> set[str]:
    return {key for key, _, _ in rows}


@pytest.fixture
def in_progress(world: World, station_staff: User, committee_staff: User, unit_staff: User) -> int:
    """Handed over on Monday 22 September with the reply due Tuesday 30 September, acknowledged at once."""
    s = hand_over(
        world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 9, 22), reply_due=D(2025, 9, 30)
    )
    return acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 22)).pk


def test_reply_reminders_due_soon_today_and_overdue_are_each_sent_once(in_progress: int) -> None:
    sid = in_progress
    # Thursday 25th and Friday 26th: the 30th is more than two working days away.
    assert sweep(D(2025, 9, 25)) == set()
    assert sweep(D(2025, 9, 26)) == set()
    # Sunday 28th is a working day: Monday and Tuesday are the next two, so the 30th is due soon.
    soon = sweep(D(2025, 9, 28))
    assert soon == {
        (f"reminder:{sid}:reply:2025-09-30:soon", Channel.EMAIL, WANG_EMAIL),
        (f"reminder:{sid}:reply:2025-09-30:soon", Channel.SMS, WANG_PHONE),
    }
    assert sweep(D(2025, 9, 28)) == set()
    assert sweep(D(2025, 9, 29)) == set()  # still "soon": already told
    assert keys(sweep(D(2025, 9, 30))) == {f"reminder:{sid}:reply:2025-09-30:today"}
    assert keys(sweep(D(2025, 10, 1))) == {f"reminder:{sid}:reply:2025-09-30:overdue"}
    # Every later day of the holiday: nothing new.
    for day in range(2, 9):
        assert sweep(D(2025, 10, day)) == set()
    levels = sorted(key.rsplit(":", 1)[1] for key in Delivery.objects.values_list("key", flat=True).distinct())
    assert levels == ["overdue", "soon", "today"]
    assert Delivery.objects.count() == 6  # three levels × (e-mail, SMS), nothing twice


def test_sweeping_three_times_creates_each_reminder_exactly_once(in_progress: int) -> None:
    first = sweep(D(2025, 9, 30))
    assert first
    assert sweep(D(2025, 9, 30)) == set()
    assert sweep(D(2025, 9, 30)) == set()
    assert reminder_rows() == first


def test_acknowledgement_reminders_go_to_every_active_contact_on_each_channel(
    world: World, station_staff: User, committee_staff: User, unit_staff: User, other_unit_staff: User
) -> None:
    HandlingUnitContactFactory(
        unit=world.unit_a, name="刘干事", user=unit_staff, email="Liu@Unit-A.example.cn", phone="139 1111-2222"
    )
    HandlingUnitContactFactory(unit=world.unit_a, name="已离职", email="gone@unit-a.example.cn", is_active=False)
    HandlingUnitContactFactory(unit=world.unit_b, name="乙单位", user=other_unit_staff, email="b@unit-b.example.cn")
    # Handed over Friday 26th: acknowledge within two working days → Sunday 28th (working), Monday 29th.
    s = hand_over(world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 9, 26))
    assert s.ack_due == D(2025, 9, 29)

    key = f"reminder:{s.pk}:ack:2025-09-29:soon"
    assert sweep(D(2025, 9, 27)) == {
        (key, Channel.EMAIL, WANG_EMAIL),
        (key, Channel.SMS, WANG_PHONE),
        (key, Channel.IN_APP, str(unit_staff.pk)),
        (key, Channel.EMAIL, "liu@unit-a.example.cn"),
        (key, Channel.SMS, "13911112222"),
    }


def test_no_reminders_once_the_unit_has_acted(
    world: World, station_staff: User, committee_staff: User, unit_staff: User
) -> None:
    s = hand_over(world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 9, 26))
    acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 26))
    # The acknowledgement deadline no longer runs; the reply (15 working days) is far away.
    assert sweep(D(2025, 9, 29)) == set()
    assert sweep(D(2025, 9, 30)) == set()


def test_overdue_is_escalated_to_the_regions_committee_after_three_working_days_across_national_day(
    in_progress: int, committee_staff: User, city_committee_staff: User, other_committee_staff: User
) -> None:
    sid = in_progress
    escalated = f"reminder:{sid}:reply:2025-09-30:escalated"
    sweep(D(2025, 10, 1))  # overdue reminder to the unit
    # Eight calendar days late on 8 October, but no working day has passed yet.
    for day in range(2, 9):
        assert escalated not in keys(sweep(D(2025, 10, day)))
    assert sweep(D(2025, 10, 9)) == set()  # one working day
    assert sweep(D(2025, 10, 10)) == set()  # two
    rows = sweep(D(2025, 10, 11))  # the make-up Saturday is the third
    assert rows == {
        (escalated, Channel.IN_APP, str(committee_staff.pk)),
        (escalated, Channel.EMAIL, committee_staff.email),
        (escalated, Channel.IN_APP, str(city_committee_staff.pk)),
        (escalated, Channel.EMAIL, city_committee_staff.email),
    }
    assert str(other_committee_staff.pk) not in {recipient for _, _, recipient in rows}
    assert sweep(D(2025, 10, 11)) == set()
    assert sweep(D(2025, 10, 13)) == set()


def test_an_administrators_holiday_override_delays_the_escalation(in_progress: int) -> None:
    HolidayOverride.objects.create(date=D(2025, 10, 11), is_working_day=False, note="测试：调休取消")
    sweep(D(2025, 10, 1))
    assert sweep(D(2025, 10, 11)) == set()
    # Monday 13th is now the third working day after the deadline.
    assert {key.rsplit(":", 1)[1] for key in keys(sweep(D(2025, 10, 13)))} == {"escalated"}


def test_sweep_window_counts_working_days() -> None:
    window = sweep_window(D(2025, 9, 30))
    assert window.soon_until == D(2025, 10, 10)  # the holiday does not count
    assert window.escalate_until == D(2025, 9, 27)  # the 28th (a working Sunday), 29th and 30th are three
    assert sweep_window(D(2025, 10, 11)).escalate_until == D(2025, 10, 8)


def test_the_number_of_queries_does_not_grow_with_the_number_of_suggestions(
    world: World, station_staff: User, committee_staff: User, unit_staff: User
) -> None:
    def queries_for_sweep(day: dt.date) -> tuple[int, int]:
        with at(day), CaptureQueriesContext(connection) as ctx:
            created = reminder_sweep().created_ids
        return len(ctx.captured_queries), len(created)

    first = hand_over(
        world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 9, 22), reply_due=D(2025, 9, 30)
    )
    acknowledge(first, unit_staff=unit_staff, on=D(2025, 9, 22))
    few, created_few = queries_for_sweep(D(2025, 9, 30))
    for i in range(12):
        s = hand_over(
            world,
            station_staff=station_staff,
            committee_staff=committee_staff,
            on=D(2025, 9, 22),
            reply_due=D(2025, 10, 9),
            title=f"第{i}件",
        )
        acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 22))
    many, created_many = queries_for_sweep(D(2025, 10, 9))
    assert created_few == 2
    assert created_many >= 12 * created_few
    assert many == few


def test_swept_reminders_arrive_on_every_channel(world: World, in_progress: int, unit_staff: User) -> None:
    HandlingUnitContactFactory(
        unit=world.unit_a, name="刘干事", user=unit_staff, email="liu@unit-a.example.cn", phone=""
    )
    with at(D(2025, 9, 30)):
        created = reminder_sweep().created_ids
        report = deliveries_send(delivery_ids=created)
    assert report.sent == len(created) == 4
    assert sorted(m.to[0] for m in mail.outbox) == ["liu@unit-a.example.cn", WANG_EMAIL]
    code = Delivery.objects.get(pk=created[0]).suggestion.tracking_code  # type: ignore[union-attr]
    assert all(tracking_code_display(code) in m.subject for m in mail.outbox)
    assert all(f"/suggestions/{code}/" in m.body for m in mail.outbox)
    assert [m.to for m in sms.outbox] == [WANG_PHONE]
    note = Notification.objects.get(recipient=unit_staff)
    assert tracking_code_display(code) in note.title
    assert note.url.endswith(f"/suggestions/{code}/")
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    # Sending the same batch again sends nothing.
    assert deliveries_send(delivery_ids=created).sent == 0
    assert len(mail.outbox) == 2
    assert len(sms.outbox) == 1


def test_a_unit_with_no_contacts_gets_nothing_and_breaks_nothing(
    world: World, station_staff: User, committee_staff: User
) -> None:
    lonely = HandlingUnitFactory(name="无联系人单位", region=world.district_a)
    hand_over(world, station_staff=station_staff, committee_staff=committee_staff, on=D(2025, 9, 26), unit=lonely)
    assert sweep(D(2025, 9, 29)) == set()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_create_each_reminder_once(
    world: World, station_staff: User, committee_staff: User, unit_staff: User
) -> None:
    """Two workers sweeping at once on PostgreSQL: the unique constraint lets exactly one insert each row."""
    assert connection.vendor == "postgresql", "a concurrency test: run it on PostgreSQL (make test)"
    for i in range(20):
        s = hand_over(
            world,
            station_staff=station_staff,
            committee_staff=committee_staff,
            on=D(2025, 9, 22),
            reply_due=D(2025, 9, 30),
            title=f"第{i}件",
        )
        acknowledge(s, unit_staff=unit_staff, on=D(2025, 9, 22))
    start = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            start.wait(timeout=10)
            results.append(reminder_sweep().created_ids)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    with at(D(2025, 9, 30)):  # the clock is moved for the whole process, both threads included
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    first, second = results
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == sorted(Delivery.objects.values_list("id", flat=True))
    assert Delivery.objects.count() == 20 * 2  # e-mail and SMS to unit A's contact, once each
