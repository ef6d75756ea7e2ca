"""Field work by representatives (issue 14 §7): a visit and its suggestions recorded from a phone
for a station the representative is assigned to, sorted by the station's staff as usual."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from representatives.models import Representative
from stations.models import VoterVisit
from suggestions import workflow
from suggestions.models import State, Suggestion, SuggestionEvent
from tests.conftest import World
from tests.factories import CategoryFactory, RepresentativeFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/representatives/me/visits/new/"


def page_text(response: HttpResponse) -> str:
    return html.unescape(response.content.decode())


def field_data(world: World, *rows: dict[str, Any], **visit: Any) -> dict[str, Any]:
    """The POST of the field-work screen: the visit, then one block per suggestion row."""
    when = timezone.localtime() - dt.timedelta(hours=2)
    data: dict[str, Any] = {
        "station": world.station_a.pk,
        "channel": "outreach",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "voters_received": "6",
        "place": "鼓东街道三坊社区活动中心门口",
        "notes": "",
        "s-TOTAL_FORMS": str(len(rows)),
        "s-INITIAL_FORMS": "0",
        "s-MIN_NUM_FORMS": "0",
        "s-MAX_NUM_FORMS": "50",
        **visit,
    }
    for index, row in enumerate(rows):
        defaults = {"title": "", "content": "", "category": "", "urgency": "normal", "address": ""}
        for key, value in {**defaults, **row}.items():
            data[f"s-{index}-{key}"] = value
    return data


TWO_ROWS = (
    {
        "title": "三坊社区路灯不亮",
        "content": "巷口两盏路灯坏了一个月。",
        "submitter_name": "林大姐",
        "submitter_phone": "13812345678",
    },
    {"title": "社区菜市场占道经营", "address": "三坊路12号"},
)


def nothing_saved() -> None:
    assert VoterVisit.objects.count() == 0
    assert Suggestion.objects.count() == 0
    assert SuggestionEvent.objects.count() == 0


@pytest.fixture
def rep(representative_user: User) -> Representative:
    """陈代表, assigned to station A."""
    return Representative.objects.get(user=representative_user)


def test_a_representative_records_field_work_and_station_staff_sort_it(
    client: Client, world: World, rep: Representative, representative_user: User, station_staff: User
) -> None:
    client.force_login(representative_user)
    form = page_text(client.get(URL))
    assert world.station_a.name in form
    assert world.station_b.name not in form  # only the stations they are assigned to
    assert _("Outreach and door-to-door visit") in form
    assert _("Night talk and visit") in form
    assert _("Service booth") in form
    assert 'value="reception"' not in form  # in-station reception is the desk's, not field work
    assert 'name="s-0-representative"' not in form  # they are the receiving representative

    response = client.post(URL, field_data(world, *TWO_ROWS))
    assert response.status_code == 302
    visit = VoterVisit.objects.get()
    assert response["Location"] == f"/visits/{visit.pk}/"
    assert (visit.station, visit.channel, visit.recorded_by, visit.voters_received) == (
        world.station_a,
        "outreach",
        representative_user,
        6,
    )
    assert list(visit.representatives.all()) == [rep]  # listed as present
    rows = list(Suggestion.objects.order_by("id"))
    assert [s.title for s in rows] == ["三坊社区路灯不亮", "社区菜市场占道经营"]
    for s in rows:
        assert (s.state, s.station, s.visit, s.representative, s.recorded_by, s.channel) == (
            State.RECEIVED,
            world.station_a,
            visit,
            rep,
            representative_user,
            "outreach",
        )
    assert SuggestionEvent.objects.filter(action="suggestion.recorded").count() == 2

    # The representative gets the tracking codes to hand to the voters, and sees them as received.
    slips = page_text(client.get(response["Location"]))
    for s in rows:
        assert f"{s.tracking_code[:5]}-{s.tracking_code[5:]}" in slips
    assert URL in slips  # "log another visit" leads back to the field-work screen
    mine = page_text(client.get("/representatives/me/suggestions/"))
    assert "三坊社区路灯不亮" in mine
    assert "社区菜市场占道经营" in mine

    # The station's staff find them in their "to sort" queue and sort them as usual.
    client.force_login(station_staff)
    queue = page_text(client.get("/suggestions/?queue=to_sort")).replace("-", "")
    assert rows[0].tracking_code in queue
    assert rows[1].tracking_code in queue
    roads = CategoryFactory(code="roads", name="道路交通")
    sorted_ = workflow.suggestion_sort(suggestion=rows[0], actor=station_staff, category=roads, urgency="normal")
    assert sorted_.state == State.SORTED
    assert world.station_a.name in page_text(client.get(f"/visits/{visit.pk}/"))


def test_other_representatives_present_are_listed_with_the_recorder(
    client: Client, world: World, rep: Representative, representative_user: User
) -> None:
    colleague = RepresentativeFactory(name="郑代表")
    colleague.stations.add(world.station_a)
    elsewhere = RepresentativeFactory(name="吴代表")
    elsewhere.stations.add(world.station_b)
    client.force_login(representative_user)
    form = page_text(client.get(URL))
    assert "郑代表" in form
    assert "吴代表" not in form
    response = client.post(URL, field_data(world, representatives=[colleague.pk], channel="night_talk"))
    assert response.status_code == 302
    visit = VoterVisit.objects.get()
    assert set(visit.representatives.all()) == {rep, colleague}
    assert visit.channel == "night_talk"


def test_field_work_for_a_station_the_representative_is_not_assigned_to_is_refused(
    client: Client, world: World, representative_user: User
) -> None:
    client.force_login(representative_user)
    response = client.post(URL, field_data(world, *TWO_ROWS, station=world.station_b.pk))
    assert response.status_code == 403
    text = page_text(response)
    assert (
        _("You are not assigned to this station: representatives record field work only for their own stations.")
        in text
    )
    assert "三坊社区路灯不亮" in text  # what they typed is kept
    nothing_saved()


@pytest.mark.parametrize("channel", ["reception", "online", "hotline", "phone", "letter"])
def test_a_channel_that_is_not_field_work_is_refused(
    client: Client, world: World, representative_user: User, channel: str
) -> None:
    client.force_login(representative_user)
    response = client.post(URL, field_data(world, *TWO_ROWS, channel=channel))
    assert response.status_code == 400
    assert _(
        "Field work is an outreach visit, a night talk or a service booth; station staff log the other channels."
    ) in page_text(response)
    nothing_saved()


def test_a_representative_without_a_station_is_told_so(client: Client, world: World) -> None:
    user = UserFactory(username="rep_nowhere")
    RepresentativeFactory(name="孙代表", user=user)
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 403
    assert _(
        "You are not assigned to a liaison station, so there is no station to record field work for. "
        "Ask the committee's staff or an administrator to assign you to one."
    ) in page_text(response)
    assert client.post(URL, field_data(world, *TWO_ROWS)).status_code == 403
    nothing_saved()


def test_an_inactive_representative_records_no_field_work(
    client: Client, world: World, rep: Representative, representative_user: User
) -> None:
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    client.force_login(representative_user)
    assert client.post(URL, field_data(world, *TWO_ROWS)).status_code == 403
    nothing_saved()


def test_only_representatives_record_field_work(client: Client, world: World, station_staff: User) -> None:
    client.force_login(station_staff)
    response = client.post(URL, field_data(world, *TWO_ROWS))
    assert response.status_code == 403
    assert _("Only for representatives") in page_text(response)
    nothing_saved()


def test_the_representative_finds_field_work_in_the_menu_home_and_tabs(
    client: Client, world: World, representative_user: User
) -> None:
    client.force_login(representative_user)
    home = page_text(client.get("/"))
    assert f'href="{URL}" data-testid="record-field-work"' in home
    assert home.count(f'href="{URL}"') >= 2  # the main menu too
    file_page = page_text(client.get("/representatives/me/"))
    assert 'data-testid="field-work"' in file_page
    # Station staff's screen stays theirs, and points the representative here.
    desk = client.get("/visits/new/")
    assert desk.status_code == 403
    assert f'href="{URL}"' in page_text(desk)
    assert f'href="{URL}"' in page_text(client.get("/visits/"))
