"""The two datasets: the demo city (`seed_demo`) and the benchmark province (`seed_volume`).

Both are deterministic: a fixed seed and the generation day decide every row, so a second
run on the same day produces the same data. Both are idempotent: the demo city is
recognised by its city code and the volume province by its province code, and an
existing dataset is left alone. Everything is written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import multiprocessing
import os
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from representatives.models import Representative
from stations.demo import vocabulary as V
from stations.demo.accounts import DEMO_USERNAMES, DemoUsers, demo_users_ensure, demo_users_scope
from stations.demo.bulk import BulkWriter, IdBlock, Row, Table, copy_text
from stations.demo.calendar import WorkdayTable
from stations.demo.history import (
    HISTORY_MODELS,
    HISTORY_TABLES,
    Actors,
    Featured,
    HistoryMaker,
    local_ordinal,
    local_time,
    pick_state,
    tracking_code,
)
from stations.demo.people import PersonMaker
from stations.demo.world import (
    REFERENCE_MODELS,
    TZ,
    CityPlan,
    DistrictPlan,
    World,
    WorldPlan,
    build_world,
)
from stations.models import Region, Station, StationKind, VoterVisit
from suggestions.casefile import case_file_from_events
from suggestions.models import HandlingUnit, State, Suggestion

DEMO_SEED = 20_240_601
VOLUME_SEED = 19_491_001
# Disjoint ranges of the tracking-code permutation, so the two datasets never share a code.
DEMO_CODES = 0
VOLUME_CODES = 1_000_000_000
DEMO_SUGGESTIONS = 3000
DEMO_YEARS = 2
VOLUME_YEARS = 5

Progress = Callable[[int, int], None]

# Suggestions the demo accounts must find in every state: (state, age in days).
FEATURED: tuple[tuple[str, float], ...] = (
    (State.RECEIVED, 0.3),
    (State.RECEIVED, 1.5),
    (State.SORTED, 1.2),
    (State.SORTED, 3.5),
    (State.PROPOSED, 2.2),
    (State.PROPOSED, 5),
    (State.ASSIGNED, 1.1),
    (State.ASSIGNED, 2.4),
    (State.ASSIGNED, 9),
    (State.IN_PROGRESS, 6),
    (State.IN_PROGRESS, 12),
    (State.IN_PROGRESS, 40),
    (State.IN_PROGRESS, 75),
    (State.REPLIED, 20),
    (State.REPLIED, 27),
    (State.CLOSED, 45),
    (State.CLOSED, 70),
    (State.CLOSED, 100),
    (State.CLOSED, 150),
    (State.CLOSED, 220),
    (State.CLOSED, 300),
    (State.MERGED, 30),
    (State.MERGED, 120),
)


@dataclass
class SeedResult:
    created: bool
    suggestions: int
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def generation_now() -> dt.datetime:
    """The generated data's "now": the start of today in Asia/Shanghai, so runs on one day agree."""
    today = timezone.localdate(timezone.now(), TZ)
    return dt.datetime.combine(today, dt.time(0), tzinfo=TZ)


# --- Plans -------------------------------------------------------------------------------------------------------

# Townships per demo district (streets in the city, towns in the counties); about 150 stations in all.
DEMO_TOWNSHIPS = (7, 6, 6, 5, 6, 6, 6, 5, 7)


def demo_plan() -> WorldPlan:
    province_code = V.DEMO_PROVINCE[0]
    city_code, city_name = V.DEMO_CITY
    districts = tuple(
        DistrictPlan(code=f"{city_code[:4]}{suffix}", name=name, urban=urban, townships=townships)
        for (suffix, name, urban), townships in zip(V.DEMO_DISTRICTS, DEMO_TOWNSHIPS, strict=True)
    )
    return WorldPlan(
        province=(province_code, V.DEMO_PROVINCE[1]),
        cities=(CityPlan(code=city_code, name=city_name, districts=districts, lat=26.07, lng=119.30),),
        representatives=600,
        stations=150,
        units=60,
        email_domain="rongzhou.gov.example",
    )


def volume_plan(suggestions: int) -> WorldPlan:
    """Reference data in proportion to the suggestions: a province of 2,000 stations, 10,000
    representatives and 500 units at one million (DESIGN §9); at least a small city."""
    stations = max(30, min(2000, suggestions // 500))
    n_districts = max(2, round(stations / 16.7))
    n_cities = math.ceil(n_districts / 6)
    townships = max(2, round((stations / n_districts - 2) / 2.4))
    cities = []
    district_words = V.VOLUME_DISTRICT_WORDS
    made = 0
    for c in range(n_cities):
        code = f"39{c + 1:02d}00"
        count = min(6, n_districts - made)
        districts = tuple(
            DistrictPlan(
                code=f"{code[:4]}{d + 1:02d}",
                name=f"{district_words[(c * 6 + d) % len(district_words)]}{'区' if d < 3 else '县'}",
                urban=d < 3,
                townships=townships,
            )
            for d in range(count)
        )
        made += count
        name = f"{V.VOLUME_CITY_NAMES[c % len(V.VOLUME_CITY_NAMES)]}市"
        cities.append(
            CityPlan(code=code, name=name, districts=districts, lat=24.5 + (c % 5) * 0.6, lng=117.0 + (c // 5) * 0.7)
        )
    city_keys = (*tuple(V.DEPARTMENTS)[:10], "power", "water_supply", "gas")
    return WorldPlan(
        province=V.VOLUME_PROVINCE,
        cities=tuple(cities),
        representatives=stations * 5,
        stations=stations,
        units=max(len(city_keys), stations // 4),
        villages_per_township=(3, 5),
        city_unit_keys=city_keys,
        duty_weeks=range(-1, 2),
        activities_per_rep=(2, 6),
        activity_days=365 * VOLUME_YEARS,
        email_domain="haixi.gov.example",
    )


# --- Shared steps ------------------------------------------------------------------------------------------------


def _featured(world: World) -> Featured:
    station = next(s for s in world.stations if s.kind == StationKind.STATION)
    unit = world.district_unit(station.district_index, "housing") or world.city_unit(0, "housing")
    first_rep = min(world.rep_names)
    categories = tuple(c for c in world.categories if unit is not None and unit.dept in c.departments)
    return Featured(
        station=station,
        unit=unit,
        rep_id=first_rep if first_rep in station.rep_ids else None,
        categories=categories or tuple(world.categories),
    )


def _moments(
    rng: random.Random, first: int, count: int, total: int, now: dt.datetime, years: int
) -> Iterator[tuple[float, str]]:
    """Receipt times (POSIX seconds) of suggestions `first` … `first + count - 1` of `total` spread over
    `years` up to `now` in order, busier in recent years and on weekdays, each with the state it has
    reached by now."""
    growth = 1.0
    span = 365 * years
    end = now.timestamp()
    last_day = local_ordinal(end) - 1
    first_day = last_day - span + 1
    hours = (8, 9, 9, 10, 10, 10, 11, 11, 14, 15, 15, 16, 16, 17, 19, 20)
    for i in range(first, first + count):
        u = (i + rng.random()) / total
        x = (-1 + math.sqrt(1 + 2 * growth * u * (1 + growth / 2))) / growth
        day = first_day + int(x * span)
        weekday = (day + 6) % 7  # Monday 0, as date.weekday()
        if weekday >= 5 and rng.random() < 0.6:
            day -= weekday - 4
        moment = local_time(day, hours[int(rng.random() * len(hours))] + rng.random())
        yield moment, pick_state((end - moment) / 86400, rng.random())


def _featured_moments(now: dt.datetime) -> list[tuple[float, str]]:
    end = now.timestamp()
    out = []
    for state, age in FEATURED:
        day = local_ordinal(end - age * 86400)
        hour = 10.0 + (age % 1) * 6
        out.append((min(local_time(day, hour), end - 600), state))
    return sorted(out)


@dataclass(frozen=True)
class Chunk:
    """A slice of the suggestions, generated from its own random stream: the data do not depend on
    how many processes share the work."""

    index: int
    first: int  # position of its first suggestion among all of them
    count: int
    featured: bool = False


@dataclass
class Generation:
    """Everything needed to generate any chunk; worker processes inherit it when they fork."""

    world: World
    calendar: WorkdayTable
    now: dt.datetime
    years: int
    regular: int  # suggestions spread over the years; the featured ones come after them
    featured_count: int
    actors: Actors
    featured: Featured
    visits_per_suggestion: int
    seed: int
    code_offset: int  # where this dataset's suggestions start in the tracking-code permutation
    first_suggestion_id: int
    first_visit_id: int

    def chunks(self, size: int) -> list[Chunk]:
        chunks = [
            Chunk(index=n, first=first, count=min(size, self.regular - first))
            for n, first in enumerate(range(0, self.regular, size))
        ]
        if self.featured_count:
            chunks.append(Chunk(index=len(chunks), first=self.regular, count=self.featured_count, featured=True))
        return chunks

    def rows(self, chunk: Chunk) -> list[tuple[Table, list[Row]]]:
        rng = random.Random(self.seed * 1_000_003 + chunk.index)
        maker = HistoryMaker(
            suggestion_ids=IdBlock(self.first_suggestion_id + chunk.first),
            code_positions=IdBlock(self.code_offset + chunk.first),
            visit_ids=IdBlock(self.first_visit_id + chunk.first * self.visits_per_suggestion),
            world=self.world,
            rng=rng,
            people=PersonMaker(rng),
            calendar=self.calendar,
            now=self.now,
            actors=self.actors,
            featured=self.featured,
            visits_per_suggestion=self.visits_per_suggestion,
        )
        if chunk.featured:
            moments = iter(_featured_moments(self.now)[: chunk.count])
        else:
            moments = _moments(rng, chunk.first, chunk.count, self.regular, self.now, self.years)
        for moment, state in moments:
            maker.add(moment, state, featured=chunk.featured)
        return maker.take()


# The generation a forked worker works on (set by the parent just before it forks).
_WORK: Generation | None = None


def _chunk_as_text(chunk: Chunk) -> tuple[Chunk, list[tuple[str, bytes, int]]]:
    """In a worker: one chunk's rows as COPY data, per table."""
    assert _WORK is not None
    return chunk, [(table.db_table, copy_text(table, rows), len(rows)) for table, rows in _WORK.rows(chunk)]


def _generate(
    *,
    writer: BulkWriter,
    world: World,
    now: dt.datetime,
    years: int,
    count: int,
    visits_per_suggestion: int,
    actors: Actors,
    featured: Featured,
    seed: int,
    code_offset: int,
    chunk: int,
    processes: int,
    progress: Progress | None,
) -> int:
    """Generate `count` suggestions (the featured ones included) with their histories and visits.

    With `processes` > 1 (PostgreSQL only) worker processes generate chunks and turn them into
    COPY data while this process streams the finished ones to the database in order."""
    global _WORK
    today = now.date()
    featured_count = min(len(FEATURED), count // 10)
    work = Generation(
        world=world,
        calendar=WorkdayTable(today - dt.timedelta(days=365 * years + 10), today + dt.timedelta(days=420)),
        now=now,
        years=years,
        regular=count - featured_count,
        featured_count=featured_count,
        actors=actors,
        featured=featured,
        visits_per_suggestion=visits_per_suggestion,
        seed=seed,
        code_offset=code_offset,
        first_suggestion_id=writer.next_id(Suggestion),
        first_visit_id=writer.next_id(VoterVisit),
    )
    chunks = work.chunks(chunk)
    done = 0
    if processes > 1 and writer.use_copy and len(chunks) > 1 and "fork" in multiprocessing.get_all_start_methods():
        tables = {t.db_table: t for t in HISTORY_TABLES}
        _WORK = work
        try:
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                # A few chunks in flight: the workers stay busy, and memory stays bounded when the
                # database is the slower side.
                waiting = iter(chunks)
                in_flight = deque(
                    pool.apply_async(_chunk_as_text, (c,)) for c in itertools.islice(waiting, 2 * processes)
                )
                while in_flight:
                    finished, parts = in_flight.popleft().get()
                    following = next(waiting, None)
                    if following is not None:
                        in_flight.append(pool.apply_async(_chunk_as_text, (following,)))
                    for name, data, size in parts:
                        writer.write_text(tables[name], data, size)
                    done += finished.count
                    if progress is not None:
                        progress(done, count)
        finally:
            _WORK = None
        return done
    for part in chunks:
        for table, rows in work.rows(part):
            writer.write(table, rows)
        done += part.count
        if progress is not None:
            progress(done, count)
    return done


def _actors(demo: DemoUsers, featured: Featured) -> Actors:
    return Actors(
        station=demo.new_id("station"),
        committee=demo.new_id("committee"),
        district=demo.new_id("district"),
        district_index=featured.station.district_index if demo.new_id("district") else -1,
        unit=demo.new_id("unit"),
        representative=demo.new_id("rep"),
    )


def _scope_accounts(demo: DemoUsers, world: World, featured: Featured) -> None:
    unit = HandlingUnit.objects.get(pk=featured.unit.id) if featured.unit else None
    demo_users_scope(
        demo=demo,
        city=Region.objects.get(pk=world.city_ids[0]),
        district=Region.objects.get(pk=world.district_ids[featured.station.district_index]),
        station=Station.objects.get(pk=featured.station.id),
        unit=unit,
        representative_id=featured.rep_id,
    )


def _counts() -> dict[str, int]:
    """Rows per model, by the model's (translated) plural name."""
    models = (Region, Station, Representative, HandlingUnit, VoterVisit, Suggestion)
    return {str(m._meta.verbose_name_plural): m._default_manager.count() for m in models}


# --- The demo city -----------------------------------------------------------------------------------------------


def demo_exists() -> bool:
    return Region.objects.filter(code=V.DEMO_CITY[0]).exists()


@transaction.atomic
def seed_demo(*, suggestions: int = DEMO_SUGGESTIONS, progress: Progress | None = None) -> SeedResult:
    """The demo city with its accounts; does nothing when it is already there."""
    if demo_exists():
        city = Region.objects.get(code=V.DEMO_CITY[0])
        existing = Suggestion.objects.filter(region__path__startswith=city.path).count()
        return SeedResult(created=False, suggestions=existing)
    started = time.monotonic()
    now = generation_now()
    rng = random.Random(DEMO_SEED)
    people = PersonMaker(rng)
    writer = BulkWriter()
    demo = demo_users_ensure()
    world = build_world(
        writer=writer,
        plan=demo_plan(),
        rng=rng,
        people=people,
        today=now.date(),
        featured_rep_user_id=demo.new_id("rep"),
    )
    featured = _featured(world)
    count = _generate(
        writer=writer,
        world=world,
        now=now,
        years=DEMO_YEARS,
        count=suggestions,
        visits_per_suggestion=2,
        actors=_actors(demo, featured),
        featured=featured,
        seed=DEMO_SEED,
        code_offset=DEMO_CODES,
        chunk=5000,
        processes=1,
        progress=progress,
    )
    writer.reset_sequences([*REFERENCE_MODELS, *HISTORY_MODELS])
    # The histories are written as events; the case file's rounds and facts follow from them.
    case_file_from_events()
    _scope_accounts(demo, world, featured)
    return SeedResult(created=True, suggestions=count, seconds=time.monotonic() - started, counts=_counts())


@transaction.atomic
def demo_remove() -> None:
    """Delete the demo city and everything in it, and the demo accounts nothing else uses."""
    city = Region.objects.filter(code=V.DEMO_CITY[0]).first()
    if city is None:
        return
    prefix = city.path
    in_city = Suggestion.objects.filter(
        Q(region__path__startswith=prefix) | Q(station__region__path__startswith=prefix)
    )
    # Duplicates first: they point at the suggestions they were merged into.
    in_city.filter(merged_into__isnull=False).delete()
    in_city.delete()
    VoterVisit.objects.filter(station__region__path__startswith=prefix).delete()
    Representative.objects.filter(
        pk__in=Representative.objects.filter(stations__region__path__startswith=prefix).values("pk")
    ).delete()
    HandlingUnit.objects.filter(region__path__startswith=prefix).delete()
    Station.objects.filter(region__path__startswith=prefix).delete()
    for depth in sorted(
        set(Region.objects.filter(path__startswith=prefix).values_list("depth", flat=True)), reverse=True
    ):
        Region.objects.filter(path__startswith=prefix, depth=depth).delete()
    for user in User.objects.filter(username__in=DEMO_USERNAMES):
        scoped = user.memberships.exclude(station=None, unit=None, region=None).exists()
        if not scoped and not Representative.objects.filter(user=user).exists():
            user.delete()


# --- The benchmark province --------------------------------------------------------------------------------------


def default_processes(suggestions: int) -> int:
    """Worker processes for a volume run: one per CPU (at most four), none for small runs."""
    return 1 if suggestions < 50_000 else max(1, min(4, os.cpu_count() or 1))


def volume_existing() -> int | None:
    """Suggestions in the volume province, or None when there is none."""
    province = Region.objects.filter(code=V.VOLUME_PROVINCE[0]).first()
    if province is None:
        return None
    return Suggestion.objects.filter(region__path__startswith=province.path).count()


def volume_generated_for(suggestions: int) -> bool:
    """Whether the volume dataset here was generated with this many suggestions, even if people
    have added some since: the tracking code of its last generated suggestion exists and the
    next one does not."""
    last, following = tracking_code(VOLUME_CODES + suggestions - 1), tracking_code(VOLUME_CODES + suggestions)
    found = set(Suggestion.objects.filter(tracking_code__in=[last, following]).values_list("tracking_code", flat=True))
    return found == {last}


@transaction.atomic
def seed_volume(*, suggestions: int, processes: int | None = None, progress: Progress | None = None) -> SeedResult:
    """`suggestions` suggestions over five years with three visits each and their reference data.

    Does nothing when a volume dataset of this size exists; refuses (ValueError) when one of
    another size does."""
    existing = volume_existing()
    if existing is not None:
        if existing == suggestions or volume_generated_for(suggestions):
            return SeedResult(created=False, suggestions=existing)
        raise ValueError(existing)
    started = time.monotonic()
    now = generation_now()
    rng = random.Random(VOLUME_SEED)
    people = PersonMaker(rng)
    writer = BulkWriter()
    demo = demo_users_ensure()
    world = build_world(
        writer=writer,
        plan=volume_plan(suggestions),
        rng=rng,
        people=people,
        today=now.date(),
        featured_rep_user_id=demo.new_id("rep"),
    )
    featured = _featured(world)
    with writer.deferred_indexes(HISTORY_MODELS):
        count = _generate(
            writer=writer,
            world=world,
            now=now,
            years=VOLUME_YEARS,
            count=suggestions,
            visits_per_suggestion=3,
            actors=_actors(demo, featured),
            featured=featured,
            seed=VOLUME_SEED,
            code_offset=VOLUME_CODES,
            chunk=10_000,
            processes=processes if processes is not None else default_processes(suggestions),
            progress=progress,
        )
    writer.reset_sequences([*REFERENCE_MODELS, *HISTORY_MODELS])
    # The histories are written as events; the case file's rounds and facts follow from them.
    case_file_from_events()
    _scope_accounts(demo, world, featured)
    return SeedResult(created=True, suggestions=count, seconds=time.monotonic() - started, counts=_counts())
