"""Input PostgreSQL cannot take (NUL characters, integers past bigint) on every page, filter,
search box, cursor and form: never a 500, but a 400 (a Chinese page, JSON with a code under
/api/, GeoReport's format under /open311/) or an ordinary answer.

Nothing here is a hand list of parameters. The URLs come from the URLconf; the parameters from
every django-filter FilterSet and form of the project (the names their widgets render), every
literal the code reads from `request.GET` / `query_params`, the API's pagination, ordering and
search parameters, and what each page is seen to read; the forms to post from the pages
themselves, and the API bodies from each endpoint's OPTIONS description. A new filter, form or
page is walked without touching this file; a new kind of URL argument makes it fail until
`_argument` knows a value for it.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import django_filters
import pytest
from django import forms
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.http import HttpRequest, HttpResponse, QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework import filters as drf_filters
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from representatives.models import DutyShift
from stations.models import VoterVisit
from suggestions.forms import ACTION_FORMS
from suggestions.models import Suggestion
from suggestions.status_access import status_key_make
from tests.conftest import World
from tests.factories import DutyShiftFactory, VoterVisitFactory
from tests.liaison.pages import english_words, visible_text
from tests.voters.conftest import Site, captcha_test_mode, site, walk  # noqa: F401 - fixtures used here

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "stations", "representatives", "suggestions", "notifications", "open311", "voters", "dashboards")
NUL_VALUES = ("\x00", "a\x00b")
NUMBER_VALUES = ("99999999999999999999", "-1", "1e400")
HOSTILE = (*NUL_VALUES, *NUMBER_VALUES)
ONE_BY_ONE = HOSTILE[1:]  # each parameter a page reads, one at a time ("\x00" alone only all at once)
POSTED = ("a\x00b", "99999999999999999999", "-1")  # each form field, one at a time
# Django's language switch and captcha, and the API's schema and its readers, read no parameters of ours.
SKIP = ("/i18n/", "/captcha/", "/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/", "/media/")
# Forms whose posting ends the session or changes the language: walked, but with a fresh session.
SESSION_ENDING = ("/accounts/logout/",)
CJK = re.compile(r"[\u4e00-\u9fff]")
ERROR_PAGE = 'class="card narrow error-page"'


# --- What the project reads: parameters and URLs ----------------------------------------------


def _widget_names(name: str, widget: forms.Widget) -> set[str]:
    """The names a field's widget renders, e.g. created_after and created_before for a range."""
    if isinstance(widget, forms.MultiWidget):
        suffixes = getattr(widget, "suffixes", None) or [str(i) for i in range(len(widget.widgets))]
        return {f"{name}_{suffix}" if suffix else name for suffix in suffixes}
    return {name}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _ours(cls: type) -> bool:
    return cls.__module__.split(".")[0] in APPS


def filterset_parameters() -> set[str]:
    names: set[str] = set()
    for cls in _subclasses(django_filters.FilterSet):
        if _ours(cls) and cls._meta.model is not None:
            filterset = cls(data=None, queryset=cls._meta.model._default_manager.none(), request=None)
            for name, form_field in filterset.form.fields.items():
                names |= _widget_names(name, form_field.widget)
    return names


def form_parameters() -> set[str]:
    names: set[str] = set()
    for cls in _subclasses(forms.BaseForm):
        if _ours(cls):
            for name, form_field in getattr(cls, "base_fields", {}).items():
                names |= _widget_names(name, form_field.widget)
    return names


class _Reads(ast.NodeVisitor):
    """`request.GET.get("x")`, `request.GET["x"]`, `query_params.get("x")`, `params.get("x")`."""

    SOURCES = {"GET", "query_params", "params", "data"}

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in {"get", "getlist"}
            and self._source(func.value)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self.names.add(node.args[0].value)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if self._source(node.value) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            self.names.add(node.slice.value)
        self.generic_visit(node)

    def _source(self, node: ast.expr) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr in self.SOURCES) or (
            isinstance(node, ast.Name) and node.id in self.SOURCES
        )


def code_parameters() -> set[str]:
    reader = _Reads()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                reader.visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for name in reader.names if re.fullmatch(r"[A-Za-z_][\w\[\]]*", name)}


def api_parameters() -> set[str]:
    names = {api_settings.ORDERING_PARAM, api_settings.SEARCH_PARAM, drf_filters.OrderingFilter.ordering_param}
    pagination = api_settings.DEFAULT_PAGINATION_CLASS
    for attr in ("cursor_query_param", "page_size_query_param", "page_query_param", "limit_query_param"):
        value = getattr(pagination, attr, None)
        if value:
            names.add(value)
    return names


def vocabulary() -> set[str]:
    get_resolver().url_patterns  # noqa: B018 - imports every view, and so every form and filter set
    return filterset_parameters() | form_parameters() | code_parameters() | api_parameters()


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[str, ...]


def routes() -> list[Route]:
    found: dict[tuple[str, tuple[str, ...]], Route] = {}

    def walk_patterns(patterns: list[Any], namespace: str, prefix: str) -> None:
        for pattern in patterns:
            here = prefix + str(pattern.pattern).lstrip("^")
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk_patterns(pattern.url_patterns, inner, here)
            elif isinstance(pattern, URLPattern) and pattern.name:
                kwargs = tuple(sorted(pattern.pattern.regex.groupindex))
                if "format" in kwargs:  # the API's ".json" twins of the same views
                    continue
                if ("/" + here).startswith(SKIP):
                    continue
                route = Route(f"{namespace}{pattern.name}", kwargs)
                found[(route.name, kwargs)] = route

    walk_patterns(get_resolver().url_patterns, "", "")
    return sorted(found.values(), key=lambda r: r.name)


# --- A world to walk, and its personas ------------------------------------------------------------


@dataclass
class Walk:
    site: Site
    replied: Suggestion
    published: Suggestion
    token: str
    visit: VoterVisit
    shift: DutyShift
    personas: dict[str, Client]
    stats: dict[str, int] = field(default_factory=lambda: {"requests": 0})

    def argument(self, route: str, name: str) -> list[str]:
        """Values for a URL argument: real objects, so the page behind it is reached."""
        world = self.site.world
        by_name: dict[str, Callable[[], list[str]]] = {
            "code": lambda: [self._code(route)],
            "pk": lambda: [str(self._pk(route))],
            "station_pk": lambda: [str(world.station_a.pk)],
            "representative_pk": lambda: [str(self.site.rep.pk)],
            "key": lambda: [status_key_make(tracking_code=self.replied.tracking_code)],
            "token": lambda: ["t0k3n"] if route.startswith("open311:") else [self.token],
            "field": lambda: ["unit", "station"],
            "action": lambda: sorted(ACTION_FORMS),
            "fmt": lambda: ["json", "xml"],
            "request_id": lambda: [self.published.tracking_code],
        }
        if name not in by_name:
            pytest.fail(f"{route} takes <{name}>: teach Walk.argument a value for it")
        return by_name[name]()

    def _code(self, route: str) -> str:
        world = self.site.world
        if route.startswith("region"):
            return world.town_a.code
        if route.startswith("category"):
            return self.site.category.code
        if route.startswith("unit"):
            return str(world.unit_a.code)
        if route.startswith("open311:"):
            return self.site.category.code
        return self.replied.tracking_code

    def _pk(self, route: str) -> int:
        world = self.site.world
        table: dict[str, int] = {
            "public:board_case": self.published.pk,
            "stations:visit_detail": self.visit.pk,
            "visit-detail": self.visit.pk,
            "duty-shift-detail": self.shift.pk,
        }
        if route in table:
            return table[route]
        if "representative" in route or route == "representatives:file":
            return self.site.rep.pk
        return world.station_a.pk

    def urls(self) -> Iterator[str]:
        for route in routes():
            # Django's admin: its lists and their search box, not its every form.
            if route.name.startswith("admin:") and not route.name.endswith("_changelist"):
                continue
            values: list[dict[str, str]] = [{}]
            for name in route.kwargs:
                values = [{**v, name: arg} for v in values for arg in self.argument(route.name, name)]
            for kwargs in values:
                url = reverse(route.name, kwargs=kwargs)
                if not url.startswith(SKIP):
                    yield url


@pytest.fixture(autouse=True)
def _no_throttles(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walks send thousands of requests from one address; throttling is tested elsewhere."""
    rates = dict.fromkeys(SimpleRateThrottle.THROTTLE_RATES, "100000/minute")
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


@pytest.fixture
def walk_world(
    site: Site,  # noqa: F811 - the fixture imported above
    admin_user: User,
    representative_user: User,
    committee_staff: User,
    world: World,
) -> Walk:
    replied, token = walk(site, to="replied")
    published, _none = walk(site, to="published", title="已公示的建议", phone="13900002222")
    visit = VoterVisitFactory(station=world.station_a)
    shift = DutyShiftFactory(representative=site.rep, station=world.station_a)
    personas: dict[str, Client] = {}
    for name, user in (("admin", admin_user), ("committee", committee_staff), ("representative", representative_user)):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        personas[name] = client
    personas["anonymous"] = Client(raise_request_exception=False)
    assert token is not None
    return Walk(site, replied, published, token, visit, shift, personas)


# --- Watching which parameters a page reads --------------------------------------------------------


class ReadingQueryDict(QueryDict):
    """request.GET that notes each key asked for by name. Going over all of them (the admin's
    lookups, a cache key) is not reading one: those are walked by the pass with every parameter."""

    def _note(self, key: str) -> None:
        read = getattr(self, "read", None)
        if read is not None:
            read.add(key)

    def __getitem__(self, key: str) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def getlist(self, key: str, default: Any = None) -> Any:
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        self._note(str(key))
        return super().__contains__(key)

    def __deepcopy__(self, memo: dict[int, Any]) -> ReadingQueryDict:
        # request.GET.copy() (a view adding defaults) still notes what is read into the same set.
        result: ReadingQueryDict = super().__deepcopy__(memo)
        if hasattr(self, "read"):
            result.read = self.read  # type: ignore[attr-defined]
        return result


SEEN: list[ReadingQueryDict] = []


def reading_middleware(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        query = ReadingQueryDict(request.META.get("QUERY_STRING", ""), mutable=False)
        query.read = set()  # type: ignore[attr-defined]
        request.GET = query
        SEEN.append(query)
        return get_response(request)

    return middleware


# --- Judging an answer ---------------------------------------------------------------------------------


PROBLEMS: list[str] = []


def judge(response: Any, what: str) -> None:
    """Note what is wrong with an answer to hostile input; each walk asserts none was noted, so
    one run lists every page that fails, not only the first."""
    problem = _problem(response)
    if problem:
        PROBLEMS.append(f"{what}: {problem}")


def _close(response: Any) -> Any:
    """A streamed answer (an export's temporary file) read to its end, which closes it."""
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response


def _problem(response: Any) -> str:
    _close(response)
    if response.status_code == 503 and b'"checks"' in response.content:
        # /health/ reports the worker and beat missing (none runs in this test): a true answer.
        return ""
    if response.status_code >= 500:
        return f"{response.status_code} {response.content[:200]!r}"
    if response.status_code != 400:
        return ""
    content_type = response.get("Content-Type", "")
    body = response.content.decode(errors="replace")
    if content_type.startswith("application/json"):
        parsed = json.loads(body)
        errors = parsed if isinstance(parsed, list) else [parsed]
        return "" if all("code" in error for error in errors) else f"JSON without a code: {body[:200]}"
    if content_type.startswith("text/html"):
        text = visible_text(body)
        if not CJK.search(text):
            return f"a 400 page without Chinese: {text[:200]}"
        # The portal's error page has no English at all; a page answering 400 with its own form
        # and messages (in Chinese) keeps its usual header, the language switch among it.
        english = english_words(body) if ERROR_PAGE in body else []
        return f"English on the error page: {english[:10]}" if english else ""
    if content_type.startswith(("text/xml", "application/xml")):
        return "" if "<code>400</code>" in body else f"XML without its code: {body[:200]}"
    return f"a 400 as {content_type}"


@pytest.fixture(autouse=True)
def _no_problems_left() -> Iterator[None]:
    PROBLEMS.clear()
    yield
    problems = list(PROBLEMS)
    PROBLEMS.clear()
    assert problems == [], f"{len(problems)} answers went wrong:\n" + "\n".join(problems[:200])


def persona_for(walker: Walk, url: str) -> Client | None:
    """The first persona who gets the page: each role sees its own pages."""
    for client in walker.personas.values():
        response = _close(client.get(url))
        walker.stats["requests"] += 1
        if response.status_code == 200:
            return client
    return None


# --- The walks -----------------------------------------------------------------------------------------


def test_every_page_filter_search_and_cursor_survives_hostile_values(walk_world: Walk, settings: Any) -> None:
    settings.MIDDLEWARE = ["tests.liaison.test_hostile_input.reading_middleware", *settings.MIDDLEWARE]
    words = vocabulary()
    # The discovery finds what the issue named, and more.
    assert {"station", "unit", "q", "cursor", "page_size", "after", "region", "created_after", "status"} <= words
    seen_routes = 0
    tested: set[tuple[str, str]] = set()
    for url in walk_world.urls():
        client = persona_for(walk_world, url)
        if client is None:
            client = walk_world.personas["admin"]
        seen_routes += 1
        # Which parameters does the page read, bare and when given all of them?
        SEEN.clear()
        for observe in ({}, dict.fromkeys(sorted(words), "")):
            _close(client.get(url, observe))
        judge(client.get(url, dict.fromkeys(sorted(words), "1")), f"{url} with every parameter")
        read: set[str] = set().union(*(q.read for q in SEEN))  # type: ignore[attr-defined]
        if url.startswith("/admin/"):
            # The admin reads every parameter as a lookup: its own ones, one by one, are enough.
            wanted = [SEARCH_VAR, ORDER_VAR, PAGE_VAR, "email", "code", "status"]
        else:
            wanted = sorted(read)
        for value in HOSTILE:
            judge(client.get(url, dict.fromkeys(sorted(words), value)), f"{url} with every parameter = {value!r}")
            walk_world.stats["requests"] += 1
            for name in wanted if value in ONE_BY_ONE else ():
                judge(client.get(url, {name: value}), f"{url}?{name}={value!r}")
                walk_world.stats["requests"] += 1
                tested.add((url, name))
        # A NUL in the path itself.
        judge(client.get(url.rstrip("/") + "%00/"), f"{url} with NUL in the path")
    assert seen_routes > 60, seen_routes
    # What the issue found was walked, among everything else.
    named = {
        ("/suggestions/", "station"),
        ("/suggestions/options/unit/", "unit"),
        ("/representatives/files/", "q"),
        ("/api/v1/suggestions/", "station"),
        ("/api/v1/suggestions/", "cursor"),
        ("/s/", "q"),
        ("/s/board/", "after"),
        ("/open311/v2/requests.json", "service_code"),
        ("/open311/v2/requests.json", "start_date"),
    }
    assert named <= tested, named - tested
    assert walk_world.stats["requests"] > 1000


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields with their values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._current: dict[str, str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._current = {}
            self.forms.append((a.get("action", ""), self._current))
        elif self._current is not None and tag in {"input", "textarea", "select"} and a.get("name"):
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                self._current.setdefault(a["name"], "")
                return
            if a.get("type") == "file":
                return
            self._current[a["name"]] = a.get("value", "")
            self._select = a["name"] if tag == "select" else None
        elif tag == "option" and self._current is not None and self._select and "selected" in a:
            self._current[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        if tag == "select":
            self._select = None


def test_every_post_form_survives_hostile_values(walk_world: Walk) -> None:
    posted = 0
    targets: set[str] = set()
    for url in walk_world.urls():
        if url.startswith(("/api/", "/open311/", "/admin/")):
            continue
        client = persona_for(walk_world, url)
        if client is None:
            continue
        page = _close(client.get(url))
        if not page.get("Content-Type", "").startswith("text/html"):
            continue
        parser = _Forms()
        parser.feed(page.content.decode())
        for action, fields in parser.forms:
            target = action or url
            names = [name for name in fields if name not in {"csrfmiddlewaretoken", "next", "language"}]
            if not names or target.startswith(SESSION_ENDING):
                continue
            for value in POSTED:
                for name in names:
                    data = {**fields, name: value}
                    # A fresh CSRF token each time: a refused post must be for its value, not the token.
                    judge(client.post(target, data), f"POST {target} {name}={value!r} (form on {url})")
                    posted += 1
                    targets.add(target.split("?")[0])
    assert posted > 300, posted
    # Among them the forms the issue named and the voter site's lookup form.
    assert {"/accounts/login/", "/s/suggest/", "/s/status/"} <= targets, targets


def test_nul_in_forms_the_issue_names_is_refused_in_chinese(walk_world: Walk) -> None:
    anonymous = walk_world.personas["anonymous"]
    for url, data in (
        ("/accounts/login/", {"username": "clerk\x00", "password": "x"}),
        ("/s/suggest/", {"title": "路灯\x00", "content": "不亮", "submitter_phone": "13812345678"}),
        ("/s/status/", {"code": "23456\x0089AB", "last4": "1234"}),
    ):
        response = anonymous.post(url, data)
        assert response.status_code == 400
        judge(response, url)
    assert Suggestion.objects.filter(title__startswith="路灯").count() == 0


def test_the_issues_examples_answer_400_with_a_message(walk_world: Walk) -> None:
    admin = walk_world.personas["admin"]
    for url in ("/suggestions/?station=%00", "/suggestions/options/unit/?unit=%00", "/representatives/files/?q=%00"):
        response = admin.get(url)
        assert response.status_code == 400
        assert "无法处理此请求" in visible_text(response.content.decode())
    api = admin.get("/api/v1/suggestions/?station=%00")
    assert api.status_code == 400
    body = json.loads(api.content)
    assert body["code"] == "validation"
    assert "station" in body["fields"]
    open311 = Client().get("/open311/v2/requests.json?service_code=%00")
    assert open311.status_code == 400
    assert json.loads(open311.content)[0]["code"] == 400


def test_every_api_body_field_survives_hostile_values(walk_world: Walk) -> None:
    admin = walk_world.personas["admin"]
    described = 0
    for url in walk_world.urls():
        if not url.startswith("/api/"):
            continue
        options = admin.options(url)
        if options.status_code != 200:
            continue
        post = json.loads(options.content).get("actions", {}).get("POST")
        if not post:
            continue
        described += 1
        for value in HOSTILE:
            for name, spec in post.items():
                if spec.get("read_only"):
                    continue
                judge(admin.post(url, {name: value}, content_type="application/json"), f"POST {url} {name}={value!r}")
    assert described >= 3, described
