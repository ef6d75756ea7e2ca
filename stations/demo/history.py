"""Suggestions with believable histories, written as rows.

For each suggestion the generator picks where it came from (station, place, channel,
representative, voter), what it is about (category and a filled template) and, from its
age, the state it has reached today. It then walks the workflow of DESIGN §3 up to that
state — sort, propose, hand over, acknowledge, co-unit opinions, extensions, supervision,
reply, feedback, re-handling, close, publish — with timestamps that only move forward
and never pass `now`, deadlines on the working-day calendar, and one `SuggestionEvent`
per step shaped like the ones `suggestions.workflow` writes. The suggestion's columns are
the result of those steps, so its fields agree with its timeline.

The demo data is fabricated history, not user actions: it is written as rows, the way a
migration from an older system would be, and never through the workflow services.

The generator runs a million times for the benchmark dataset, so its inner loop avoids
what is slow in Python: times are POSIX seconds (floats) and days are ordinals until a
row is written, enum members are read once into plain strings, and event data is JSON
built with f-strings from values that need no escaping (numbers, codes, dates, unit
names); PostgreSQL's jsonb parser checks every one of them on the way in.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from django.conf import settings

from stations.demo import texts as T
from stations.demo.bulk import IdBlock, Row, Table, through
from stations.demo.calendar import WorkdayTable
from stations.demo.people import PersonMaker
from stations.demo.world import CategoryRef, StationRef, UnitRef, World
from stations.models import StationKind, VisitChannel, VoterVisit
from suggestions.models import (
    Assignment,
    AssignmentRole,
    ExtensionRequest,
    ExtensionStatus,
    Rating,
    ReplyCategory,
    Route,
    State,
    Suggestion,
    SuggestionEvent,
    Urgency,
)
from suggestions.tracking import ALPHABET, LENGTH


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


SUGGESTION = Table(
    Suggestion,
    _columns("""id tracking_code title content category_id urgency region_id city_id county_id address latitude
    longitude submitter_name submitter_phone submitter_phone_last4 submitter_email submitter_address consent_to_publish
    station_id visit_id representative_id channel recorded_by_id state version route route_note proposed_unit_id
    lead_unit_id assigned_at ack_due acknowledged_at reply_due feedback_due follow_up_due deadline_basis
    extension_days supervision_level reply_category reply_text replied_at resolved_on_spot rating feedback_text
    feedback_at rehandle_count closed_at close_note is_published published_at merged_into_id formal_reference
    escalated_to created_at updated_at"""),
)
# Rows nothing refers to take their ids from the database.
EVENT = Table(
    SuggestionEvent,
    _columns("suggestion_id action from_state to_state actor_id actor_label created_at note data is_public"),
)
ASSIGNMENT = Table(Assignment, _columns("suggestion_id unit_id role due opinion opinion_at is_active created_at"))
EXTENSION = Table(
    ExtensionRequest,
    _columns("suggestion_id days reason requested_by_id requested_at status decided_by_id decided_at decision_note"),
)
VISIT = Table(
    VoterVisit, _columns("id station_id channel occurred_at recorded_by_id voters_received place notes created_at")
)
VISIT_REPS = Table(through(VoterVisit, "representatives"), ("votervisit_id", "representative_id"))

# In the order they are written: parents first (SQLite checks keys at commit, PostgreSQL may too).
HISTORY_TABLES = (VISIT, SUGGESTION, EVENT, ASSIGNMENT, EXTENSION, VISIT_REPS)
HISTORY_MODELS = tuple(t.model for t in HISTORY_TABLES)

# Plain strings for the enum members used in the loop.
RECEIVED, SORTED, PROPOSED, ASSIGNED = (
    State.RECEIVED.value,
    State.SORTED.value,
    State.PROPOSED.value,
    State.ASSIGNED.value,
)
IN_PROGRESS, REPLIED, CLOSED, MERGED = (
    State.IN_PROGRESS.value,
    State.REPLIED.value,
    State.CLOSED.value,
    State.MERGED.value,
)
LEAD, CO = AssignmentRole.LEAD.value, AssignmentRole.CO.value
UNIT, NOT_ACCEPTED, CLOSED_SESSION, ESCALATE = (
    Route.UNIT.value,
    Route.NOT_ACCEPTED.value,
    Route.CLOSED_SESSION.value,
    Route.ESCALATE.value,
)
SATISFIED, BASIC, DISSATISFIED = Rating.SATISFIED.value, Rating.BASIC.value, Rating.DISSATISFIED.value
URGENT, NORMAL = Urgency.URGENT.value, Urgency.NORMAL.value
ONLINE, RECEPTION, LETTER = VisitChannel.ONLINE.value, VisitChannel.RECEPTION.value, VisitChannel.LETTER.value
PENDING, APPROVED, REJECTED = (
    ExtensionStatus.PENDING.value,
    ExtensionStatus.APPROVED.value,
    ExtensionStatus.REJECTED.value,
)
REPLY_A = ReplyCategory.A.value

# Times: POSIX seconds; days: ordinals of the local (Asia/Shanghai, UTC+8 all year) date.
OFFSET = 8 * 3600
DAY = 86400.0
HOUR = 3600.0
EPOCH = dt.date(1970, 1, 1).toordinal()


def local_ordinal(ts: float) -> int:
    return int((ts + OFFSET) // DAY) + EPOCH


def local_time(ordinal: int, hour: float) -> float:
    """POSIX seconds of `hour` o'clock on the local day `ordinal`."""
    return (ordinal - EPOCH) * DAY + hour * HOUR - OFFSET


# Tracking codes: a fixed pseudo-random permutation (a four-round Feistel network) of the
# LENGTH-symbol codes, applied to the suggestion's position among the generated ones. Unique by
# construction, so a million codes need no uniqueness bookkeeping across worker processes.
_HALF = len(ALPHABET) ** (LENGTH // 2)
_ROUND_KEYS = (0x5BD1E995, 0x27D4EB2F, 0x165667B1, 0x9E3779B1)


def tracking_code(position: int) -> str:
    """The tracking code of the generated suggestion at `position` (0 ≤ position < 30**10)."""
    left, right = divmod(position, _HALF)
    for key in _ROUND_KEYS:
        left, right = right, (left + ((right * key + (key >> 7)) & 0xFFFFFFFF)) % _HALF
    value = left * _HALF + right
    symbols = []
    for _ in range(LENGTH):
        value, digit = divmod(value, len(ALPHABET))
        symbols.append(ALPHABET[digit])
    return "".join(symbols)


_DAY_TEXT: dict[int, str] = {}


def stamp(ts: float) -> str:
    """The timestamp as ISO text in local time, to the second — what a row holds for a datetime column.

    Written out directly because building and formatting a datetime object for each of the
    twenty-odd timestamps of a suggestion is a good part of the benchmark dataset's cost."""
    seconds = int(ts) + OFFSET
    day, rest = divmod(seconds, 86400)
    prefix = _DAY_TEXT.get(day)
    if prefix is None:
        prefix = _DAY_TEXT[day] = dt.date.fromordinal(day + EPOCH).isoformat()
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{prefix} {hour:02d}:{minute:02d}:{second:02d}+08:00"


# Which state a suggestion has reached, by its age in days: (younger than, {state: weight}).
STATE_BY_AGE: tuple[tuple[float, dict[str, float]], ...] = (
    (3, {RECEIVED: 40, SORTED: 20, PROPOSED: 12, ASSIGNED: 10, IN_PROGRESS: 8, REPLIED: 5, CLOSED: 2, MERGED: 3}),
    (15, {RECEIVED: 6, SORTED: 6, PROPOSED: 8, ASSIGNED: 10, IN_PROGRESS: 45, REPLIED: 12, CLOSED: 10, MERGED: 3}),
    (45, {RECEIVED: 0.5, SORTED: 0.5, PROPOSED: 2, ASSIGNED: 1.5, IN_PROGRESS: 14, REPLIED: 22, CLOSED: 57, MERGED: 3}),
    (
        120,
        {RECEIVED: 0.2, SORTED: 0.2, PROPOSED: 0.6, ASSIGNED: 0.4, IN_PROGRESS: 3, REPLIED: 4, CLOSED: 89, MERGED: 3},
    ),
    (
        float("inf"),
        {
            RECEIVED: 0.05,
            SORTED: 0.05,
            PROPOSED: 0.1,
            ASSIGNED: 0.05,
            IN_PROGRESS: 0.4,
            REPLIED: 0.3,
            CLOSED: 96,
            MERGED: 3,
        },
    ),
)
_STATE_TABLE = [(limit, list(weights), list(accumulate(weights.values()))) for limit, weights in STATE_BY_AGE]

CHANNELS = (
    (VisitChannel.RECEPTION.value, 50),
    (VisitChannel.OUTREACH.value, 12),
    (VisitChannel.NIGHT_TALK.value, 3),
    (VisitChannel.BOOTH.value, 6),
    (VisitChannel.HOTLINE.value, 6),
    (VisitChannel.PHONE.value, 8),
    (VisitChannel.LETTER.value, 4),
    (VisitChannel.ONLINE.value, 5),
)
IN_PERSON = frozenset(
    {VisitChannel.RECEPTION.value, VisitChannel.OUTREACH.value, VisitChannel.NIGHT_TALK.value, VisitChannel.BOOTH.value}
)
# Categories a township government or street office often leads.
TOWNSHIP_CATEGORIES = frozenset(
    {
        "urban_construction",
        "urban_management",
        "agriculture",
        "civil_affairs",
        "environment",
        "elderly_care",
        "property",
    }
)
STATION_WEIGHT = {StationKind.HOME: 3.0, StationKind.STATION: 6.0, StationKind.POINT: 1.5, StationKind.ONLINE: 4.0}


def pick_state(age_days: float, u: float) -> str:
    """The state reached at this age; `u` is uniform in [0, 1)."""
    for limit, states, cumulative in _STATE_TABLE:
        if age_days < limit:
            return states[bisect_right(cumulative, u * cumulative[-1])]
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class Featured:
    """The station, unit and representative whose demo accounts must see every state."""

    station: StationRef
    unit: UnitRef | None
    rep_id: int | None
    categories: tuple[CategoryRef, ...]


@dataclass
class Actors:
    """User ids of the demo accounts, used as actors where the history is theirs."""

    station: int | None = None
    committee: int | None = None
    district: int | None = None
    district_index: int = -1
    unit: int | None = None
    representative: int | None = None


_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _j(**data: Any) -> str:
    return _ENCODER.encode(data)


def _q(value: str | None) -> str:
    """A JSON string literal for text that needs no escaping (codes, dates, unit names); null for None."""
    return "null" if value is None else f'"{value}"'


def _b(value: bool) -> str:
    return "true" if value else "false"


def _pick(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[int(rng.random() * len(options))]


def _chinese_date(ts: float) -> str:
    day = dt.date.fromordinal(local_ordinal(ts))
    return f"{day.year}年{day.month}月{day.day}日"


class HistoryMaker:
    def __init__(
        self,
        *,
        suggestion_ids: IdBlock,
        code_positions: IdBlock,
        visit_ids: IdBlock,
        world: World,
        rng: random.Random,
        people: PersonMaker,
        calendar: WorkdayTable,
        now: dt.datetime,
        actors: Actors,
        featured: Featured | None,
        visits_per_suggestion: int,
    ) -> None:
        self.world = world
        self.rng = rng
        self.people = people
        self.calendar = calendar
        self.now = now.timestamp()
        self.today = local_ordinal(self.now)
        self.actors = actors
        self.featured = featured
        self.visits_per_suggestion = visits_per_suggestion
        self.ack_days = int(settings.ACK_LIMIT_DAYS)
        self.reply_days = int(settings.REPLY_LIMIT_DAYS)
        self.urgent_days = int(settings.REPLY_LIMIT_DAYS_URGENT)
        self.rehandle_days = int(settings.REHANDLE_LIMIT_DAYS)
        self.feedback_days = int(settings.FEEDBACK_LIMIT_DAYS)
        self.cap = int(settings.EXTENSION_CAP_DAYS)

        self.suggestion_ids = suggestion_ids
        self.visit_ids = visit_ids
        self.rows: dict[str, list[Row]] = {
            t.db_table: [] for t in (SUGGESTION, EVENT, ASSIGNMENT, EXTENSION, VISIT, VISIT_REPS)
        }
        self.code_positions = code_positions
        self.count = 0

        weights = []
        for s in world.stations:
            w = STATION_WEIGHT[StationKind(s.kind)]
            if featured is not None and s.id == featured.station.id:
                w *= 4
            weights.append(w)
        self.station_cum = list(accumulate(weights))
        self.category_cum = list(accumulate(c.weight for c in world.categories))
        self.channels = [c for c, _ in CHANNELS]
        self.channel_cum = list(accumulate(w for _, w in CHANNELS))
        self.night_channel_cum = list(accumulate(w * (4 if c == "night_talk" else 1) for c, w in CHANNELS))
        self._leads: dict[tuple[int, str], tuple[list[UnitRef], list[float]]] = {}
        self.recent: dict[int, deque[int]] = {s.id: deque(maxlen=30) for s in world.stations}
        self.recent_any: deque[int] = deque(maxlen=50)
        self.district_labels = [f"{name}人大常委会" for name in world.district_names]
        self.city_labels = [f"{name}人大常委会" for name in world.city_names]
        self.escalate_to = f"{world.province_name}人大常委会"

    # --- choices ---------------------------------------------------------------------------------------------

    def _station(self) -> StationRef:
        return self.world.stations[bisect_right(self.station_cum, self.rng.random() * self.station_cum[-1])]

    def _category(self) -> CategoryRef:
        return self.world.categories[bisect_right(self.category_cum, self.rng.random() * self.category_cum[-1])]

    def _channel(self, station: StationRef) -> str:
        if station.kind == StationKind.ONLINE:
            return ONLINE
        cum = self.night_channel_cum if station.has_night_talk else self.channel_cum
        return self.channels[bisect_right(cum, self.rng.random() * cum[-1])]

    def _lead_candidates(self, station: StationRef, category: CategoryRef) -> tuple[list[UnitRef], list[float]]:
        key = (station.id, category.code)
        cached = self._leads.get(key)
        if cached is not None:
            return cached
        units: list[UnitRef] = []
        weights: list[float] = []
        city_index = self.world.district_city[station.district_index]
        for rank, dept in enumerate(category.departments):
            district_unit = self.world.district_unit(station.district_index, dept)
            if district_unit is not None:
                units.append(district_unit)
                weights.append(0.55 if rank == 0 else 0.1)
            city_unit = self.world.city_unit(city_index, dept)
            if city_unit is not None:
                units.append(city_unit)
                weights.append(0.25 if rank == 0 else 0.05)
        township_unit = self.world.township_unit(station.township_id)
        if township_unit is not None and category.code in TOWNSHIP_CATEGORIES:
            units.append(township_unit)
            weights.append(0.2)
        if not units:  # a small world without the right department: any unit of the city
            units = [u for u in self.world.units if u.city_index == city_index] or self.world.units
            weights = [1.0] * len(units)
        result = (units, list(accumulate(weights)))
        self._leads[key] = result
        return result

    def _after(self, start: float, hours: float) -> float:
        """`hours` after `start`, moved into office hours, never at or past now."""
        moment = start + hours * HOUR
        local = (moment + OFFSET) % DAY
        if local < 8 * HOUR or local >= 18 * HOUR:
            midnight = moment - local + (DAY if local >= 18 * HOUR else 0)
            office = midnight + (8 + int(self.rng.random() * 3)) * HOUR + int(self.rng.random() * 60) * 60
            if office > start:
                moment = office
        if moment >= self.now:
            moment = start + (self.now - start) * (0.3 + 0.5 * self.rng.random())
        return moment

    def _due(self, moment: float, days: int) -> tuple[int, dt.date, str]:
        return self.calendar.due(local_ordinal(moment), days)

    # --- one suggestion -------------------------------------------------------------------------------------

    def add(self, created: float, state: str, *, featured: bool = False) -> None:
        """Generate one suggestion received at `created` that has reached `state` by now."""
        rng = self.rng
        r = rng.random
        actors = self.actors
        ev_rows = self.rows[EVENT.db_table]
        sid = self.suggestion_ids.take()
        fx = self.featured if featured else None

        station = fx.station if fx else self._station()
        place = station.places[int(r() * len(station.places))]
        category = fx.categories[int(r() * len(fx.categories))] if fx else self._category()
        templates = T.SUGGESTIONS[category.code]
        title_tpl, content_tpl = templates[int(r() * len(templates))]
        slots = dict(place.slots, n=str(2 + int(r() * 30)), years=str(20 + int(r() * 20)))
        title = title_tpl.format_map(slots)
        content = content_tpl.format_map(slots)
        channel = self._channel(station)
        in_person = channel in IN_PERSON
        rep_id: int | None = None
        if station.rep_ids and r() < (0.85 if in_person else 0.25):
            rep_id = station.rep_ids[int(r() * len(station.rep_ids))]
        if fx and fx.rep_id and r() < 0.6:
            rep_id = fx.rep_id
        name, _gender, phone = self.people.person()
        email = f"{phone[-6:]}@mail.example" if channel == ONLINE and r() < 0.4 else ""
        submitter_address = (
            f"{place.name}{place.slots['estate']}{1 + int(r() * 20)}号楼{1 + int(r() * 4)}单元"
            f"{1 + int(r() * 18)}0{1 + int(r() * 4)}室"
        )
        address = f"{place.district}{place.township}{place.slots['road']}{1 + int(r() * 300)}号附近"
        consent = r() < 0.65
        urgency = URGENT if r() < 0.07 else NORMAL
        on_station = actors.station if fx else None
        station_label = f"{station.name}工作人员"
        recorded_by = on_station if channel != ONLINE else None
        lat = lng = None
        if r() < 0.6:
            lat, lng = round(place.lat + (r() - 0.5) * 0.01, 6), round(place.lng + (r() - 0.5) * 0.01, 6)
        committee_actor = actors.district if station.district_index == actors.district_index else actors.committee
        committee_label = (
            self.district_labels[station.district_index]
            if r() < 0.8
            else self.city_labels[self.world.district_city[station.district_index]]
        )

        # Visits: the one the suggestion was raised at, and others at about the same time.
        visit_id = self._visits(created, station, channel, rep_id, featured=fx is not None)

        events = 0

        def event(
            action: str,
            from_state: str,
            to_state: str,
            at: float,
            actor: int | None,
            label: str,
            note: str = "",
            data: str = "{}",
            public: bool = False,
        ) -> None:
            nonlocal events
            events += 1
            ev_rows.append((sid, action, from_state, to_state, actor, label, stamp(at), note, data, public))

        code = tracking_code(self.code_positions.take())
        t = created
        is_online_voter = channel == ONLINE and recorded_by is None
        event(
            "suggestion.recorded",
            "",
            RECEIVED,
            t,
            recorded_by,
            "" if is_online_voter else station_label,
            data=f'{{"channel": "{channel}", "tracking_code": "{code}", "online": {_b(is_online_voter)}}}',
            public=True,
        )

        # Columns, filled in as the history unfolds. Deadlines: (ordinal, date); basis: deadline → JSON.
        category_id: int | None = category.id
        route = route_note = ""
        proposed_unit: int | None = None
        lead: UnitRef | None = None
        assigned_at = acknowledged_at = replied_at = feedback_at = closed_at = published_at = None
        ack_due = reply_due = feedback_due = follow_up_due = None
        ack_ord = reply_ord = feedback_ord = 0
        basis: dict[str, str] = {}
        extension_days = supervision = rehandles = 0
        reply_category = reply_text = rating = feedback_text = close_note = ""
        resolved_on_spot = published = False
        merged_into: int | None = None
        formal_reference = escalated_to = ""
        final = RECEIVED

        recent = self.recent[station.id]
        if state == MERGED:
            target = recent[int(r() * len(recent))] if recent else (self.recent_any[-1] if self.recent_any else None)
            if target is None:
                state = RECEIVED
            else:
                t = self._after(t, 2 + r() * 70)
                merged_into, final = target, MERGED
                event(
                    "suggestion.merged",
                    RECEIVED,
                    MERGED,
                    t,
                    on_station,
                    station_label,
                    note=T.EVENT_NOTES["merged"][0],
                    data=f'{{"merged_into": {target}}}',
                    public=True,
                )
        if state == RECEIVED and r() < 0.6:
            category_id = None  # not sorted yet: often no category

        on_spot = state in (REPLIED, CLOSED) and not fx and in_person and r() < 0.07
        declined = state == CLOSED and not fx and not on_spot and r() < 0.06
        returned = not fx and r() < 0.04

        if on_spot:
            t = self._after(t, 0.2 + r() * 2)
            reply_category, resolved_on_spot = REPLY_A, True
            reply_text = T.REPLIES["A"][0].format(date=_chinese_date(t), action=T.ACTIONS[category.code][0])
            replied_at = t
            feedback_ord, feedback_due, basis["feedback_due"] = self._due(t, self.feedback_days)
            final = REPLIED
            event(
                "suggestion.resolved_on_spot",
                RECEIVED,
                REPLIED,
                t,
                on_station,
                station_label,
                note="代表现场协调解决。",
                data=f'{{"category": "A", "feedback_due": "{feedback_due}"}}',
                public=True,
            )
        elif state != RECEIVED and state != MERGED:
            t = self._after(t, 2 + r() * 58)
            final = SORTED
            event(
                "suggestion.sorted",
                RECEIVED,
                SORTED,
                t,
                on_station,
                station_label,
                note=_pick(rng, T.EVENT_NOTES["sorted"]),
                data=f'{{"category": "{category.code}", "urgency": "{urgency}"}}',
                public=True,
            )
        if state != RECEIVED and state != SORTED and state != MERGED and not on_spot:
            units, cum = self._lead_candidates(station, category)
            lead = fx.unit if fx and fx.unit else units[bisect_right(cum, r() * cum[-1])]
            route = UNIT
            if declined:
                u = r()
                route = NOT_ACCEPTED if u < 0.5 else CLOSED_SESSION if u < 0.83 else ESCALATE
            elif state == PROPOSED and not fx and r() < 0.08:
                route = (NOT_ACCEPTED, CLOSED_SESSION, ESCALATE)[int(r() * 3)]
            proposed_unit = lead.id if route == UNIT and r() < 0.8 else None
            if route == UNIT:
                note = _pick(rng, T.EVENT_NOTES["proposed"])
            elif route == NOT_ACCEPTED:
                note = T.EVENT_NOTES["declined_not_accepted"][0]
            else:
                note = "建议按程序转办。"
            route_note = note
            t = self._after(t, 2 + r() * 40)
            final = PROPOSED
            event(
                "suggestion.proposed",
                SORTED,
                PROPOSED,
                t,
                on_station,
                station_label,
                note=note,
                data=f'{{"route": "{route}", "unit": {proposed_unit or "null"}}}',
                public=True,
            )
            if route != UNIT:
                lead = None
            if declined:
                t = self._after(t, 24 + r() * 96)
                final, closed_at = CLOSED, t
                day = dt.date.fromordinal(local_ordinal(t))
                if route == CLOSED_SESSION:
                    formal_reference = f"闭建〔{day.year}〕{1 + int(r() * 300)}号"
                    close_note = T.EVENT_NOTES["declined_closed_session"][0]
                    action = "suggestion.converted"
                    due = day + dt.timedelta(days=91)
                    basis["formal_reply_due"] = _j(
                        start=day.isoformat(),
                        months=3,
                        due=due.isoformat(),
                        source="statutory_months",
                        provisional=False,
                    )
                elif route == ESCALATE:
                    escalated_to = self.escalate_to
                    close_note = T.EVENT_NOTES["declined_escalate"][0]
                    action = "suggestion.escalated"
                else:
                    close_note = _pick(rng, T.EVENT_NOTES["declined_not_accepted"])
                    action = "suggestion.declined"
                event(
                    action,
                    PROPOSED,
                    CLOSED,
                    t,
                    committee_actor,
                    committee_label,
                    note=close_note,
                    data=_j(route=route, reference=formal_reference or escalated_to),
                    public=True,
                )

        handed = lead is not None and state in (ASSIGNED, IN_PROGRESS, REPLIED, CLOSED)
        asg_rows = self.rows[ASSIGNMENT.db_table]
        lead_assignment: list[Any] | None = None
        co_assignments: list[list[Any]] = []
        unit_actor: int | None = None
        unit_label = ""
        if handed and lead is not None:
            if returned:
                units, cum = self._lead_candidates(station, category)
                wrong = units[bisect_right(cum, r() * cum[-1])]
                if wrong.id != lead.id:
                    t = self._after(t, 8 + r() * 88)
                    _o, due, _basis = self._due(t, self.urgent_days if urgency == URGENT else self.reply_days)
                    asg_rows.append((sid, wrong.id, LEAD, due, "", None, False, stamp(t)))
                    event(
                        "suggestion.handed_over",
                        PROPOSED,
                        ASSIGNED,
                        t,
                        committee_actor,
                        committee_label,
                        note=_pick(rng, T.EVENT_NOTES["handed_over"]),
                        data=f'{{"lead_unit": {wrong.id}, "lead_unit_name": "{wrong.name}", "co_units": [], '
                        f'"reply_due": "{due}"}}',
                        public=True,
                    )
                    t = self._after(t, 8 + r() * 40)
                    event(
                        "suggestion.returned",
                        ASSIGNED,
                        PROPOSED,
                        t,
                        actors.unit if fx and fx.unit and wrong.id == fx.unit.id else None,
                        wrong.name,
                        note=T.EVENT_NOTES["returned"][int(r() * 2)],
                        data=f'{{"unit": {wrong.id}, "unit_name": "{wrong.name}"}}',
                    )
            t = self._after(t, 8 + r() * 88)
            assigned_at = t
            reply_start, reply_days = local_ordinal(t), self.urgent_days if urgency == URGENT else self.reply_days
            reply_ord, reply_due, basis["reply_due"] = self.calendar.due(reply_start, reply_days)
            ack_ord, ack_due, basis["ack_due"] = self.calendar.due(reply_start, self.ack_days)
            if ack_ord > reply_ord:
                ack_ord, ack_due = reply_ord, reply_due
            unit_actor = actors.unit if fx and fx.unit and lead.id == fx.unit.id else None
            unit_label = lead.name
            co_units: list[UnitRef] = []
            if r() < 0.3:
                units, _cum = self._lead_candidates(station, category)
                others = [u for u in units if u.id != lead.id]
                if others:
                    co_units = rng.sample(others, min(len(others), 1 if r() < 0.75 else 2))
            co_due = None
            if co_units:
                co_ord, co_due, basis["co_due"] = self.calendar.due(
                    reply_start, max(self.ack_days + 1, reply_days * 2 // 3)
                )
                if co_ord > reply_ord:
                    co_due = reply_due
            assigned_dt = stamp(t)
            lead_assignment = [sid, lead.id, LEAD, reply_due, "", None, True, assigned_dt]
            for unit in co_units:
                co_assignments.append([sid, unit.id, CO, co_due, "", None, True, assigned_dt])
            final = ASSIGNED
            co_ids = ", ".join(str(u.id) for u in co_units)
            co_names = ", ".join(_q(u.name) for u in co_units)
            event(
                "suggestion.handed_over",
                PROPOSED,
                ASSIGNED,
                t,
                committee_actor,
                committee_label,
                note=_pick(rng, T.EVENT_NOTES["handed_over"]),
                data=f'{{"lead_unit": {lead.id}, "lead_unit_name": "{lead.name}", "co_units": [{co_ids}], '
                f'"co_unit_names": [{co_names}], "ack_due": "{ack_due}", "reply_due": "{reply_due}", '
                f'"co_due": {_q(co_due.isoformat() if co_due else None)}}}',
                public=True,
            )

            if state == ASSIGNED:
                # Still waiting for the unit; an old one is overdue and the committee has urged it.
                if ack_ord < self.today and r() < 0.5:
                    urged = self._after(local_time(ack_ord, 10), 24 + r() * 72)
                    if urged > t:
                        t, supervision = urged, 1
                        event(
                            "suggestion.supervised",
                            ASSIGNED,
                            ASSIGNED,
                            t,
                            committee_actor,
                            committee_label,
                            note=T.EVENT_NOTES["supervise_urge"][0],
                            data=f'{{"level": 1, "lead_unit": {lead.id}, "reply_due": "{reply_due}"}}',
                        )
            else:
                late_ack = r() < 0.12
                t = self._after(t, (50 + r() * 100) if late_ack else (1 + r() * 40))
                acknowledged_at = t
                final = IN_PROGRESS
                event(
                    "suggestion.acknowledged",
                    ASSIGNED,
                    IN_PROGRESS,
                    t,
                    unit_actor,
                    unit_label,
                    data=f'{{"late": {_b(local_ordinal(t) > ack_ord)}, "ack_due": "{ack_due}"}}',
                    public=True,
                )
                for row, unit in zip(co_assignments, co_units, strict=True):
                    opinion_at = self._after(t, 48 + r() * 150)
                    if state == IN_PROGRESS and r() < 0.4:
                        continue  # opinion not given yet
                    row[4] = _pick(rng, T.EVENT_NOTES["co_opinion"])
                    row[5] = stamp(opinion_at)
                    late = local_ordinal(opinion_at) > (row[3].toordinal() if row[3] else reply_ord)
                    event(
                        "suggestion.co_opinion_given",
                        IN_PROGRESS,
                        IN_PROGRESS,
                        opinion_at,
                        None,
                        unit.name,
                        note=row[4],
                        data=f'{{"unit": {unit.id}, "unit_name": "{unit.name}", "late": {_b(late)}}}',
                    )
                    t = max(t, opinion_at)

                # Extension: asked before the deadline, mostly granted.
                if r() < (0.14 if state == IN_PROGRESS else 0.06):
                    due_end = local_time(reply_ord, 17)
                    if state == IN_PROGRESS:
                        ask = t + (min(self.now, due_end) - t) * (0.4 + 0.6 * r())
                    else:
                        ask = self._after(due_end - 6 * DAY, r() * 120)
                    if t < ask < self.now and local_ordinal(ask) <= reply_ord:
                        ext_rows = self.rows[EXTENSION.db_table]
                        days = (5, 5, 10, 10, self.cap)[int(r() * 5)]
                        reason = _pick(rng, T.EVENT_NOTES["extension"])
                        event(
                            "suggestion.extension_requested",
                            IN_PROGRESS,
                            IN_PROGRESS,
                            ask,
                            unit_actor,
                            unit_label,
                            note=reason,
                            data=f'{{"days": {days}, "reply_due": "{reply_due}"}}',
                        )
                        decide = self._after(ask, 4 + r() * 44)
                        # Still waiting for the committee when asked recently, or sometimes while the
                        # deadline has not passed yet.
                        pending = state == IN_PROGRESS and (
                            decide >= self.now - 2 * HOUR or (reply_ord >= self.today and r() < 0.6)
                        )
                        if pending:
                            ext_rows.append((sid, days, reason, unit_actor, stamp(ask), PENDING, None, None, ""))
                            t = ask
                        else:
                            approve = r() < 0.85
                            old_due = reply_due
                            if approve:
                                reply_days += days
                                reply_ord, reply_due, new_basis = self.calendar.due(reply_start, reply_days)
                                basis["reply_due"] = f'{new_basis[:-1]}, "extension_days": {days}}}'
                                extension_days = days
                                lead_assignment[3] = reply_due
                            decision = _pick(
                                rng, T.EVENT_NOTES["extension_approved" if approve else "extension_rejected"]
                            )
                            ext_rows.append(
                                (
                                    sid,
                                    days,
                                    reason,
                                    unit_actor,
                                    stamp(ask),
                                    APPROVED if approve else REJECTED,
                                    committee_actor,
                                    stamp(decide),
                                    decision,
                                )
                            )
                            event(
                                "suggestion.extension_decided",
                                IN_PROGRESS,
                                IN_PROGRESS,
                                decide,
                                committee_actor,
                                committee_label,
                                note=decision,
                                data=f'{{"approved": {_b(approve)}, "days": {days}, "old_reply_due": "{old_due}", '
                                f'"reply_due": "{reply_due}"}}',
                            )
                            t = decide

                window = max(24.0, (reply_ord - local_ordinal(acknowledged_at)) * 24.0)
                replies = state in (REPLIED, CLOSED) or (state == IN_PROGRESS and r() < 0.08)
                late_reply = r() < 0.12
                reply_at = self._after(t, (1.05 + r() * 0.5) * window if late_reply else (0.2 + r() * 0.75) * window)
                # Supervision: overdue work gets urged, and stubborn cases go to key supervision.
                overdue_until = reply_at if replies else self.now
                if local_ordinal(overdue_until) > reply_ord and r() < 0.7:
                    urge = self._after(local_time(reply_ord, 10), 24 + r() * 72)
                    if t < urge < overdue_until:
                        supervision = 1
                        event(
                            "suggestion.supervised",
                            IN_PROGRESS,
                            IN_PROGRESS,
                            urge,
                            committee_actor,
                            committee_label,
                            note=_pick(rng, T.EVENT_NOTES["supervise_urge"]),
                            data=f'{{"level": 1, "lead_unit": {lead.id}, "reply_due": "{reply_due}"}}',
                        )
                        t = urge
                        key = self._after(urge, 120 + r() * 240)
                        if key < overdue_until and r() < 0.4:
                            supervision = 2
                            event(
                                "suggestion.supervised",
                                IN_PROGRESS,
                                IN_PROGRESS,
                                key,
                                committee_actor,
                                committee_label,
                                note=_pick(rng, T.EVENT_NOTES["supervise_key"]),
                                data=f'{{"level": 2, "lead_unit": {lead.id}, "reply_due": "{reply_due}"}}',
                            )
                            t = key
                if replies:
                    t = reply_at if reply_at > t else self._after(t, 2 + r() * 24)
                    dissatisfied = state == IN_PROGRESS or (state == CLOSED and r() < 0.05)
                    for round_ in range(2):
                        reply_category, reply_text, follow_up_due = self._reply(category, t, round_)
                        replied_at = t
                        rating, feedback_text, feedback_at = "", "", None
                        feedback_ord, feedback_due, basis["feedback_due"] = self._due(t, self.feedback_days)
                        event(
                            "suggestion.replied",
                            IN_PROGRESS,
                            REPLIED,
                            t,
                            unit_actor,
                            unit_label,
                            data=f'{{"category": "{reply_category}", '
                            f'"follow_up_due": {_q(follow_up_due.isoformat() if follow_up_due else None)}, '
                            f'"late": {_b(local_ordinal(t) > reply_ord)}, "rehandle_count": {rehandles}, '
                            f'"attachments": []}}',
                            public=True,
                        )
                        final = REPLIED
                        if not dissatisfied or round_ == 1:
                            break
                        # The voter was not satisfied: handled again with a new deadline.
                        t = self._after(t, 24 + r() * 150)
                        rehandles = 1
                        reply_ord, reply_due, basis["reply_due"] = self._due(t, self.rehandle_days)
                        lead_assignment[3] = reply_due
                        feedback_due, follow_up_due, extension_days = None, None, 0
                        basis.pop("feedback_due", None)
                        rating, feedback_at = DISSATISFIED, t
                        feedback_text = _pick(rng, T.FEEDBACK["dissatisfied"])
                        final = IN_PROGRESS
                        event(
                            "suggestion.feedback_received",
                            REPLIED,
                            IN_PROGRESS,
                            t,
                            None,
                            "选民",
                            data=f'{{"rating": "{DISSATISFIED}", "via": "link", "outcome": "rehandling", '
                            f'"rehandle_count": 1, "reply_due": "{reply_due}"}}',
                            public=True,
                        )
                        if state == IN_PROGRESS:
                            break  # being handled again now
                        t = self._after(t, (0.3 + r() * 0.6) * 14 * 24)
        # Closing a replied suggestion: the voter's rating, or the committee after the feedback limit.
        if state == CLOSED and final == REPLIED:
            # The committee closes it unrated only once the feedback limit has passed.
            if r() < 0.9 or fx or feedback_ord >= self.today - 1:
                t = self._after(t, 24 + r() * 200)
                rating = SATISFIED if r() < 0.75 else BASIC
                feedback_text = _pick(rng, T.FEEDBACK[rating])
                via = ("link", "link", "staff", "representative")[int(r() * 4)]
                label = "选民" if via == "link" else station_label if via == "staff" else "受理代表"
                feedback_at, closed_at, feedback_due = t, t, None
                basis.pop("feedback_due", None)
                event(
                    "suggestion.feedback_received",
                    REPLIED,
                    CLOSED,
                    t,
                    None,
                    label,
                    data=f'{{"rating": "{rating}", "via": "{via}", "outcome": "closed", '
                    f'"rehandle_count": {rehandles}, "reply_due": null}}',
                    public=True,
                )
            else:
                t = self._after(local_time(feedback_ord, 9), 24 + r() * 48)
                closed_at, close_note, feedback_due = t, T.EVENT_NOTES["closed"][0], None
                event(
                    "suggestion.closed",
                    REPLIED,
                    CLOSED,
                    t,
                    committee_actor,
                    committee_label,
                    note=close_note,
                    data='{"reason": "no_feedback"}',
                    public=True,
                )
            final = CLOSED
            if consent and rating and r() < 0.5:
                t = self._after(t, 24 + r() * 96)
                published, published_at = True, t
                event("suggestion.published", CLOSED, CLOSED, t, committee_actor, committee_label, public=True)

        if lead_assignment is not None:
            asg_rows.append(tuple(lead_assignment))
            asg_rows.extend(tuple(row) for row in co_assignments)
        if final == CLOSED:
            follow_up_due = None  # a "B" case that closed has reported its last progress
        if final != MERGED:
            recent.append(sid)
            self.recent_any.append(sid)

        self.rows[SUGGESTION.db_table].append(
            (
                sid,
                code,
                title,
                content,
                category_id,
                urgency,
                place.region_id,
                place.city_id,
                place.county_id,
                address,
                lat,
                lng,
                name,
                phone,
                phone[-4:],
                email,
                submitter_address,
                consent,
                station.id,
                visit_id,
                rep_id,
                channel,
                recorded_by,
                final,
                events,
                route,
                route_note,
                proposed_unit,
                lead.id if handed and lead else None,
                None if assigned_at is None else stamp(assigned_at),
                ack_due,
                None if acknowledged_at is None else stamp(acknowledged_at),
                reply_due,
                feedback_due,
                follow_up_due,
                "{" + ", ".join(f'"{key}": {value}' for key, value in basis.items()) + "}",
                extension_days,
                supervision,
                reply_category,
                reply_text,
                None if replied_at is None else stamp(replied_at),
                resolved_on_spot,
                rating,
                feedback_text,
                None if feedback_at is None else stamp(feedback_at),
                rehandles,
                None if closed_at is None else stamp(closed_at),
                close_note,
                published,
                None if published_at is None else stamp(published_at),
                merged_into,
                formal_reference,
                escalated_to,
                stamp(created),
                stamp(t),
            )
        )
        self.count += 1

    def _reply(self, category: CategoryRef, at: float, round_: int) -> tuple[str, str, dt.date | None]:
        rng = self.rng
        u = rng.random()
        if round_ == 0:
            letter = "A" if u < 0.45 else "B" if u < 0.75 else "C" if u < 0.9 else "D"
        else:
            letter = "A" if u < 0.5 else "B"
        day = dt.date.fromordinal(local_ordinal(at))
        text = _pick(rng, T.REPLIES[letter]).format(
            date=f"{day.year}年{day.month}月{day.day}日",
            action=_pick(rng, T.ACTIONS[category.code]),
            plan=_pick(rng, T.PLANS[category.code]),
            year=day.year,
            month=f"{day.year + (day.month + 3 > 12)}年{(day.month + 2) % 12 + 1}月",
        )
        follow_up = day + dt.timedelta(days=(30, 45, 60, 90)[int(rng.random() * 4)]) if letter == "B" else None
        return letter, text, follow_up

    def _visits(
        self, created: float, station: StationRef, channel: str, rep_id: int | None, *, featured: bool
    ) -> int | None:
        """The visits that go with one suggestion; returns the id of the one it was raised at, if any."""
        r = self.rng.random
        visit_rows = self.rows[VISIT.db_table]
        rep_rows = self.rows[VISIT_REPS.db_table]
        linked: int | None = None
        remaining = self.visits_per_suggestion
        if remaining and r() < (0.85 if channel in IN_PERSON else 0.4):
            linked = self.visit_ids.take()
            at = stamp(created - (5 + r() * 80) * 60)
            recorded = self.actors.station if featured and channel != ONLINE else None
            place = station.name if channel == RECEPTION else ""
            visit_rows.append((linked, station.id, channel, at, recorded, 1 + int(r() * 6), place, "", at))
            if rep_id is not None:
                rep_rows.append((linked, rep_id))
            remaining -= 1
        for _ in range(remaining):
            other = self._station() if r() < 0.5 else station
            at = stamp(created - r() * 20 * DAY - r() * 8 * HOUR)
            ch = self._channel(other)
            vid = self.visit_ids.take()
            place = other.name if ch == RECEPTION else ""
            visit_rows.append((vid, other.id, ch, at, None, 1 + int(r() * 12), place, T.VISIT_NOTES[int(r() * 12)], at))
            reps = other.rep_ids
            if reps and ch != LETTER:
                first = reps[int(r() * len(reps))]
                rep_rows.append((vid, first))
                if len(reps) > 1 and r() < 0.25:
                    second = reps[int(r() * len(reps))]
                    if second != first:
                        rep_rows.append((vid, second))
        return linked

    def take(self) -> list[tuple[Table, list[Row]]]:
        """The rows generated since the last call, per table, parents first."""
        taken = [(table, self.rows[table.db_table]) for table in HISTORY_TABLES]
        self.rows = {table.db_table: [] for table in HISTORY_TABLES}
        return taken
