"""Deadlines in working days on China's statutory calendar, with real dates (DESIGN §3)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from suggestions import workflow
from suggestions.deadlines import (
    WorkingCalendar,
    add_working_days,
    basis_description,
    is_working_day,
)
from suggestions.models import Assignment, CalendarYear, HolidayOverride, Suggestion, SuggestionEvent
from tests.suggestions.workflow_builders import Cast, build, record

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI)


def _handed_over(cast: Cast, *, urgency: str = "normal", co_unit: bool = False) -> Suggestion:
    s = record(cast, urgency=urgency)
    admin = cast.admin
    s = workflow.suggestion_sort(suggestion=s, actor=admin, category=cast.category, urgency=urgency)
    s = workflow.suggestion_propose(suggestion=s, actor=admin, route="unit")
    return workflow.suggestion_hand_over(
        suggestion=s,
        actor=cast.users["committee_staff"],
        lead_unit=cast.world.unit_a,
        co_units=[cast.co_unit] if co_unit else [],
    )


# --- National Day and Mid-Autumn 2025: 1-8 October off, Sunday 28 September and Saturday 11 October worked ---


@pytest.mark.django_db
def test_national_day_2025_five_working_days() -> None:
    start = dt.date(2025, 9, 26)  # a Friday
    result = add_working_days(start, 5)
    # 28 Sep (Sunday, worked), 29 Sep, 30 Sep, then the holiday, then 9 Oct, 10 Oct.
    assert result.due == dt.date(2025, 10, 10)
    assert (result.source, result.provisional) == ("statutory", False)
    assert add_working_days(start, 1).due == dt.date(2025, 9, 28)
    assert add_working_days(start, 6).due == dt.date(2025, 10, 11)  # the Saturday that is worked
    assert not any(is_working_day(dt.date(2025, 10, d)) for d in range(1, 9))


@pytest.mark.django_db
def test_urgent_hand_over_on_2025_09_26(cast: Cast) -> None:
    """Handed over on Friday 26 September 2025 with 5 working days (urgent): due Friday 10 October."""
    with time_machine.travel(_at(dt.date(2025, 9, 26)), tick=False):
        s = _handed_over(cast, urgency="urgent")
    assert s.reply_due == dt.date(2025, 10, 10)
    assert s.ack_due == dt.date(2025, 9, 29)  # the worked Sunday counts: 28th and 29th
    assert s.deadline_basis["reply_due"] == {
        "start": "2025-09-26",
        "days": 5,
        "source": "statutory",
        "provisional": False,
    }
    text = basis_description(s.deadline_basis["reply_due"])
    assert "5" in text
    assert "2025-09-26" in text


# --- Spring Festival 2026: 15-23 February off, Saturdays 14 and 28 February worked ---


@pytest.mark.django_db
def test_spring_festival_2026() -> None:
    assert add_working_days(dt.date(2026, 2, 13), 1).due == dt.date(2026, 2, 14)
    assert add_working_days(dt.date(2026, 2, 13), 2).due == dt.date(2026, 2, 24)
    assert add_working_days(dt.date(2026, 2, 13), 5).due == dt.date(2026, 2, 27)
    assert add_working_days(dt.date(2026, 2, 27), 1).due == dt.date(2026, 2, 28)


@pytest.mark.django_db
def test_hand_over_before_spring_festival_2026(cast: Cast) -> None:
    with time_machine.travel(_at(dt.date(2026, 2, 10)), tick=False):
        s = _handed_over(cast)
    # 11, 12, 13, 14 (Sat, worked), 24, 25, 26, 27, 28 (Sat, worked), 2, 3, 4, 5, 6, 9 March.
    assert s.reply_due == dt.date(2026, 3, 9)
    assert s.deadline_basis["reply_due"]["provisional"] is False


# --- Into 2027, which the calendar package does not know ---


@pytest.mark.django_db
def test_deadline_into_2027_is_provisional_until_the_year_is_entered(cast: Cast) -> None:
    with time_machine.travel(_at(dt.date(2026, 12, 21)), tick=False):
        s = _handed_over(cast, co_unit=True)
    # 22-25, 28-31 December (8), then weekdays: 1 (!), 4-8, 11 January.
    assert s.reply_due == dt.date(2027, 1, 11)
    assert s.deadline_basis["reply_due"]["provisional"] is True
    assert s.deadline_basis["reply_due"]["source"] == "weekdays"
    assert s.deadline_basis["ack_due"]["provisional"] is False  # 22 and 23 December 2026 are known
    with translation.override("en"):
        assert "provisional" in basis_description(s.deadline_basis["reply_due"])
    version = s.version

    admin = Client()
    admin.force_login(cast.admin)
    response = admin.post(
        reverse("admin:suggestions_holidayoverride_add"), {"date": "2027-01-01", "is_working_day": "", "note": "元旦"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:suggestions_holidayoverride_changelist")
    s.refresh_from_db()
    assert s.reply_due == dt.date(2027, 1, 12)
    assert s.deadline_basis["reply_due"]["provisional"] is True  # the rest of 2027 is still unknown
    assert s.version == version + 1
    event = SuggestionEvent.objects.filter(suggestion=s, action="suggestion.deadline_recalculated").get()
    assert event.actor == cast.admin
    assert event.data["changes"]["reply_due"]["old"] == "2027-01-11"
    assert event.data["changes"]["reply_due"]["new"] == "2027-01-12"
    assert event.data["dates"] == ["2027-01-01"]
    assert event.data["changes"]["co_due"] == {
        "old": "2027-01-04",
        "new": "2027-01-05",
        "source": "weekdays",  # the weakest source of the days counted: 4 January is still a guess
        "provisional": True,
    }
    assert Assignment.objects.get(suggestion=s, role="co").due == dt.date(2027, 1, 5)
    assert Assignment.objects.get(suggestion=s, role="lead").due == dt.date(2027, 1, 12)

    response = admin.post(
        reverse("admin:suggestions_calendaryear_add"), {"year": "2027", "overrides_complete": "on", "note": "国办通知"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:suggestions_calendaryear_changelist")
    s.refresh_from_db()
    assert s.reply_due == dt.date(2027, 1, 12)
    assert s.deadline_basis["reply_due"] == {
        "start": "2026-12-21",
        "days": 15,
        "source": "override",
        "provisional": False,
    }
    assert SuggestionEvent.objects.filter(suggestion=s, action="suggestion.deadline_recalculated").count() == 2


@pytest.mark.django_db
def test_removing_an_override_in_the_admin_recalculates_back(cast: Cast) -> None:
    with time_machine.travel(_at(dt.date(2026, 12, 21)), tick=False):
        s = _handed_over(cast)
        assert workflow.holiday_override_set(actor=cast.admin, date=dt.date(2027, 1, 1), is_working_day=False) == 1
    s.refresh_from_db()
    assert s.reply_due == dt.date(2027, 1, 12)
    admin = Client()
    admin.force_login(cast.admin)
    override = HolidayOverride.objects.get(date=dt.date(2027, 1, 1))
    response = admin.post(reverse("admin:suggestions_holidayoverride_delete", args=[override.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not HolidayOverride.objects.exists()
    s.refresh_from_db()
    assert s.reply_due == dt.date(2027, 1, 11)
    assert SuggestionEvent.objects.filter(suggestion=s, action="suggestion.deadline_recalculated").count() == 2


@pytest.mark.django_db
def test_an_override_wins_over_the_package() -> None:
    HolidayOverride.objects.create(date=dt.date(2025, 10, 9), is_working_day=False, note="测试")
    result = add_working_days(dt.date(2025, 9, 26), 5)
    assert result.due == dt.date(2025, 10, 11)
    assert (result.source, result.provisional) == ("override", False)


@pytest.mark.django_db
def test_recalculation_touches_only_running_deadlines_across_the_changed_day(cast: Cast) -> None:
    with time_machine.travel(_at(dt.date(2026, 12, 21)), tick=False):
        running = _handed_over(cast)
        manual = record(cast)
        manual = workflow.suggestion_sort(suggestion=manual, actor=cast.admin, category=cast.category, urgency="normal")
        manual = workflow.suggestion_propose(suggestion=manual, actor=cast.admin, route="unit")
        manual = workflow.suggestion_hand_over(
            suggestion=manual, actor=cast.admin, lead_unit=cast.world.unit_a, reply_due=dt.date(2027, 1, 20)
        )
        closed, _ = build(cast, "closed")
        versions = {s.pk: s.version for s in (running, manual, closed)}
        # A day after the running deadline changes nothing.
        assert workflow.holiday_override_set(actor=cast.admin, date=dt.date(2027, 2, 1), is_working_day=False) == 0
        assert workflow.holiday_override_set(actor=cast.admin, date=dt.date(2027, 1, 4), is_working_day=False) == 1
    running.refresh_from_db()
    manual.refresh_from_db()
    assert running.reply_due == dt.date(2027, 1, 12)
    assert running.version == versions[running.pk] + 1
    assert Suggestion.objects.get(pk=manual.pk).version == versions[manual.pk]
    assert manual.reply_due == dt.date(2027, 1, 20)
    assert Suggestion.objects.get(pk=closed.pk).version == versions[closed.pk]
    assert not SuggestionEvent.objects.filter(
        suggestion__in=[manual, closed], action="suggestion.deadline_recalculated"
    ).exists()


@pytest.mark.django_db
def test_calendar_year_service_and_removal(cast: Cast) -> None:
    with time_machine.travel(_at(dt.date(2026, 12, 21)), tick=False):
        s = _handed_over(cast)
        assert workflow.calendar_year_set(actor=cast.admin, year=2027, overrides_complete=True) == 1
        s.refresh_from_db()
        assert s.deadline_basis["reply_due"]["provisional"] is False
        assert workflow.calendar_year_set(actor=cast.admin, year=2027, overrides_complete=True) == 0
        assert workflow.calendar_year_set(actor=cast.admin, year=2027, overrides_complete=False) == 1
    s.refresh_from_db()
    assert s.deadline_basis["reply_due"]["provisional"] is True
    assert CalendarYear.objects.get(year=2027).overrides_complete is False


# --- Never crash ---


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start",
    [dt.date(1990, 5, 1), dt.date(2003, 12, 30), dt.date(2099, 12, 28), dt.date(9999, 12, 20)],
)
def test_years_the_package_does_not_know_never_crash(start: dt.date) -> None:
    result = add_working_days(start, 10)
    assert result.due >= start
    assert result.provisional is True
    assert result.source == "weekdays"


@pytest.mark.django_db
@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2003, 6, 1), max_value=dt.date(2031, 12, 31)),
    days=st.integers(min_value=0, max_value=60),
)
def test_a_deadline_is_never_before_its_start_and_counts_exactly(start: dt.date, days: int) -> None:
    calendar = WorkingCalendar()
    result = calendar.add_working_days(start, days)
    assert result.due >= start
    assert calendar.working_days_between(start, result.due) == days
    if days:
        assert calendar.is_working_day(result.due)
    known = all(2004 <= y <= 2026 for y in {start.year, result.due.year})
    assert result.provisional is not known or result.source == "statutory"
