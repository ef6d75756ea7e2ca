"""Visits: an empty one is refused; station staff correct one within VISIT_EDIT_HOURS, each
correction logged (who, when, old → new) and shown on the visit page; then it is read-only."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from representatives.models import Representative
from stations.models import VisitCorrection, VoterVisit
from stations.services import visit_correct, visit_record
from suggestions.errors import WorkflowError
from suggestions.models import Suggestion, SuggestionEvent
from tests.conftest import World
from tests.factories import RepresentativeFactory
from tests.stations.test_views import nothing_saved, visit_data

pytestmark = pytest.mark.django_db


def text(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    return client


# --- An empty visit ------------------------------------------------------------------------------


def test_the_form_as_it_comes_saves_nothing(world: World, station_staff: User) -> None:
    client = signed_in(station_staff)
    page = text(client.get("/visits/new/"))
    assert 'name="voters_received" value=' not in page  # no "1 voter" filled in for the user
    response = client.post("/visits/new/", visit_data(world, voters_received=""))
    assert response.status_code == 400
    assert "没有可保存的内容：请填写接待选民人数、登记意见建议或填写备注。" in text(response)
    nothing_saved()


def test_no_voters_and_no_suggestion_and_no_note_is_refused_by_the_service(world: World, station_staff: User) -> None:
    with pytest.raises(WorkflowError) as refused:
        visit_record(
            actor=station_staff,
            station=world.station_a,
            channel="reception",
            occurred_at=timezone.now(),
            voters_received=0,
            notes="   ",
        )
    assert refused.value.code == "visit_empty"
    nothing_saved()


@pytest.mark.parametrize(
    ("visit", "rows"),
    [
        ({"voters_received": "3"}, []),  # voters came, nothing more to record
        ({"voters_received": "0", "notes": "代表进站，无选民来访。"}, []),
        ({"voters_received": ""}, [{"title": "路灯不亮"}]),  # with a suggestion, one voter at least
    ],
)
def test_a_visit_that_records_something_is_saved(
    world: World, station_staff: User, visit: dict[str, str], rows: list[dict[str, str]]
) -> None:
    response = signed_in(station_staff).post("/visits/new/", visit_data(world, *rows, **visit))
    assert response.status_code == 302
    saved = VoterVisit.objects.get()
    assert saved.voters_received == (int(visit["voters_received"]) if visit["voters_received"] else 1)


def test_no_voters_beside_suggestions_is_refused(world: World, station_staff: User) -> None:
    response = signed_in(station_staff).post(
        "/visits/new/", visit_data(world, {"title": "路灯不亮"}, voters_received="0")
    )
    assert response.status_code == 400
    assert "这次接待记录了意见建议，说明至少接待了一位选民" in text(response)
    nothing_saved()


# --- Corrections -----------------------------------------------------------------------------------


@pytest.fixture
def logged(world: World, station_staff: User) -> VoterVisit:
    rep = RepresentativeFactory(name="陈代表")
    rep.stations.add(world.station_a)
    visit, _rows = visit_record(
        actor=station_staff,
        station=world.station_a,
        channel="reception",
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        voters_received=2,
        notes="",
        suggestions=[{"title": "楼道灯坏了", "content": "三楼楼道灯不亮。"}],
    )
    return visit


def correction(world: World, visit: VoterVisit, **changes: object) -> dict[str, object]:
    when = timezone.localtime(visit.occurred_at)
    data: dict[str, object] = {
        "channel": visit.channel,
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "voters_received": str(visit.voters_received),
        "place": visit.place,
        "notes": visit.notes,
    }
    data.update(changes)
    return data


def test_station_staff_correct_a_visit_and_the_log_shows_old_and_new(
    world: World, station_staff: User, logged: VoterVisit
) -> None:
    client = signed_in(station_staff)
    page = text(client.get(f"/visits/{logged.pk}/"))
    assert f'href="/visits/{logged.pk}/edit/"' in page
    rep = Representative.objects.get(name="陈代表")
    response = client.post(
        f"/visits/{logged.pk}/edit/",
        correction(world, logged, channel="night_talk", voters_received="5", representatives=[rep.pk], notes="补记"),
    )
    assert response.status_code == 302
    logged.refresh_from_db()
    assert (logged.channel, logged.voters_received, logged.notes) == ("night_talk", 5, "补记")
    assert list(logged.representatives.all()) == [rep]
    row = VisitCorrection.objects.get(visit=logged)
    assert row.actor == station_staff
    assert {c["field"]: (c["old"], c["new"]) for c in row.changes} == {
        "channel": ("reception", "night_talk"),
        "voters_received": (2, 5),
        "representatives": ([], ["陈代表"]),
        "notes": ("", "补记"),
    }
    page = text(client.get(f"/visits/{logged.pk}/"))
    log = page.split('data-testid="visit-corrections"')[1]
    assert "接待方式：进站接待 → 夜谈夜访" in log
    assert "接待选民人数：2 → 5" in log
    assert str(station_staff) in log
    # The suggestions of the visit follow its channel (dashboards count them by channel).
    s = Suggestion.objects.get(visit=logged)
    assert s.channel == "night_talk"
    assert SuggestionEvent.objects.filter(suggestion=s, action="suggestion.channel_corrected").count() == 1


def test_a_correction_that_changes_nothing_writes_nothing(
    world: World, station_staff: User, logged: VoterVisit
) -> None:
    response = signed_in(station_staff).post(f"/visits/{logged.pk}/edit/", correction(world, logged))
    assert response.status_code == 302
    assert not VisitCorrection.objects.exists()


def test_a_bad_correction_is_refused_in_chinese_and_nothing_changes(
    world: World, station_staff: User, logged: VoterVisit
) -> None:
    client = signed_in(station_staff)
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/visits/{logged.pk}/edit/", correction(world, logged, occurred_at=future))
    assert response.status_code == 400
    assert "接待时间不能晚于现在。" in text(response)
    response = client.post(f"/visits/{logged.pk}/edit/", correction(world, logged, voters_received="0"))
    assert response.status_code == 400
    assert "至少接待了一位选民" in text(response)
    logged.refresh_from_db()
    assert (logged.voters_received, logged.channel) == (2, "reception")
    assert not VisitCorrection.objects.exists()


def test_after_the_window_the_visit_is_read_only(
    world: World, station_staff: User, logged: VoterVisit, settings: object
) -> None:
    settings.VISIT_EDIT_HOURS = 72  # type: ignore[attr-defined]
    later = logged.created_at + dt.timedelta(hours=72, minutes=1)
    with time_machine.travel(later, tick=False):
        client = signed_in(station_staff)
        page = text(client.get(f"/visits/{logged.pk}/"))
        assert f'href="/visits/{logged.pk}/edit/"' not in page
        assert "这次接待登记已超过 72 小时，现在只能查看，不能更正。" in page
        response = client.post(f"/visits/{logged.pk}/edit/", correction(world, logged, voters_received="9"))
        assert response.status_code == 409
        assert "这次接待登记已超过 72 小时，不能再更正" in text(response)
        with pytest.raises(WorkflowError) as refused:
            visit_correct(
                actor=station_staff,
                visit=logged,
                channel="reception",
                occurred_at=logged.occurred_at,
                voters_received=9,
                representatives=[],
            )
        assert refused.value.code == "visit_locked"
    logged.refresh_from_db()
    assert logged.voters_received == 2
    assert not VisitCorrection.objects.exists()


def test_within_the_window_set_in_the_environment(
    world: World, station_staff: User, logged: VoterVisit, settings: object
) -> None:
    settings.VISIT_EDIT_HOURS = 1  # type: ignore[attr-defined]
    with time_machine.travel(logged.created_at + dt.timedelta(minutes=59), tick=False):
        response = signed_in(station_staff).post(
            f"/visits/{logged.pk}/edit/", correction(world, logged, voters_received="3")
        )
        assert response.status_code == 302
    with time_machine.travel(logged.created_at + dt.timedelta(minutes=61), tick=False):
        response = signed_in(station_staff).post(
            f"/visits/{logged.pk}/edit/", correction(world, logged, voters_received="4")
        )
        assert response.status_code == 409
    logged.refresh_from_db()
    assert logged.voters_received == 3
    assert VisitCorrection.objects.count() == 1


def test_only_the_stations_staff_correct_it(
    world: World, logged: VoterVisit, committee_staff: User, other_station_staff: User
) -> None:
    # Committee staff see the visit but do not correct it; another station does not see it.
    response = signed_in(committee_staff).post(
        f"/visits/{logged.pk}/edit/", correction(world, logged, voters_received="7")
    )
    assert response.status_code == 403
    assert signed_in(other_station_staff).get(f"/visits/{logged.pk}/edit/").status_code == 404
    logged.refresh_from_db()
    assert logged.voters_received == 2
