"""Build the request lists of every scenario from the benchmark database (runs inside Django).

    python -m bench.prepare --out bench/data/<db>/specs.json [--reads 2000] [--writes 3000] [--seed 9]

For each scenario it picks a realistic spread of rows (ids, tracking codes with their phone
digits, districts, units, keyset positions) and writes the exact requests the load generator
sends, with the role's credentials: a session cookie for staff pages (a real session row, as
after a login), an API token for API calls, nothing for voters and Open311 clients. Writes get
suggestions in the right state, each used once: `requests` for the load, `probe` for the
query-count pass and `warm` for the warm-up, disjoint.

A scenario whose page is not routed yet (its URL does not resolve) or whose data is missing
is written with `available: false` and the reason, and the runner reports it as such.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import random
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlencode

import django

# The query-count pass and the load both use these credentials; the bench users are ordinary
# staff accounts whose names start with this prefix, created (once) in the bench database only.
BENCH_USER_PREFIX = "bench_"
# Fixed so the CSRF cookie and form field match; Django accepts an unmasked 32-character secret.
CSRF_SECRET = "benchcsrfsecret0123456789abcdefg"


class Request(TypedDict, total=False):
    method: str
    path: str
    body: str  # urlencoded form or JSON text
    content_type: str
    headers: dict[str, str]
    expect: list[int]  # status codes that count as success
    contains_any: list[str]  # the body must contain one of these (e.g. the tracking code looked up)
    location_contains: str  # a redirect must point here (e.g. the suggestion's page, not the login)


class Scenario(TypedDict, total=False):
    name: str
    title: str
    role: str
    kind: str  # floor | read | write
    target_p95_ms: float | None
    target_ratio: float | None
    available: bool
    reason: str
    note: str
    headers: dict[str, str]  # sent with every request (cookies, token)
    requests: list[Request]
    probe: list[Request]
    warm: list[Request]


class NotAvailable(Exception):
    """The scenario's page is not routed yet, or the data it needs is missing."""


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    django.setup()


# --- Helpers ----------------------------------------------------------------------------


def routed(path: str) -> bool:
    """Whether the portal routes this path (without calling the view)."""
    from django.urls import Resolver404, resolve

    try:
        resolve(path.split("?", 1)[0])
    except Resolver404:
        return False
    return True


def require_routed(path: str) -> str:
    if not routed(path):
        raise NotAvailable(f"{path.split('?', 1)[0]} is not routed yet")
    return path


def reverse_or_none(name: str, **kwargs: Any) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def spread(qs: Any, n: int, fields: Sequence[str], rng: random.Random, *, chunks: int = 25) -> list[dict[str, Any]]:
    """Up to n rows of `qs` spread over its whole id range: `chunks` random pivots, a short
    index range scan from each (cheap on any index that ends in id)."""
    from django.db.models import Max, Min

    bounds = qs.order_by().aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return []
    lo, hi = int(bounds["lo"]), int(bounds["hi"])
    per_chunk = max(1, -(-n // chunks))
    seen: dict[int, dict[str, Any]] = {}
    for pivot in sorted(rng.randint(lo, hi) for _ in range(chunks)):
        for row in qs.filter(id__gte=pivot).order_by("id").values("id", *fields)[:per_chunk]:
            seen.setdefault(row["id"], row)
    if len(seen) < n:  # small sets: take what there is
        for row in qs.order_by("id").values("id", *fields)[: n * 2]:
            seen.setdefault(row["id"], row)
            if len(seen) >= n:
                break
    rows = list(seen.values())
    rng.shuffle(rows)
    return rows[:n]


def cycle_to(items: list[Request], n: int) -> list[Request]:
    """The request list, at most n long (reads repeat by cycling in the load generator)."""
    return items[:n]


def session_cookie(user: Any) -> dict[str, str]:
    """Headers that carry a real logged-in session of `user` (as after the login form)."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    sessionid = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={sessionid}; {settings.CSRF_COOKIE_NAME}={CSRF_SECRET}",
        "Accept-Language": "zh-hans",
    }


def api_token(user: Any) -> dict[str, str]:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}", "Accept": "application/json"}


def bench_user(name: str, *, role: str, station: Any = None, unit: Any = None, region: Any = None) -> Any:
    """A staff account for the load (created once per database; unusable password)."""
    from accounts.models import Membership, User

    user, created = User.objects.get_or_create(
        username=f"{BENCH_USER_PREFIX}{name}", defaults={"display_name": f"bench {name}"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.get_or_create(user=user, role=role, station=station, unit=unit, region=region)
    return user


def drf_cursor(position: int) -> str:
    """DRF CursorPagination's cursor for "rows after id `position`" under ordering -id."""
    return base64.b64encode(urlencode({"p": str(position)}).encode("ascii")).decode("ascii")


def form_body(fields: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in fields.items() if v is not None}, doseq=True)


# --- The context shared by the scenarios -------------------------------------------------


class Context:
    """The people and places the scenarios act as: picked once, from the data."""

    def __init__(self, *, reads: int, writes: int, seed: int) -> None:
        from django.db.models import Count

        from accounts.models import Role
        from stations.models import Region
        from suggestions.models import State, Suggestion

        self.reads = reads
        self.writes = writes
        self.rng = random.Random(seed)
        self.total = Suggestion.objects.count()
        if self.total == 0:
            raise SystemExit("The benchmark database holds no suggestions; run seed_demo --volume N first.")
        province = Region.objects.filter(parent__isnull=True).order_by("id").first()
        if province is None:
            raise SystemExit("The benchmark database has no root region.")
        self.province = province
        # The city with the most suggestions: its committee staff are the typical office users.
        city_counts: dict[int, int] = {}
        cities = list(Region.objects.filter(parent=self.province).only("id", "path", "code", "name"))
        for city in cities:
            city_counts[city.pk] = Suggestion.objects.filter(region__path__startswith=city.path).count()
        self.city = max(cities, key=lambda c: city_counts[c.pk]) if cities else self.province
        self.province_user = bench_user("province_committee", role=Role.COMMITTEE_STAFF, region=self.province)
        self.city_user = bench_user(f"committee_{self.city.code}", role=Role.COMMITTEE_STAFF, region=self.city)
        self.province_session = session_cookie(self.province_user)
        self.city_session = session_cookie(self.city_user)
        self.city_token = api_token(self.city_user)
        busiest = (
            Suggestion.objects.filter(state=State.ASSIGNED, lead_unit__isnull=False)
            .values("lead_unit")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        self.busiest_unit_id: int | None = busiest["lead_unit"] if busiest else None
        self.busiest_unit_size = int(busiest["n"]) if busiest else 0


# --- Scenarios ---------------------------------------------------------------------------

Builder = Callable[[Context], Scenario]
SCENARIOS: list[tuple[str, Builder]] = []


def scenario(name: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        SCENARIOS.append((name, fn))
        return fn

    return register


@scenario("floor_trivial")
def floor_trivial(ctx: Context) -> Scenario:
    path = require_routed("/_bench/trivial")
    return {"requests": [{"method": "GET", "path": path, "expect": [200]}]}


@scenario("floor_one_query")
def floor_one_query(ctx: Context) -> Scenario:
    from suggestions.models import Suggestion

    require_routed("/_bench/pk/1")
    rows = spread(Suggestion.objects.all(), ctx.reads, (), ctx.rng)
    return {"requests": [{"method": "GET", "path": f"/_bench/pk/{r['id']}", "expect": [200]} for r in rows]}


@scenario("status_lookup")
def status_lookup(ctx: Context) -> Scenario:
    """The voter's form: tracking code and the phone's last four digits, posted to /s/status/."""
    from suggestions.models import Suggestion

    path = require_routed(reverse_or_none("public:status") or "/s/status/")
    rows = spread(
        Suggestion.objects.exclude(submitter_phone_last4=""),
        ctx.reads,
        ("tracking_code", "submitter_phone_last4"),
        ctx.rng,
    )
    if not rows:
        raise NotAvailable("no suggestion with a voter's phone")
    fields = _status_form_fields()
    requests: list[Request] = []
    for row in rows:
        body = {
            fields["code"]: row["tracking_code"],
            fields["phone"]: row["submitter_phone_last4"],
            "csrfmiddlewaretoken": CSRF_SECRET,
        }
        requests.append(
            {
                "method": "POST",
                "path": path,
                "body": form_body(body),
                "content_type": "application/x-www-form-urlencoded",
                "expect": [200],
                "contains_any": _code_forms(row["tracking_code"]),
            }
        )
    return {
        "headers": {"Cookie": f"csrftoken={CSRF_SECRET}", "Accept-Language": "zh-hans"},
        "requests": requests,
        "note": "POST of the voter's form; rate limits raised for the run (all clients share 127.0.0.1)",
    }


def _status_form_fields() -> dict[str, str]:
    """The lookup form's field names for the code and the phone digits (the voter site's form)."""
    return {"code": "code", "phone": "last4"}


def _code_forms(code: str) -> list[str]:
    """A tracking code as stored and as shown grouped (K7MQ3-X9PRT)."""
    from suggestions.tracking import tracking_code_display

    return [code, tracking_code_display(code)]


def _staff_list_path() -> str:
    path = reverse_or_none("suggestions:list")
    if path is None:
        raise NotAvailable("the staff list (suggestions:list) is not routed yet")
    return path


@scenario("staff_detail")
def staff_detail(ctx: Context) -> Scenario:
    """Committee staff of the city open suggestions of their city (all states)."""
    from suggestions.models import Suggestion

    if reverse_or_none("suggestions:detail", code="X") is None:
        raise NotAvailable("the suggestion page (suggestions:detail) is not routed yet")
    rows = spread(
        Suggestion.objects.filter(region__path__startswith=ctx.city.path), ctx.reads, ("tracking_code",), ctx.rng
    )
    requests: list[Request] = []
    for row in rows:
        path = reverse_or_none("suggestions:detail", code=row["tracking_code"])
        assert path is not None
        wanted = _code_forms(row["tracking_code"])
        requests.append({"method": "GET", "path": path, "expect": [200], "contains_any": wanted})
    return {"headers": ctx.city_session, "requests": requests, "role": f"committee staff of {ctx.city.name}"}


@scenario("unit_to_acknowledge")
def unit_to_acknowledge(ctx: Context) -> Scenario:
    """The busiest unit's staff open their "to acknowledge" queue: the first page mostly,
    now and then a later one (keyset)."""
    from accounts.models import Role
    from suggestions.models import HandlingUnit, State, Suggestion

    path = _staff_list_path()
    if ctx.busiest_unit_id is None:
        raise NotAvailable("no suggestion waits for acknowledgement")
    unit = HandlingUnit.objects.get(pk=ctx.busiest_unit_id)
    user = bench_user(f"unit_{unit.code}", role=Role.UNIT_STAFF, unit=unit)
    headers = session_cookie(user)
    ids = list(
        Suggestion.objects.filter(lead_unit=unit, state=State.ASSIGNED)
        .order_by("-id")
        .values_list("id", flat=True)[:500]
    )
    afters = [ids[i] for i in range(49, len(ids), 50)]  # last id of pages 1, 2, ...
    requests: list[Request] = []
    for _ in range(ctx.reads):
        query: dict[str, Any] = {"queue": "to_acknowledge"}
        if afters and ctx.rng.random() < 0.25:
            query["after"] = ctx.rng.choice(afters)
        requests.append({"method": "GET", "path": f"{path}?{urlencode(query)}", "expect": [200]})
    return {
        "headers": headers,
        "requests": requests,
        "role": f"unit staff of {unit.name} ({ctx.busiest_unit_size} to acknowledge)",
        "note": "75% first page, 25% a later keyset page",
    }


def _districts(ctx: Context) -> list[Any]:
    from stations.models import Region

    return list(Region.objects.filter(parent=ctx.city).order_by("code"))


@scenario("committee_overdue_district")
def committee_overdue_district(ctx: Context) -> Scenario:
    """City committee staff read the overdue queue filtered by one of their districts."""
    path = _staff_list_path()
    districts = _districts(ctx)
    if not districts:
        raise NotAvailable("the city has no districts")
    requests: list[Request] = [
        {
            "method": "GET",
            "path": f"{path}?{urlencode({'queue': 'committee_overdue', 'region': ctx.rng.choice(districts).code})}",
            "expect": [200],
        }
        for _ in range(ctx.reads)
    ]
    return {
        "headers": ctx.city_session,
        "requests": requests,
        "role": f"committee staff of {ctx.city.name}",
        "note": f"{len(districts)} districts",
    }


def _deep_positions(ctx: Context, *, page: int, size: int, spread_pages: int = 100) -> tuple[int, list[int]]:
    """Ids at which pages around `page` start (newest-first list of the whole province):
    the keyset position ("after" = last id of the page before). Shallower for small data."""
    from suggestions.models import Suggestion

    pages = max(1, ctx.total // size)
    page = min(page, max(2, int(pages * 0.9)))
    first = max(2, page - spread_pages // 2)
    offset = (first - 1) * size - 1
    anchor = Suggestion.objects.order_by("-id").values_list("id", flat=True)[offset : offset + 1]
    ids = list(anchor)
    if not ids:
        return page, []
    window = list(
        Suggestion.objects.filter(id__lte=ids[0])
        .order_by("-id")
        .values_list("id", flat=True)[: spread_pages * size : size]
    )
    return page, window


@scenario("deep_list")
def deep_list(ctx: Context) -> Scenario:
    """Province committee staff page deep into the whole list (page 5,000 of 50 by keyset)."""
    from suggestions.views import PAGE_SIZE

    path = _staff_list_path()
    page, positions = _deep_positions(ctx, page=5000, size=PAGE_SIZE)
    if not positions:
        raise NotAvailable("not enough suggestions for a deep page")
    requests: list[Request] = [
        {"method": "GET", "path": f"{path}?{urlencode({'after': ctx.rng.choice(positions)})}", "expect": [200]}
        for _ in range(ctx.reads)
    ]
    return {
        "headers": ctx.province_session,
        "requests": requests,
        "role": "committee staff of the province",
        "note": f"pages {max(2, page - 50)}–{page + 50} of {PAGE_SIZE}",
    }


def _split_writes(ctx: Context, requests: list[Request]) -> Scenario:
    probe, warm, load = requests[:5], requests[5:13], requests[13:]
    if not load:
        raise NotAvailable("no suggestion in the right state left for writes")
    return {"probe": probe, "warm": warm, "requests": load}


def top_up(ctx: Context, *, state: str, needed: int, have: int) -> int:
    """Bring the city to `needed` suggestions in `state` (proposed or in_progress) through the
    workflow itself, as station, committee and unit staff would, when the data holds fewer:
    five years of history leave few suggestions open at small volumes. Returns how many were made."""
    from accounts.models import Role
    from stations.models import Station
    from suggestions import workflow
    from suggestions.models import Category, HandlingUnit, Route, State

    missing = needed - have
    if missing <= 0:
        return 0
    station = Station.objects.filter(region__path__startswith=ctx.city.path).order_by("id").first()
    units = list(HandlingUnit.objects.filter(is_active=True, region__path__startswith=ctx.city.path)[:12])
    category = Category.objects.filter(is_active=True).order_by("id").first()
    if station is None or not units:
        return 0
    staff = bench_user(f"station_{station.pk}", role=Role.STATION_STAFF, station=station)
    unit_staff = {u.pk: bench_user(f"unit_{u.code}", role=Role.UNIT_STAFF, unit=u) for u in units}
    for i in range(missing):
        unit = units[i % len(units)]
        s = workflow.suggestion_record(
            actor=staff,
            title="小区门口道路破损，雨天积水严重",
            content="居民反映小区门口道路破损多处，雨天积水，老人和孩子出行不便，希望尽快修复。",
            region=station.region,
            station=station,
            submitter_name="王五",
            submitter_phone=f"139{ctx.rng.randint(10_000_000, 99_999_999)}",
        )
        s = workflow.suggestion_sort(suggestion=s, actor=staff, category=category, urgency="normal")
        s = workflow.suggestion_propose(suggestion=s, actor=staff, route=Route.UNIT, unit=unit)
        if state == State.IN_PROGRESS:
            s = workflow.suggestion_hand_over(suggestion=s, actor=ctx.city_user, lead_unit=unit)
            workflow.suggestion_acknowledge(suggestion=s, actor=unit_staff[unit.pk])
    return missing


@scenario("hand_over")
def hand_over(ctx: Context) -> Scenario:
    """City committee staff hand proposed suggestions over (the UI form), each once."""
    from suggestions.models import HandlingUnit, Route, State, Suggestion

    if reverse_or_none("suggestions:action", code="X", action="hand_over") is None:
        raise NotAvailable("the action forms (suggestions:action) are not routed yet")
    units = list(
        HandlingUnit.objects.filter(is_active=True, region__path__startswith=ctx.city.path).values_list("id", flat=True)
    )
    if not units:
        raise NotAvailable("no active unit in the city")
    unit_set = set(units)
    targets = Suggestion.objects.filter(state=State.PROPOSED, route=Route.UNIT, region__path__startswith=ctx.city.path)
    made = top_up(ctx, state=State.PROPOSED, needed=ctx.writes + 13, have=targets.count())
    rows = spread(targets, ctx.writes + 13, ("tracking_code", "version", "proposed_unit_id"), ctx.rng)
    requests: list[Request] = []
    for row in rows:
        unit = row["proposed_unit_id"] if row["proposed_unit_id"] in unit_set else ctx.rng.choice(units)
        path = reverse_or_none("suggestions:action", code=row["tracking_code"], action="hand_over")
        assert path is not None
        body = {"version": row["version"], "lead_unit": unit, "note": "", "csrfmiddlewaretoken": CSRF_SECRET}
        requests.append(
            {
                "method": "POST",
                "path": path,
                "body": form_body(body),
                "content_type": "application/x-www-form-urlencoded",
                "expect": [302],
                "location_contains": path.rsplit("/do/", 1)[0] + "/",
            }
        )
    result = _split_writes(ctx, requests)
    result["headers"] = ctx.city_session
    result["role"] = f"committee staff of {ctx.city.name}"
    result["note"] = "UI form POST (redirect on success); deadline computed from working days" + (
        f"; {made} proposed suggestions added through the workflow first" if made else ""
    )
    return result


@scenario("reply")
def reply(ctx: Context) -> Scenario:
    """Unit staff reply to suggestions in progress (the UI form), each once; each request as the
    staff of that suggestion's lead unit."""
    from django.db.models import Count

    from accounts.models import Role
    from suggestions.models import HandlingUnit, State, Suggestion

    if reverse_or_none("suggestions:action", code="X", action="reply") is None:
        raise NotAvailable("the action forms (suggestions:action) are not routed yet")
    in_city = Suggestion.objects.filter(state=State.IN_PROGRESS, region__path__startswith=ctx.city.path)
    made = top_up(ctx, state=State.IN_PROGRESS, needed=ctx.writes + 13, have=in_city.count())
    top_units = list(
        in_city.filter(lead_unit__isnull=False)
        .values("lead_unit")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("lead_unit", flat=True)[:12]
    )
    if not top_units:
        raise NotAvailable("no suggestion in progress")
    sessions = {
        unit.pk: session_cookie(bench_user(f"unit_{unit.code}", role=Role.UNIT_STAFF, unit=unit))
        for unit in HandlingUnit.objects.filter(pk__in=top_units)
    }
    rows = spread(
        Suggestion.objects.filter(state=State.IN_PROGRESS, lead_unit_id__in=top_units),
        ctx.writes + 13,
        ("tracking_code", "version", "lead_unit_id"),
        ctx.rng,
    )
    requests: list[Request] = []
    categories = ["A", "A", "B", "C", "D"]
    for row in rows:
        path = reverse_or_none("suggestions:action", code=row["tracking_code"], action="reply")
        assert path is not None
        category = ctx.rng.choice(categories)
        due = (dt.date.today() + dt.timedelta(days=30)).isoformat() if category == "B" else None  # noqa: DTZ011
        body = {
            "version": row["version"],
            "category": category,
            "text": "经核查，已安排相关科室处理，现将办理情况答复如下：问题已列入本年度整改计划。",
            "follow_up_due": due,
            "csrfmiddlewaretoken": CSRF_SECRET,
        }
        requests.append(
            {
                "method": "POST",
                "path": path,
                "body": form_body(body),
                "content_type": "application/x-www-form-urlencoded",
                "headers": sessions[row["lead_unit_id"]],
                "expect": [302],
                "location_contains": path.rsplit("/do/", 1)[0] + "/",
            }
        )
    result = _split_writes(ctx, requests)
    result["role"] = f"unit staff of the {len(top_units)} units of {ctx.city.name} with most in progress"
    result["note"] = "UI form POST (redirect on success)" + (
        f"; {made} suggestions in progress added through the workflow first" if made else ""
    )
    return result


@scenario("dashboard_year")
def dashboard_year(ctx: Context) -> Scenario:
    """Province committee staff read the dashboard for one year (the five years of data)."""
    from suggestions.models import Suggestion

    path = None
    for name in ("dashboards:index", "dashboards:dashboard", "dashboards:overview", "dashboards:home"):
        path = reverse_or_none(name)
        if path:
            break
    if path is None:
        path = require_routed("/dashboards/")
    newest = Suggestion.objects.order_by("-id").values_list("created_at", flat=True).first()
    year = (newest or dt.datetime.now(tz=dt.UTC)).year
    years = [year - i for i in range(5)]
    requests: list[Request] = []
    for _ in range(min(ctx.reads, 200)):
        query = {"period": "year", "year": ctx.rng.choice(years), "region": ctx.province.code}
        requests.append({"method": "GET", "path": f"{path}?{urlencode(query)}", "expect": [200]})
    return {"headers": ctx.province_session, "requests": requests, "role": "committee staff of the province"}


API_SUGGESTIONS = "/api/v1/suggestions/"


@scenario("api_list")
def api_list(ctx: Context) -> Scenario:
    """The provincial platform's client (city committee token): filtered first pages."""
    from suggestions.models import State

    require_routed(API_SUGGESTIONS)
    districts = _districts(ctx)
    states = [State.RECEIVED, State.ASSIGNED, State.IN_PROGRESS, State.REPLIED, State.CLOSED]
    requests: list[Request] = []
    for _ in range(ctx.reads):
        query: dict[str, Any] = {"state": ctx.rng.choice(states)}
        if districts and ctx.rng.random() < 0.6:
            query["region"] = ctx.rng.choice(districts).code
        if ctx.rng.random() < 0.2:
            query["overdue"] = "true"
        requests.append({"method": "GET", "path": f"{API_SUGGESTIONS}?{urlencode(query)}", "expect": [200]})
    return {"headers": ctx.city_token, "requests": requests, "role": f"API client, committee of {ctx.city.name}"}


@scenario("api_list_deep")
def api_list_deep(ctx: Context) -> Scenario:
    """The same client walking deep into the unfiltered list by cursor (page 5,000 of 50)."""
    require_routed(API_SUGGESTIONS)
    page, positions = _deep_positions(ctx, page=5000, size=50)
    if not positions:
        raise NotAvailable("not enough suggestions for a deep page")
    token = api_token(ctx.province_user)
    requests: list[Request] = [
        {
            "method": "GET",
            "path": f"{API_SUGGESTIONS}?{urlencode({'cursor': drf_cursor(ctx.rng.choice(positions))})}",
            "expect": [200],
        }
        for _ in range(ctx.reads)
    ]
    return {
        "headers": token,
        "requests": requests,
        "role": "API client, committee of the province",
        "note": f"cursor at pages {max(2, page - 50)}–{page + 50} of 50",
    }


@scenario("api_detail")
def api_detail(ctx: Context) -> Scenario:
    from suggestions.models import Suggestion

    require_routed(f"{API_SUGGESTIONS}X/")
    rows = spread(
        Suggestion.objects.filter(region__path__startswith=ctx.city.path), ctx.reads, ("tracking_code",), ctx.rng
    )
    requests: list[Request] = [
        {
            "method": "GET",
            "path": f"{API_SUGGESTIONS}{r['tracking_code']}/",
            "expect": [200],
            "contains_any": _code_forms(r["tracking_code"]),
        }
        for r in rows
    ]
    return {"headers": ctx.city_token, "requests": requests, "role": f"API client, committee of {ctx.city.name}"}


@scenario("open311_requests")
def open311_requests(ctx: Context) -> Scenario:
    """A civic-tech client lists requests: by service (category), status and date range."""
    from suggestions.models import Category

    path = require_routed("/open311/v2/requests.json")
    services = list(Category.objects.filter(is_active=True).values_list("code", flat=True))
    requests: list[Request] = []
    today = dt.date.today()  # noqa: DTZ011
    for _ in range(ctx.reads):
        query: dict[str, Any] = {}
        if services and ctx.rng.random() < 0.7:
            query["service_code"] = ctx.rng.choice(services)
        if ctx.rng.random() < 0.5:
            query["status"] = ctx.rng.choice(["open", "closed"])
        if ctx.rng.random() < 0.3:
            start = today - dt.timedelta(days=ctx.rng.randint(30, 5 * 365))
            query["start_date"] = f"{start.isoformat()}T00:00:00+08:00"
            query["end_date"] = f"{(start + dt.timedelta(days=90)).isoformat()}T00:00:00+08:00"
        requests.append({"method": "GET", "path": f"{path}?{urlencode(query)}", "expect": [200]})
    return {"requests": requests, "role": "Open311 client (anonymous)"}


# Titles, roles and targets (issue 9's table; issue 8's 50 ms for the API).
META: dict[str, tuple[str, str, str, float | None, float | None]] = {
    "floor_trivial": ("Floor: trivial view", "anonymous", "floor", None, None),
    "floor_one_query": ("Floor: one primary-key query", "anonymous", "floor", None, None),
    "status_lookup": ("Status lookup (code + phone digits)", "voter", "read", 20, 3),
    "staff_detail": ("Suggestion page (staff)", "committee staff", "read", 50, 5),
    "unit_to_acknowledge": ("Busiest unit's “to acknowledge” queue", "unit staff", "read", 100, 5),
    "committee_overdue_district": ("Overdue list, one district", "committee staff", "read", 100, 5),
    "deep_list": ("Suggestion list, page 5,000 (keyset)", "committee staff", "read", 100, 5),
    "hand_over": ("Hand over (write)", "committee staff", "write", 100, None),
    "reply": ("Reply (write)", "unit staff", "write", 100, None),
    "dashboard_year": ("Province dashboard, one year", "committee staff", "read", 300, None),
    "api_list": ("API list, filtered", "API client", "read", 50, 5),
    "api_list_deep": ("API list, cursor page 5,000", "API client", "read", 50, 5),
    "api_detail": ("API detail", "API client", "read", 50, 5),
    "open311_requests": ("Open311 request list", "Open311 client", "read", 100, 5),
}


def build(ctx: Context, only: set[str] | None = None) -> list[Scenario]:
    out: list[Scenario] = []
    for name, fn in SCENARIOS:
        if only and name not in only:
            continue
        title, role, kind, target, ratio = META[name]
        base: Scenario = {
            "name": name,
            "title": title,
            "role": role,
            "kind": kind,
            "target_p95_ms": target,
            "target_ratio": ratio,
            "headers": {},
            "requests": [],
            "probe": [],
            "warm": [],
            "note": "",
        }
        try:
            built = fn(ctx)
        except NotAvailable as exc:
            base["available"] = False
            base["reason"] = str(exc)
        else:
            base.update(built)
            base["available"] = True
            if kind != "write":
                base["probe"] = base["requests"][:5]
                base["warm"] = base["requests"][5:25]
        out.append(base)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--reads", type=int, default=2000, help="distinct requests per read scenario")
    parser.add_argument("--writes", type=int, default=3000, help="suggestions per write scenario")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args(argv)
    _setup_django()
    ctx = Context(reads=args.reads, writes=args.writes, seed=args.seed)
    scenarios = build(ctx, set(filter(None, args.only.split(","))) or None)
    meta = {
        "suggestions": ctx.total,
        "province": ctx.province.name,
        "city": ctx.city.name,
        "prepared_at": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
        "nonce": secrets.token_hex(4),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "scenarios": scenarios}, ensure_ascii=False, indent=1))
    for s in scenarios:
        state = f"{len(s['requests'])} requests" if s.get("available") else f"not available: {s.get('reason')}"
        print(f"  {s['name']:<28} {state}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
