"""Recording activities 履职登记: the rules, and that a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import User
from representatives.models import Activity, ActivityKind, Representative
from representatives.services import activity_delete, activity_record, activity_update
from suggestions.errors import WorkflowError
from tests.conftest import World
from tests.factories import RepresentativeFactory, StationFactory, UserFactory
from tests.representatives.conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def record(rep: Representative, actor: User, **changes: Any) -> Activity:
    fields: dict[str, Any] = {
        "kind": ActivityKind.RECEPTION,
        "date": TODAY,
        "hours": Decimal("2.5"),
        "title": "进站接待选民",
        "notes": "",
        "station": None,
    }
    fields.update(changes)
    return activity_record(representative=rep, actor=actor, **fields)


def refusal(rep: Representative, actor: User, **changes: Any) -> WorkflowError:
    with pytest.raises(WorkflowError) as caught:
        record(rep, actor, **changes)
    assert not Activity.objects.exists()
    return caught.value


def test_a_representative_records_their_own_activity(
    world: World, rep: Representative, representative_user: User
) -> None:
    activity = record(rep, representative_user, station=world.station_a, title="  进站接待选民  ", hours="1.5")
    assert (activity.kind, activity.date, activity.hours, activity.title) == (
        "reception",
        TODAY,
        Decimal("1.5"),
        "进站接待选民",
    )
    assert activity.station == world.station_a


@pytest.mark.parametrize("hours", ["0", "-1", "24.5", "25", "abc", "NaN"])
def test_hours_must_lie_between_0_and_24(rep: Representative, representative_user: User, hours: str) -> None:
    error = refusal(rep, representative_user, hours=hours)
    assert error.code == "validation"
    assert error.status == 400
    assert list(error.fields) == ["hours"]


def test_24_hours_and_one_decimal_are_fine_but_two_decimals_are_not(
    rep: Representative, representative_user: User
) -> None:
    assert record(rep, representative_user, hours=24).hours == Decimal("24.0")
    Activity.objects.all().delete()
    error = refusal(rep, representative_user, hours="1.25")
    assert list(error.fields) == ["hours"]


def test_the_date_cannot_be_in_the_future_or_before_2000(rep: Representative, representative_user: User) -> None:
    assert list(refusal(rep, representative_user, date=TODAY + dt.timedelta(days=1)).fields) == ["date"]
    assert list(refusal(rep, representative_user, date=dt.date(1999, 12, 31)).fields) == ["date"]


def test_every_bad_field_is_named_at_once(rep: Representative, representative_user: User) -> None:
    error = refusal(rep, representative_user, kind="party", title=" ", hours=0, station=StationFactory())
    assert set(error.fields) == {"kind", "title", "hours", "station"}


def test_nobody_else_records_for_a_representative(
    world: World, rep: Representative, committee_staff: User, station_staff: User
) -> None:
    other = RepresentativeFactory(user=UserFactory(username="rep_other"))
    for actor in (committee_staff, station_staff, other.user):
        error = refusal(rep, actor)
        assert (error.code, error.status) == ("not_allowed", 403)


def test_an_administrator_may_record_on_their_behalf(rep: Representative, admin_user: User) -> None:
    assert record(rep, admin_user).representative == rep


def test_only_the_owner_corrects_or_deletes(
    rep: Representative, representative_user: User, committee_staff: User
) -> None:
    activity = record(rep, representative_user)
    fields: dict[str, Any] = {"kind": "training", "date": TODAY, "hours": 3, "title": "履职培训"}
    with pytest.raises(WorkflowError):
        activity_update(activity=activity, actor=committee_staff, **fields)
    with pytest.raises(WorkflowError):
        activity_delete(activity=activity, actor=committee_staff)
    activity.refresh_from_db()
    assert activity.kind == "reception"
    with pytest.raises(WorkflowError) as caught:
        activity_update(activity=activity, actor=representative_user, **{**fields, "hours": 30})
    assert list(caught.value.fields) == ["hours"]
    updated = activity_update(activity=activity, actor=representative_user, **fields)
    assert (updated.kind, updated.hours, updated.title) == ("training", Decimal("3.0"), "履职培训")
    activity_delete(activity=activity, actor=representative_user)
    assert not Activity.objects.exists()
