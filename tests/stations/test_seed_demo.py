"""The demo city and the benchmark province: deterministic, idempotent, consistent, scoped.

Run on PostgreSQL (the volume path loads with COPY and rebuilds indexes there). The demo
city is generated small (`--suggestions 300`) to keep these tests quick; the featured
suggestions of the demo accounts cover every state at any size.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Membership, Role, User
from representatives.models import Activity, DutyShift, Mandate, Representative
from stations.demo.accounts import DEMO_PASSWORD, DEMO_USERNAMES
from stations.demo.history import tracking_code
from stations.demo.seeding import seed_volume
from stations.demo.vocabulary import DEMO_CITY
from stations.models import Region, RegionLevel, Station, StationKind, VoterVisit
from suggestions.models import (
    Assignment,
    AssignmentRole,
    ExtensionRequest,
    HandlingUnit,
    HandlingUnitContact,
    State,
    Suggestion,
    SuggestionEvent,
)
from suggestions.selectors import suggestion_list
from suggestions.tracking import tracking_code_normalize
from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db(transaction=False)

SMALL = 300


def seed(**options: object) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict[str, object]:
    """What a user of the demo would notice if it changed."""
    return {
        "codes": sorted(Suggestion.objects.values_list("tracking_code", flat=True)),
        "states": Counter(Suggestion.objects.values_list("state", flat=True)),
        "titles": sorted(Suggestion.objects.values_list("title", flat=True))[:50],
        "regions": Region.objects.count(),
        "stations": sorted(Station.objects.values_list("name", flat=True)),
        "representatives": Representative.objects.count(),
        "units": HandlingUnit.objects.count(),
        "visits": VoterVisit.objects.count(),
        "events": SuggestionEvent.objects.count(),
        "users": sorted(User.objects.values_list("username", flat=True)),
    }


@pytest.fixture
def demo() -> None:
    seed(suggestions=SMALL)


def test_seed_twice_gives_the_same_data_not_twice_the_data() -> None:
    seed(suggestions=SMALL)
    first = snapshot()
    again = seed(suggestions=SMALL)
    assert "nothing to do" in again
    assert snapshot() == first


def test_reset_regenerates_identical_data() -> None:
    seed(suggestions=SMALL)
    first = snapshot()
    seed(suggestions=SMALL, reset=True)
    assert snapshot() == first


def test_the_city_has_what_the_brief_promises() -> None:
    seed()  # the default size
    city = Region.objects.get(code=DEMO_CITY[0])
    assert city.name == "榕州市"
    levels = Counter(Region.objects.filter(path__startswith=city.path).values_list("level", flat=True))
    assert levels[RegionLevel.COUNTY] >= 8
    assert levels[RegionLevel.TOWNSHIP] >= 40
    assert levels[RegionLevel.VILLAGE] >= 150
    village = Region.objects.filter(level=RegionLevel.VILLAGE).first()
    assert village is not None
    assert len(village.code) == 12
    assert village.path.startswith(city.path)
    stations = Station.objects.filter(region__path__startswith=city.path)
    assert stations.count() == 150
    assert set(stations.values_list("kind", flat=True)) == set(StationKind.values)
    assert stations.filter(star_rating=5).exists()
    assert stations.filter(features__name="说事驿站").exists()
    assert not stations.exclude(kind=StationKind.ONLINE).filter(Q(opening_hours="") | Q(phone="")).exists()
    assert Representative.objects.count() == 600
    assert len(set(Mandate.objects.values_list("level", flat=True))) >= 4
    assert Mandate.objects.values("representative").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Representative.objects.filter(stations=None).exists()
    today = timezone.localdate()
    this_monday = today - dt.timedelta(days=today.weekday())
    shifts = DutyShift.objects.all()
    assert shifts.filter(starts_at__date__gte=this_monday, starts_at__date__lt=this_monday + dt.timedelta(7)).exists()
    assert shifts.filter(starts_at__date__gte=this_monday + dt.timedelta(7)).exists()
    assert shifts.filter(starts_at__date__lt=this_monday).exists()
    assert Activity.objects.filter(date__lt=today - dt.timedelta(days=365)).exists()
    assert HandlingUnit.objects.count() == 60
    assert HandlingUnitContact.objects.exclude(email="").exists()
    assert HandlingUnitContact.objects.filter(email="").exists()
    assert Suggestion.objects.count() == 3000
    assert VoterVisit.objects.count() == 6000
    assert len(set(VoterVisit.objects.values_list("channel", flat=True))) == 8


def test_every_state_is_there_with_the_fields_it_needs(demo: None) -> None:
    states = Counter(Suggestion.objects.values_list("state", flat=True))
    assert set(states) == set(State.values)
    today = timezone.localdate()

    for s in Suggestion.objects.filter(state__in=[State.ASSIGNED, State.IN_PROGRESS]):
        assert s.lead_unit_id is not None
        assert s.reply_due is not None
        assert s.ack_due is not None
        assert s.ack_due <= s.reply_due
        assert s.assigned_at is not None
        assert s.deadline_basis["reply_due"]["days"] >= 5
        assert Assignment.objects.filter(
            suggestion=s, role=AssignmentRole.LEAD, is_active=True, unit_id=s.lead_unit_id, due=s.reply_due
        ).exists()
    for s in Suggestion.objects.filter(state=State.IN_PROGRESS):
        assert s.acknowledged_at is not None
    for s in Suggestion.objects.filter(state=State.REPLIED):
        assert s.reply_category
        assert s.reply_text
        assert s.replied_at is not None
        assert s.feedback_due is not None
    closed = Suggestion.objects.filter(state=State.CLOSED)
    for s in closed:
        assert s.closed_at is not None
        if s.lead_unit_id is not None or s.resolved_on_spot:
            assert s.reply_category
            assert s.rating or s.close_note
        else:
            assert s.route
            assert s.close_note
    assert closed.exclude(rating="").exists()
    assert closed.filter(is_published=True).exists()
    assert not Suggestion.objects.filter(is_published=True).exclude(state=State.CLOSED).exists()
    for s in Suggestion.objects.filter(state=State.MERGED).select_related("merged_into"):
        assert s.merged_into is not None
        assert s.merged_into.state != State.MERGED
        assert s.merged_into_id < s.pk

    open_handed = Suggestion.objects.filter(state=State.IN_PROGRESS)
    assert open_handed.filter(reply_due__lt=today).exists(), "some are overdue"
    assert open_handed.filter(reply_due__gte=today).exists(), "some are on time"
    assert Suggestion.objects.filter(supervision_level__gt=0).exists()
    assert ExtensionRequest.objects.exists()


def test_each_timeline_leads_to_the_state_it_shows(demo: None) -> None:
    now = timezone.now()
    events_by_suggestion: dict[int, list[SuggestionEvent]] = {}
    for event in SuggestionEvent.objects.order_by("suggestion_id", "created_at", "id"):
        events_by_suggestion.setdefault(event.suggestion_id, []).append(event)
    suggestions = list(Suggestion.objects.all())
    assert len(events_by_suggestion) == len(suggestions)
    for s in suggestions:
        events = events_by_suggestion[s.pk]
        assert events[0].action == "suggestion.recorded"
        assert events[0].created_at == s.created_at
        assert events[-1].to_state == s.state
        assert events[-1].created_at == s.updated_at <= now
        assert s.version == len(events)
        for before, after in itertools.pairwise(events):
            assert after.from_state == before.to_state, (s.tracking_code, before.action, after.action)
        assert s.submitter_phone.endswith(s.submitter_phone_last4)
        assert len(s.submitter_phone) == 11


def test_demo_accounts_exist_for_every_role_and_can_log_in(demo: None, client: Client) -> None:
    roles = {m.user.username: m.role for m in Membership.objects.select_related("user")}
    assert roles == {
        "admin": Role.ADMINISTRATOR,
        "committee": Role.COMMITTEE_STAFF,
        "district": Role.COMMITTEE_STAFF,
        "station": Role.STATION_STAFF,
        "unit": Role.UNIT_STAFF,
        "rep": Role.REPRESENTATIVE,
    }
    station = Station.objects.get(memberships__user__username="station")
    assert client.login(username="station", password=DEMO_PASSWORD)
    page = client.get("/").content.decode()
    assert station.name in page
    assert client.login(username="admin", password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_each_demo_account_sees_only_its_scope_and_several_states(demo: None) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    station = Station.objects.get(memberships__user=users["station"])
    unit = HandlingUnit.objects.get(memberships__user=users["unit"])
    city = Region.objects.get(memberships__user=users["committee"])
    district = Region.objects.get(memberships__user=users["district"])
    rep = Representative.objects.get(user=users["rep"])
    assert district.path.startswith(city.path)
    assert district != city

    def visible(username: str) -> list[Suggestion]:
        return list(suggestion_list(user=users[username]).select_related("region"))

    seen = visible("station")
    assert seen
    assert all(s.station_id == station.pk for s in seen)
    assert len({s.state for s in seen}) >= 6

    seen = visible("unit")
    co = set(Assignment.objects.filter(unit=unit, is_active=True).values_list("suggestion_id", flat=True))
    assert seen
    assert all(s.lead_unit_id == unit.pk or s.pk in co for s in seen)
    assert {State.ASSIGNED, State.IN_PROGRESS, State.REPLIED, State.CLOSED} <= {s.state for s in seen}

    seen = visible("district")
    assert seen
    assert all(s.region.path.startswith(district.path) for s in seen)
    assert len({s.state for s in seen}) == len(State.values)
    assert len(seen) < Suggestion.objects.count()

    seen = visible("committee")
    assert len(seen) == Suggestion.objects.filter(region__path__startswith=city.path).count()

    seen = visible("rep")
    assert seen
    assert all(s.representative_id == rep.pk for s in seen)
    assert rep.stations.filter(pk=station.pk).exists()

    assert len(visible("admin")) == Suggestion.objects.count()


def test_demo_accounts_command_prints_who_to_log_in_as(demo: None) -> None:
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    text = out.getvalue()
    station = Station.objects.get(memberships__user__username="station")
    for username in DEMO_USERNAMES:
        assert f"\n{username} " in text
    assert text.count(DEMO_PASSWORD) == len(DEMO_USERNAMES)
    assert station.name in text


def test_demo_accounts_command_without_demo_says_how_to_get_one() -> None:
    out = io.StringIO()
    call_command("demo_accounts", stdout=out)
    assert "seed_demo" in out.getvalue()


def test_bad_sizes_are_refused_and_change_nothing() -> None:
    with pytest.raises(CommandError):
        seed(suggestions=0)
    with pytest.raises(CommandError):
        seed(volume=0)
    assert not Region.objects.exists()
    assert not User.objects.exists()


def test_volume_generates_what_was_asked_and_reruns_without_duplicating() -> None:
    out = seed(volume=2000)
    assert "2000" in out
    assert Suggestion.objects.count() == 2000
    assert VoterVisit.objects.count() == 6000
    assert not Suggestion.objects.filter(events=None).exists()
    assert set(Suggestion.objects.values_list("state", flat=True)) >= {State.CLOSED, State.IN_PROGRESS, State.MERGED}
    years = {d.year for d in Suggestion.objects.dates("created_at", "year")}
    assert len(years) >= 5
    assert not Suggestion.objects.filter(state__in=[State.ASSIGNED, State.IN_PROGRESS], lead_unit=None).exists()
    before = snapshot()

    again = seed(volume=2000)
    assert "nothing to do" in again
    assert snapshot() == before

    with pytest.raises(CommandError, match="2000"):
        seed(volume=3000)
    assert snapshot() == before

    # People use the benchmark data (the benchmarks record suggestions): it is still the same dataset.
    SuggestionFactory(station=Station.objects.filter(kind=StationKind.STATION).first())
    assert "nothing to do" in seed(volume=2000)
    assert Suggestion.objects.count() == 2001


def test_volume_keeps_the_indexes_and_constraints_it_rebuilds() -> None:
    from django.db import connection

    def schema() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename, indexdef FROM pg_indexes WHERE tablename LIKE 'suggestions_%%' "
                "OR tablename LIKE 'stations_%%' "
                "UNION SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid::regclass::text LIKE 'suggestions_%%' OR conrelid::regclass::text LIKE 'stations_%%'"
            )
            return set(cursor.fetchall())

    before = schema()
    seed(volume=500)
    assert schema() == before


def test_volume_data_do_not_depend_on_the_number_of_worker_processes() -> None:
    """Chunks have their own random streams: worker processes change the speed, not the data."""

    class Rollback(Exception):
        pass

    def generate(processes: int) -> list[tuple[object, ...]]:
        try:
            with transaction.atomic():
                seed_volume(suggestions=2500, processes=processes)
                rows = list(
                    Suggestion.objects.order_by("id").values_list(
                        "id", "tracking_code", "state", "created_at", "updated_at", "reply_due", "visit_id"
                    )
                )
                rows.append((SuggestionEvent.objects.count(), VoterVisit.objects.count()))
                raise Rollback
        except Rollback:
            return rows

    in_workers = generate(processes=2)
    assert not Suggestion.objects.exists()
    in_process = generate(processes=1)
    assert in_workers == in_process
    assert len(in_workers) == 2501


def test_generated_tracking_codes_are_unique_readable_codes() -> None:
    codes = [tracking_code(position) for position in range(50_000)]
    assert len(set(codes)) == len(codes)
    assert all(tracking_code_normalize(code) == code for code in codes)
    assert not set("01OIL").intersection("".join(codes))


def test_every_suggestion_knows_the_city_and_county_of_its_region(demo: None) -> None:
    from suggestions.places import city_and_county

    suggestions = list(Suggestion.objects.select_related("region"))
    assert suggestions
    by_region = {s.region_id: city_and_county(s.region) for s in suggestions}
    wrong = [s.tracking_code for s in suggestions if (s.city_id, s.county_id) != by_region[s.region_id]]
    assert wrong == []
    assert any(s.county_id is not None for s in suggestions)
