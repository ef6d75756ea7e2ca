"""The reference data a generated dataset stands on: regions, stations, people, units.

`build_world` writes a region tree (province → city → district/county → township/street →
village/community), the stations of every kind, representatives with mandates, station
assignments, duty shifts and activity records, and handling units with contacts; it
returns a `World` describing them for the suggestion generator.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from representatives.models import Activity, ActivityKind, CongressLevel, DutyShift, Mandate, Representative
from stations.demo import vocabulary as V
from stations.demo.bulk import BulkWriter, Row, Table, through
from stations.demo.people import PersonMaker
from stations.models import Region, RegionLevel, Station, StationFeature, StationKind
from suggestions.models import Category, HandlingUnit, HandlingUnitContact, UnitKind

TZ = ZoneInfo("Asia/Shanghai")


# --- Plans: what to build ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictPlan:
    code: str
    name: str
    urban: bool
    townships: int


@dataclass(frozen=True)
class CityPlan:
    code: str
    name: str
    districts: tuple[DistrictPlan, ...]
    lat: float
    lng: float

    @property
    def short(self) -> str:
        return self.name.removesuffix("市")


@dataclass(frozen=True)
class WorldPlan:
    province: tuple[str, str]
    cities: tuple[CityPlan, ...]
    representatives: int
    units: int
    points_per_township: float = 1.4
    stations: int = 0  # top up with liaison points in villages up to this many stations (0: no top-up)
    villages_per_township: tuple[int, int] = (3, 6)
    city_unit_keys: tuple[str, ...] = tuple(V.DEPARTMENTS)
    duty_weeks: range = range(-8, 2)  # relative to this week's Monday
    activities_per_rep: tuple[int, int] = (6, 18)
    activity_days: int = 730
    email_domain: str = "gov.example"


# --- What the suggestion generator needs to know ----------------------------------------------------------------


@dataclass
class Place:
    """A village or community where a problem is; carries the names templates need."""

    region_id: int
    city_id: int
    county_id: int
    name: str
    township: str
    district: str
    lat: float
    lng: float
    slots: dict[str, str]


@dataclass
class StationRef:
    id: int
    name: str
    kind: str
    region_id: int
    district_index: int
    township_id: int | None
    places: list[Place]
    rep_ids: list[int] = field(default_factory=list)
    has_night_talk: bool = False


@dataclass
class UnitRef:
    id: int
    name: str
    dept: str  # a DEPARTMENTS key, or "township"
    city_index: int
    district_index: int  # -1 for a city-level unit
    township_id: int | None = None


@dataclass
class CategoryRef:
    id: int
    code: str
    name: str
    departments: tuple[str, ...]
    weight: int


@dataclass
class World:
    province_id: int
    province_name: str
    province_path: str
    city_ids: list[int]
    city_names: list[str]
    district_ids: list[int]
    district_names: list[str]
    district_city: list[int]  # district index → city index
    stations: list[StationRef]
    units: list[UnitRef]
    categories: list[CategoryRef]
    rep_names: dict[int, str]
    region_paths: dict[int, str] = field(default_factory=dict)
    # (city index, district index or -1, department) → unit; township region id → its government or office
    units_by_department: dict[tuple[int, int, str], UnitRef] = field(default_factory=dict)
    units_by_township: dict[int, UnitRef] = field(default_factory=dict)

    def add_unit(self, unit: UnitRef) -> None:
        self.units.append(unit)
        if unit.township_id is not None:
            self.units_by_township[unit.township_id] = unit
        else:
            self.units_by_department[(unit.city_index, unit.district_index, unit.dept)] = unit

    def city_unit(self, city_index: int, dept: str) -> UnitRef | None:
        return self.units_by_department.get((city_index, -1, dept))

    def district_unit(self, district_index: int, dept: str) -> UnitRef | None:
        return self.units_by_department.get((self.district_city[district_index], district_index, dept))

    def township_unit(self, township_id: int | None) -> UnitRef | None:
        return None if township_id is None else self.units_by_township.get(township_id)


# --- Tables ------------------------------------------------------------------------------------------------------

REGION = Table(Region, ("id", "code", "name", "level", "parent_id", "path", "depth"))
STATION = Table(
    Station,
    (
        "id",
        "name",
        "kind",
        "region_id",
        "address",
        "phone",
        "opening_hours",
        "star_rating",
        "description",
        "latitude",
        "longitude",
        "is_active",
        "created_at",
    ),
)
STATION_FEATURES = Table(through(Station, "features"), ("id", "station_id", "stationfeature_id"))
REPRESENTATIVE = Table(
    Representative, ("id", "name", "gender", "user_id", "phone", "occupation", "photo", "bio", "is_active")
)
REP_STATIONS = Table(through(Representative, "stations"), ("id", "representative_id", "station_id"))
MANDATE = Table(Mandate, ("id", "representative_id", "level", "region_id", "term", "constituency"))
DUTY = Table(DutyShift, ("id", "representative_id", "station_id", "starts_at", "ends_at", "note"))
ACTIVITY = Table(
    Activity, ("id", "representative_id", "kind", "date", "hours", "title", "notes", "station_id", "created_at")
)
UNIT = Table(HandlingUnit, ("id", "code", "name", "kind", "region_id", "phone", "is_active"))
CONTACT = Table(HandlingUnitContact, ("id", "unit_id", "user_id", "name", "email", "phone", "is_active"))

REFERENCE_MODELS = (
    Region,
    Station,
    STATION_FEATURES.model,
    Representative,
    REP_STATIONS.model,
    Mandate,
    DutyShift,
    Activity,
    HandlingUnit,
    HandlingUnitContact,
)

TERMS = {
    CongressLevel.NATIONAL: "第十四届（2023—2028）",
    CongressLevel.PROVINCIAL: "第十四届（2023—2028）",
    CongressLevel.CITY: "第十七届（2022—2027）",
    CongressLevel.COUNTY: "第十八届（2021—2026）",
    CongressLevel.TOWNSHIP: "第十八届（2021—2026）",
}
ACTIVITY_KINDS = (
    (ActivityKind.RECEPTION, 30),
    (ActivityKind.INSPECTION, 14),
    (ActivityKind.INVESTIGATION, 14),
    (ActivityKind.LAW_CHECK, 6),
    (ActivityKind.TRAINING, 10),
    (ActivityKind.REPORT, 6),
    (ActivityKind.SUGGESTION, 14),
    (ActivityKind.OTHER, 6),
)
ACTIVITY_TITLES = {
    ActivityKind.RECEPTION: ("在{station}进站接待选民", "参加{station}代表接待日活动"),
    ActivityKind.INSPECTION: ("参加{topic}工作视察", "视察{topic}项目推进情况"),
    ActivityKind.INVESTIGATION: ("开展{topic}专题调研", "参加人大常委会{topic}专题调研"),
    ActivityKind.LAW_CHECK: ("参加《{law}》执法检查", "参加{law}贯彻实施情况检查"),
    ActivityKind.TRAINING: ("参加代表履职能力培训班", "参加代表学习培训活动"),
    ActivityKind.REPORT: ("向原选区选民述职", "参加代表向选民报告履职情况活动"),
    ActivityKind.SUGGESTION: ("提出关于{topic}的建议", "领衔提出{topic}方面的代表建议"),
    ActivityKind.OTHER: ("参加代表小组活动", "列席人大常委会会议", "参加民生实事项目票决"),
}
TOPICS = (
    "老旧小区改造",
    "农村人居环境整治",
    "学校周边交通安全",
    "养老服务体系建设",
    "营商环境优化",
    "食品安全",
    "河道治理",
    "乡村振兴",
    "社区治理",
    "基层医疗服务",
    "垃圾分类",
    "文明城市创建",
)
LAWS = (
    "中华人民共和国食品安全法",
    "中华人民共和国环境保护法",
    "中华人民共和国未成年人保护法",
    "中华人民共和国老年人权益保障法",
    "中华人民共和国安全生产法",
    "福建省物业管理条例",
)


class _Names:
    """Deals names from a pool in a shuffled order, so neighbours rarely share a name."""

    def __init__(self, rng: random.Random, pool: tuple[str, ...]) -> None:
        self.rng = rng
        self.pool = pool
        self.queue: list[str] = []

    def next(self) -> str:
        if not self.queue:
            self.queue = list(self.pool)
            self.rng.shuffle(self.queue)
        return self.queue.pop()


def _aware(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def _decimal(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


def ensure_categories() -> list[CategoryRef]:
    refs = []
    for order, (code, name, departments, weight) in enumerate(V.CATEGORIES, start=1):
        category, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "order": order})
        refs.append(CategoryRef(id=category.pk, code=code, name=category.name, departments=departments, weight=weight))
    return refs


def _ensure_features() -> dict[str, int]:
    ids = {}
    for name in V.STATION_FEATURES:
        feature, _ = StationFeature.objects.get_or_create(name=name)
        ids[name] = feature.pk
    return ids


@transaction.atomic
def build_world(
    *,
    writer: BulkWriter,
    plan: WorldPlan,
    rng: random.Random,
    people: PersonMaker,
    today: dt.date,
    featured_rep_user_id: int | None = None,
) -> World:
    """Write the reference data of `plan` and describe it. Deterministic for a given rng state."""
    categories = ensure_categories()
    feature_ids = _ensure_features()
    province, _ = Region.objects.get_or_create(
        code=plan.province[0],
        defaults={"name": plan.province[1], "level": RegionLevel.PROVINCE},
    )
    region_ids = writer.ids(Region)
    regions: list[Row] = []
    paths: dict[int, str] = {province.pk: province.path}

    def add_region(code: str, name: str, level: str, parent_id: int, depth: int) -> int:
        rid = region_ids.take()
        path = f"{paths[parent_id]}{code}/"
        paths[rid] = path
        regions.append((rid, code, name, level, parent_id, path, depth))
        return rid

    streets, towns = _Names(rng, V.STREET_NAMES), _Names(rng, V.TOWN_NAMES)
    communities, villages = _Names(rng, V.COMMUNITY_NAMES), _Names(rng, V.VILLAGE_NAMES)
    roads, estate_words = _Names(rng, V.ROADS), _Names(rng, V.ESTATE_WORDS)

    world = World(
        province_id=province.pk,
        province_name=province.name,
        province_path=province.path,
        city_ids=[],
        city_names=[],
        district_ids=[],
        district_names=[],
        district_city=[],
        stations=[],
        units=[],
        categories=categories,
        rep_names={},
        region_paths=paths,
    )
    # township id → (name, district index, is_town, [places])
    townships: dict[int, tuple[str, int, bool, list[Place]]] = {}
    district_places: list[list[Place]] = []

    for city_index, city in enumerate(plan.cities):
        city_id = add_region(city.code, city.name, RegionLevel.CITY, province.pk, 1)
        world.city_ids.append(city_id)
        world.city_names.append(city.name)
        for d_plan in city.districts:
            district_index = len(world.district_ids)
            district_id = add_region(d_plan.code, d_plan.name, RegionLevel.COUNTY, city_id, 2)
            world.district_ids.append(district_id)
            world.district_names.append(d_plan.name)
            world.district_city.append(city_index)
            d_lat = city.lat + rng.uniform(-0.25, 0.25)
            d_lng = city.lng + rng.uniform(-0.25, 0.25)
            places_here: list[Place] = []
            for t in range(d_plan.townships):
                is_town = not d_plan.urban or (t >= d_plan.townships - 1 and rng.random() < 0.5)
                if is_town:
                    suffix = "乡" if rng.random() < 0.12 else "镇"
                    t_name, t_code = f"{towns.next()}{suffix}", f"{d_plan.code}{101 + t:03d}"
                else:
                    t_name, t_code = f"{streets.next()}街道", f"{d_plan.code}{1 + t:03d}"
                township_id = add_region(t_code, t_name, RegionLevel.TOWNSHIP, district_id, 3)
                t_lat, t_lng = d_lat + rng.uniform(-0.06, 0.06), d_lng + rng.uniform(-0.06, 0.06)
                places: list[Place] = []
                count = rng.randint(*plan.villages_per_township)
                for v in range(count):
                    if not is_town or v == 0:
                        v_name = f"{t_name.removesuffix('街道')}社区" if is_town else f"{communities.next()}社区"
                        v_code = f"{t_code}{1 + v:03d}"
                    else:
                        v_name, v_code = f"{villages.next()}村", f"{t_code}{200 + v:03d}"
                    v_id = add_region(v_code, v_name, RegionLevel.VILLAGE, township_id, 4)
                    short = v_name.removesuffix("社区").removesuffix("村")
                    estate = f"{estate_words.next()}{rng.choice(V.BUILDING_KINDS)}"
                    t_short = t_name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
                    slots = {
                        "community": v_name,
                        "estate": estate if not is_town or v == 0 else f"{short}新村",
                        "road": roads.next(),
                        "road2": roads.next(),
                        "township": t_name,
                        "district": d_plan.name,
                        "school": rng.choice(
                            (f"{t_short}中心小学", f"{short}小学", f"{t_short}中学", f"{short}幼儿园")
                        ),
                        "market": f"{short}农贸市场",
                        "hospital": f"{t_name}卫生院" if is_town else f"{d_plan.name}医院",
                    }
                    places.append(
                        Place(
                            region_id=v_id,
                            city_id=city_id,
                            county_id=district_id,
                            name=v_name,
                            township=t_name,
                            district=d_plan.name,
                            lat=t_lat + rng.uniform(-0.02, 0.02),
                            lng=t_lng + rng.uniform(-0.02, 0.02),
                            slots=slots,
                        )
                    )
                townships[township_id] = (t_name, district_index, is_town, places)
                places_here.extend(places)
            district_places.append(places_here)
    writer.write(REGION, regions)

    # --- Stations ---
    station_ids = writer.ids(Station)
    station_rows: list[Row] = []
    feature_rows: list[Row] = []
    feature_ids_block = writer.ids(STATION_FEATURES.model)
    area_code = "0591"
    created = dt.datetime.combine(today - dt.timedelta(days=900), dt.time(9), tzinfo=TZ)

    def add_station(
        name: str,
        kind: str,
        region_id: int,
        district_index: int,
        township_id: int | None,
        places: list[Place],
        address: str,
        lat: float,
        lng: float,
    ) -> StationRef:
        sid = station_ids.take()
        stars = 0 if kind == StationKind.ONLINE else rng.choices((0, 2, 3, 4, 5), (1, 2, 5, 5, 3))[0]
        if kind == StationKind.HOME:
            stars = max(stars, 4)
        hours = rng.choice(V.OPENING_HOURS[kind])
        phone = f"{area_code}-8{rng.randrange(1000000, 9999999)}"
        tags: list[str] = []
        if kind != StationKind.ONLINE:
            tags = rng.sample(V.STATION_FEATURES, rng.choice((0, 1, 1, 2, 2, 3)))
            if "夜" in hours and "夜谈夜访" not in tags:
                tags.append("夜谈夜访")
        for tag in tags:
            feature_rows.append((feature_ids_block.take(), sid, feature_ids[tag]))
        station_rows.append(
            (
                sid,
                name,
                kind,
                region_id,
                address,
                phone,
                hours,
                stars,
                V.STATION_DESCRIPTIONS[kind].format(name=name),
                _decimal(lat),
                _decimal(lng),
                True,
                created,
            )
        )
        ref = StationRef(
            id=sid,
            name=name,
            kind=kind,
            region_id=region_id,
            district_index=district_index,
            township_id=township_id,
            places=places,
            has_night_talk="夜谈夜访" in tags,
        )
        world.stations.append(ref)
        return ref

    district_index = 0
    for city_index, city in enumerate(plan.cities):
        city_places = [
            p for d in range(district_index, district_index + len(city.districts)) for p in district_places[d]
        ]
        first = city_places[0]
        add_station(
            f"{city.name}人大代表之家",
            StationKind.HOME,
            world.city_ids[city_index],
            district_index,
            None,
            city_places,
            f"{city.name}{first.slots['road']}{rng.randint(1, 300)}号人大办公楼一层",
            city.lat,
            city.lng,
        )
        for d_plan in city.districts:
            places = district_places[district_index]
            d_id = world.district_ids[district_index]
            anchor = places[0]
            add_station(
                f"{d_plan.name}人大代表之家",
                StationKind.HOME,
                d_id,
                district_index,
                None,
                places,
                f"{d_plan.name}{anchor.slots['road']}{rng.randint(1, 200)}号",
                anchor.lat,
                anchor.lng,
            )
            add_station(
                f"{d_plan.name}网上代表联络站",
                StationKind.ONLINE,
                d_id,
                district_index,
                None,
                places,
                "",
                anchor.lat,
                anchor.lng,
            )
            for township_id, (t_name, t_district, _is_town, t_places) in townships.items():
                if t_district != district_index:
                    continue
                centre = t_places[0]
                add_station(
                    f"{t_name}人大代表联络站",
                    StationKind.STATION,
                    township_id,
                    district_index,
                    township_id,
                    t_places,
                    f"{d_plan.name}{t_name}{centre.slots['road']}{rng.randint(1, 150)}号",
                    centre.lat,
                    centre.lng,
                )
                points = int(plan.points_per_township) + (rng.random() < plan.points_per_township % 1)
                for place in rng.sample(t_places, min(points, len(t_places))):
                    add_station(
                        f"{place.name}代表联络点",
                        StationKind.POINT,
                        place.region_id,
                        district_index,
                        township_id,
                        [place],
                        f"{d_plan.name}{t_name}{place.name}党群服务中心",
                        place.lat,
                        place.lng,
                    )
            district_index += 1
    # Liaison points are drawn at random; more villages get one until the planned number is reached.
    with_point = {s.region_id for s in world.stations if s.kind == StationKind.POINT}
    open_villages = [
        (township_id, t_district, place)
        for township_id, (_name, t_district, _is_town, t_places) in townships.items()
        for place in t_places
        if place.region_id not in with_point
    ]
    missing = max(0, plan.stations - len(world.stations))
    for township_id, t_district, place in rng.sample(open_villages, min(missing, len(open_villages))):
        add_station(
            f"{place.name}代表联络点",
            StationKind.POINT,
            place.region_id,
            t_district,
            township_id,
            [place],
            f"{place.district}{place.township}{place.name}党群服务中心",
            place.lat,
            place.lng,
        )
    writer.write(STATION, station_rows)
    writer.write(STATION_FEATURES, feature_rows)

    _build_representatives(
        writer=writer,
        plan=plan,
        rng=rng,
        people=people,
        today=today,
        world=world,
        townships=townships,
        featured_rep_user_id=featured_rep_user_id,
    )
    _build_units(writer=writer, plan=plan, rng=rng, people=people, world=world, townships=townships)
    return world


def _build_representatives(
    *,
    writer: BulkWriter,
    plan: WorldPlan,
    rng: random.Random,
    people: PersonMaker,
    today: dt.date,
    world: World,
    townships: dict[int, tuple[str, int, bool, list[Place]]],
    featured_rep_user_id: int | None,
) -> None:
    by_township: dict[int, list[StationRef]] = {}
    homes: dict[int, StationRef] = {}
    onlines: dict[int, StationRef] = {}
    for s in world.stations:
        if s.kind == StationKind.HOME and s.region_id in world.district_ids:
            homes[s.district_index] = s
        elif s.kind == StationKind.ONLINE:
            onlines[s.district_index] = s
        elif s.township_id is not None:
            by_township.setdefault(s.township_id, []).append(s)
    township_list = sorted(by_township)
    weights = [len(by_township[t]) + 1 for t in township_list]

    rep_ids = writer.ids(Representative)
    link_ids = writer.ids(REP_STATIONS.model)
    mandate_ids = writer.ids(Mandate)
    reps: list[Row] = []
    links: list[Row] = []
    mandates: list[Row] = []
    rep_station: dict[int, list[StationRef]] = {}
    levels_urban = (
        (CongressLevel.COUNTY, 60),
        (CongressLevel.CITY, 27),
        (CongressLevel.PROVINCIAL, 9),
        (CongressLevel.NATIONAL, 4),
    )
    levels_town = (
        (CongressLevel.TOWNSHIP, 45),
        (CongressLevel.COUNTY, 35),
        (CongressLevel.CITY, 13),
        (CongressLevel.PROVINCIAL, 5),
        (CongressLevel.NATIONAL, 2),
    )
    ladder = [
        CongressLevel.TOWNSHIP,
        CongressLevel.COUNTY,
        CongressLevel.CITY,
        CongressLevel.PROVINCIAL,
        CongressLevel.NATIONAL,
    ]

    def link(rep_id: int, station: StationRef) -> None:
        if station in rep_station[rep_id]:
            return
        rep_station[rep_id].append(station)
        station.rep_ids.append(rep_id)
        links.append((link_ids.take(), rep_id, station.id))

    for n in range(plan.representatives):
        rid = rep_ids.take()
        township_id = township_list[n] if n < len(township_list) else rng.choices(township_list, weights)[0]
        t_name, district_index, is_town, _places = townships[township_id]
        person = people.person()
        user_id = featured_rep_user_id if n == 0 else None
        reps.append(
            (
                rid,
                person.name,
                person.gender,
                user_id,
                person.phone,
                rng.choice(V.OCCUPATIONS),
                "",
                rng.choice(V.BIOS),
                True,
            )
        )
        world.rep_names[rid] = person.name
        rep_station[rid] = []
        options = levels_town if is_town else levels_urban
        level = rng.choices([lv for lv, _ in options], [w for _, w in options])[0]
        held = [level]
        if rng.random() < 0.25:
            step = ladder.index(level) + (1 if level != CongressLevel.NATIONAL else -1)
            second = ladder[step]
            if second != CongressLevel.TOWNSHIP or is_town:
                held.append(second)
        city_index = world.district_city[district_index]
        for lv in held:
            region_id = {
                CongressLevel.TOWNSHIP: township_id,
                CongressLevel.COUNTY: world.district_ids[district_index],
                CongressLevel.CITY: world.city_ids[city_index],
            }.get(lv, world.province_id)
            constituency = {
                CongressLevel.TOWNSHIP: f"{t_name}第{rng.randint(1, 12)}选区",
                CongressLevel.COUNTY: f"{t_name}第{rng.randint(1, 9)}选区",
                CongressLevel.CITY: f"{world.district_names[district_index]}代表团",
                CongressLevel.PROVINCIAL: f"{world.city_names[city_index]}代表团",
            }.get(lv, f"{plan.province[1]}代表团")
            mandates.append((mandate_ids.take(), rid, lv, region_id, TERMS[lv], constituency))
        stations_here = by_township[township_id]
        link(rid, stations_here[0])
        if len(stations_here) > 1 and rng.random() < 0.45:
            link(rid, rng.choice(stations_here[1:]))
        if level != CongressLevel.TOWNSHIP and rng.random() < 0.5 and district_index in homes:
            link(rid, homes[district_index])
        if rng.random() < 0.08 and district_index in onlines:
            link(rid, onlines[district_index])
    # Every station has someone to receive voters; city-level homes take city and higher-level members.
    all_reps = list(rep_station)
    for station in world.stations:
        while len(station.rep_ids) < (3 if station.kind in (StationKind.HOME, StationKind.ONLINE) else 1):
            link(rng.choice(all_reps), station)
    writer.write(REPRESENTATIVE, reps)
    writer.write(REP_STATIONS, links)
    writer.write(MANDATE, mandates)

    # --- Duty shifts and activity records ---
    monday = today - dt.timedelta(days=today.weekday())
    duty_ids = writer.ids(DutyShift)
    activity_ids = writer.ids(Activity)
    duties: list[Row] = []
    activities: list[Row] = []
    slots = ((9, 0, 11, 30), (14, 30, 17, 0))
    now_created = dt.datetime.combine(today, dt.time(8), tzinfo=TZ)
    for station in world.stations:
        if station.kind == StationKind.ONLINE or not station.rep_ids:
            continue
        per_week = {StationKind.HOME: 3, StationKind.STATION: 2, StationKind.POINT: 1}[station.kind]  # type: ignore[index]
        for week in plan.duty_weeks:
            if station.kind == StationKind.POINT and week % 2:
                continue
            days = rng.sample(range(5), per_week)
            for weekday in sorted(days):
                day = monday + dt.timedelta(days=7 * week + weekday)
                rep_id = rng.choice(station.rep_ids)
                if station.has_night_talk and weekday == 3:
                    start, end, note = _aware(day, 19, 30), _aware(day, 21, 0), "夜谈夜访"
                else:
                    h1, m1, h2, m2 = rng.choice(slots)
                    start, end, note = _aware(day, h1, m1), _aware(day, h2, m2), rng.choice(V.DUTY_NOTES[:3])
                duties.append((duty_ids.take(), rep_id, station.id, start, end, note))
                if day < today:
                    hours = Decimal(str(round((end - start).total_seconds() / 3600, 1)))
                    activities.append(
                        (
                            activity_ids.take(),
                            rep_id,
                            ActivityKind.RECEPTION,
                            day,
                            hours,
                            f"在{station.name}进站接待选民",
                            note,
                            station.id,
                            now_created,
                        )
                    )
    writer.write(DUTY, duties)

    kinds = [k for k, _ in ACTIVITY_KINDS]
    kind_weights = [w for _, w in ACTIVITY_KINDS]
    lo, hi = plan.activities_per_rep
    for rep_id, stations in rep_station.items():
        for _ in range(rng.randint(lo, hi)):
            kind = rng.choices(kinds, kind_weights)[0]
            day = today - dt.timedelta(days=rng.randint(1, plan.activity_days))
            where = rng.choice(stations) if stations else None
            title = rng.choice(ACTIVITY_TITLES[kind]).format(
                station=where.name if where else "联络站",
                topic=rng.choice(TOPICS),
                law=rng.choice(LAWS),
            )
            hours = Decimal(rng.choice(("1.0", "1.5", "2.0", "2.5", "3.0", "4.0", "6.0", "8.0")))
            activities.append(
                (
                    activity_ids.take(),
                    rep_id,
                    kind,
                    day,
                    hours,
                    title,
                    "",
                    where.id if where and kind == ActivityKind.RECEPTION else None,
                    now_created,
                )
            )
    writer.write(ACTIVITY, activities)


def _build_units(
    *,
    writer: BulkWriter,
    plan: WorldPlan,
    rng: random.Random,
    people: PersonMaker,
    world: World,
    townships: dict[int, tuple[str, int, bool, list[Place]]],
) -> None:
    unit_ids = writer.ids(HandlingUnit)
    contact_ids = writer.ids(HandlingUnitContact)
    units: list[Row] = []
    contacts: list[Row] = []
    n_cities, n_districts = len(world.city_ids), len(world.district_ids)
    city_keys = plan.city_unit_keys
    budget = plan.units - n_cities * len(city_keys)
    per_district = max(0, min(len(V.DISTRICT_DEPARTMENTS), budget // max(1, n_districts)))
    township_budget = max(0, budget - per_district * n_districts)
    codes = {region_id: path.rstrip("/").rsplit("/", 1)[-1] for region_id, path in world.region_paths.items()}

    def add_unit(
        name: str,
        dept: str,
        kind: str,
        region_id: int,
        city_index: int,
        district_index: int,
        township_id: int | None = None,
    ) -> None:
        uid = unit_ids.take()
        code = f"{codes[region_id]}-{dept}"
        units.append((uid, code, name, kind, region_id, f"0591-8{rng.randrange(1000000, 9999999)}", True))
        world.add_unit(
            UnitRef(
                id=uid,
                name=name,
                dept=dept,
                city_index=city_index,
                district_index=district_index,
                township_id=township_id,
            )
        )
        for k in range(rng.choice((1, 1, 2, 2, 3))):
            person = people.person()
            title = rng.choice(V.CONTACT_TITLES)
            email = f"{dept}{uid}{k}@{plan.email_domain}" if k == 0 or rng.random() < 0.3 else ""
            if k == 0 and rng.random() < 0.35:
                email = ""
            contacts.append((contact_ids.take(), uid, None, f"{person.name}（{title}）", email, person.phone, True))

    for city_index, city_id in enumerate(world.city_ids):
        city = world.city_names[city_index]
        for key in city_keys:
            name, _district_name, kind = V.DEPARTMENTS[key]
            full = name.format(city=city.removesuffix("市")) if "{city}" in name else f"{city}{name[1:]}"
            add_unit(full, key, kind, city_id, city_index, -1)
    for district_index, district_id in enumerate(world.district_ids):
        district = world.district_names[district_index]
        for key in V.DISTRICT_DEPARTMENTS[:per_district]:
            template = V.DEPARTMENTS[key][1]
            suffix = template[1:]
            if not district.endswith("区") and suffix == "公安分局":
                suffix = "公安局"
            add_unit(
                f"{district}{suffix}",
                key,
                UnitKind.DEPARTMENT,
                district_id,
                world.district_city[district_index],
                district_index,
            )
    # Township governments and street offices, the first districts first (the demo accounts live there).
    for township_id, (t_name, district_index, is_town, _places) in list(townships.items())[:township_budget]:
        office = "人民政府" if is_town else "办事处"
        add_unit(
            f"{t_name}{office}",
            "township",
            UnitKind.TOWNSHIP,
            township_id,
            world.district_city[district_index],
            district_index,
            township_id,
        )
    writer.write(UNIT, units)
    writer.write(CONTACT, contacts)
