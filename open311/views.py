"""Open311 GeoReport v2 endpoints (https://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Thin views: parse the specification's parameters, call the selectors or the service, and
answer in the format the path's extension names. Reads are public; posting needs an
`api_key` issued in the admin. Every answer, errors included, is in the specification's
format; clients are throttled per address.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.throttling import SimpleRateThrottle

from liaison import fragments
from liaison.rest import flatten_errors
from open311.formats import CONTENT_TYPES, FORMATS, render, render_errors
from open311.selectors import (
    MAX_SPAN,
    RequestQuery,
    request_get,
    request_list,
    service_get,
    service_list,
    token_get,
)
from open311.services import PostedRequest, api_key_check, service_request_create
from stations.models import Region
from suggestions.errors import WorkflowError
from suggestions.forms import phone_normalize
from suggestions.tracking import tracking_code_normalize
from suggestions.workflow import PUBLICATION_CHANGED

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's interface last changed (the discovery document's changeset).
CHANGESET = "2026-11-28T00:00:00+08:00"
CONSENT = "consent_to_publish"
TITLE = "title"
REGION = "region_code"

View = Callable[..., HttpResponse]


class Open311Throttle(SimpleRateThrottle):
    """Requests per client address (behind TRUSTED_PROXY_COUNT proxies), rate API_THROTTLE_OPEN311."""

    scope = "open311"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return render_errors(fmt, status, [(status, description)])


def _has_nul(request: HttpRequest) -> bool:
    """Text PostgreSQL cannot store; refused as bad input before it reaches a query."""
    params = [request.GET] + ([request.POST] if request.method == "POST" else [])
    return any(
        "\x00" in key or "\x00" in value for query in params for key, values in query.lists() for value in values
    )


def open311(methods: tuple[str, ...] = ("GET",)) -> Callable[[View], View]:
    """Format check, allowed methods and throttling for one endpoint."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in FORMATS:
                return _error("xml", 404, _("Unknown format; use .xml or .json."))
            throttle = Open311Throttle()
            if not throttle.allow_request(request, None):  # type: ignore[arg-type]
                wait = throttle.wait()
                response = _error(fmt, 429, _("Too many requests. Please wait a moment and try again."))
                if wait is not None:
                    response["Retry-After"] = str(int(wait) + 1)
                return response
            if request.method not in methods:
                response = _error(fmt, 405, _("This method is not allowed here."))
                response["Allow"] = ", ".join(methods)
                return response
            if _has_nul(request):
                return _error(fmt, 400, _("Parameters may not contain NUL characters."))
            return view(request, *args, fmt=fmt, **kwargs)

        return wrapped

    return decorator


# --- Discovery and services ----------------------------------------------------------


@open311()
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = f"{settings.SITE_URL}/open311/v2/"
    document = {
        "changeset": CHANGESET,
        "contact": _("Liaison Station Portal administrators: %(site)s") % {"site": settings.SITE_URL},
        "key_service": _("API keys for posting requests are issued by the portal's administrators: %(site)s")
        % {"site": settings.SITE_URL},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", None, document)


def _service(category: Any) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or None,
        "metadata": True,
        "type": "realtime",
        "keywords": None,
        "group": None,
    }


@open311()
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(fmt, "services", "service", [_service(c) for c in service_list()])


def _attributes() -> list[dict[str, Any]]:
    return [
        {
            "variable": True,
            "code": CONSENT,
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": _("true or false"),
            "order": 1,
            "description": _(
                "May the suggestion be shown on the public board? Names and phone numbers are always masked there."
            ),
            "values": [{"key": "true", "name": _("Yes, it may be published")}, {"key": "false", "name": _("No")}],
        },
        {
            "variable": True,
            "code": TITLE,
            "datatype": "string",
            "required": False,
            "datatype_description": _("At most 200 characters; the description's first line if left out."),
            "order": 2,
            "description": _("A short title for the suggestion."),
            "values": [],
        },
        {
            "variable": True,
            "code": REGION,
            "datatype": "string",
            "required": False,
            "datatype_description": _("An official region code within the region of your API key."),
            "order": 3,
            "description": _("Where the problem is, as an administrative region."),
            "values": [],
        },
    ]


@open311()
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = service_get(code)
    if category is None:
        return _error(fmt, 404, _("No service with this service_code."))
    return render(fmt, "service_definition", None, {"service_code": category.code, "attributes": _attributes()})


# --- Requests ------------------------------------------------------------------------


def _moment(raw: str, *, end: bool) -> dt.datetime | None:
    """An ISO 8601 date-time (a plain date means its start, or its end for end_date)."""
    day = parse_date(raw) if len(raw) == 10 else None
    value = dt.datetime.combine(day, dt.time.max if end else dt.time.min) if day else parse_datetime(raw)
    if value is None:
        raise ValueError(raw)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    params = request.GET
    errors: list[tuple[int, str]] = []
    ids = [tracking_code_normalize(part) for part in params.get("service_request_id", "").split(",") if part.strip()]
    statuses = [part.strip() for part in params.get("status", "").split(",") if part.strip()]
    if any(status not in {"open", "closed"} for status in statuses):
        errors.append((400, _("status must be open, closed, or both separated by a comma.")))
    start = end = None
    try:
        start = _moment(params["start_date"], end=False) if params.get("start_date") else None
        end = _moment(params["end_date"], end=True) if params.get("end_date") else None
    except (ValueError, OverflowError):
        errors.append((400, _("start_date and end_date must be ISO 8601 dates, e.g. 2025-03-01T08:00:00+08:00.")))
    if start and end and end < start:
        errors.append((400, _("end_date must not be before start_date.")))
    elif start and end and end - start > MAX_SPAN:
        errors.append((400, _("start_date and end_date may span at most 90 days.")))
    if errors:
        return render_errors(fmt, 400, errors)
    query = RequestQuery(
        ids=[code for code in ids if code],
        service_code=params.get("service_code") or None,
        start=start,
        end=end,
        statuses=statuses,
    )
    if ids and not query.ids:
        return render(fmt, "service_requests", "request", [])
    return _cached_list(request, fmt, query)


def _cached_list(request: HttpRequest, fmt: str, query: RequestQuery) -> HttpResponse:
    """The same list asked again within LIST_CACHE_SECONDS is answered from the cache: clients
    poll the same few queries, and a public feed a few seconds old is what HTTP caches in
    front of it would serve too. Only public facts are in it."""
    seconds = settings.OPEN311_LIST_CACHE_SECONDS
    if seconds <= 0:
        return render(fmt, "service_requests", "request", request_list(query))
    raw = "&".join(sorted(f"{k}={v}" for k, values in request.GET.lists() for v in values))
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    key = ""
    try:
        # A publication or its withdrawal changes the token: a withdrawn case's words go at once.
        key = f"open311:requests:{fmt}:{get_language()}:{fragments.version(PUBLICATION_CHANGED)}:{digest}"
        cached = cache.get(key)
    except Exception:  # without the cache (Redis down) every list is computed
        cached = None
    if cached is None:
        response = render(fmt, "service_requests", "request", request_list(query))
        if key:
            with contextlib.suppress(Exception):
                cache.set(key, response.content, seconds)
    else:
        response = HttpResponse(cached, content_type=CONTENT_TYPES[fmt])
    response["Cache-Control"] = f"public, max-age={seconds}"
    return response


def _decimal(raw: str, low: int, high: int) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        return None
    return value.quantize(Decimal("0.000001")) if value.is_finite() and low <= value <= high else None


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    api_key = api_key_check(data.get("api_key") or request.GET.get("api_key") or "")
    if api_key is None:
        return _error(fmt, 403, _("The api_key is missing or not valid."))
    errors: list[tuple[int, str]] = []
    code = data.get("service_code", "").strip()
    service = service_get(code) if code else None
    if not code:
        errors.append((400, _("service_code is required.")))
    elif service is None:
        errors.append((404, _("No service with this service_code.")))
    lat_raw, long_raw = data.get("lat", ""), data.get("long", "")
    lat = _decimal(lat_raw, -90, 90) if lat_raw else None
    long = _decimal(long_raw, -180, 180) if long_raw else None
    if (lat_raw and lat is None) or (long_raw and long is None):
        errors.append((400, _("lat and long must be WGS-84 degrees.")))
    address = (data.get("address_string") or data.get("address_id") or "").strip()
    if not address and (lat is None or long is None):
        errors.append((400, _("A location is required: lat and long, address_string or address_id.")))
    description = data.get("description", "").strip()
    if not description:
        errors.append((400, _("description is required.")))
    consent = data.get(f"attribute[{CONSENT}]", "").strip().lower()
    if consent not in {"true", "false"}:
        errors.append((400, _("attribute[consent_to_publish] is required: true or false.")))
    region = api_key.region
    region_code = data.get(f"attribute[{REGION}]", "").strip()
    if region_code:
        found = Region.objects.filter(code=region_code, path__startswith=api_key.region.path).first()
        if found is None:
            errors.append((400, _("attribute[region_code] is not a region within your API key's region.")))
        else:
            region = found
    phone = ""
    try:
        phone = phone_normalize(data.get("phone", ""))
    except ValidationError as exc:
        errors.append((400, f"phone: {' '.join(exc.messages)}"))
    email = data.get("email", "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append((400, _("email is not a valid e-mail address.")))
    if errors:
        return render_errors(fmt, max(status for status, _message in errors), errors)
    assert service is not None
    posted = PostedRequest(
        service=service,
        region=region,
        description=description,
        title=data.get(f"attribute[{TITLE}]", "").strip(),
        address=address if address else f"{lat},{long}",
        lat=lat,
        long=long,
        first_name=data.get("first_name", "").strip(),
        last_name=data.get("last_name", "").strip(),
        phone=phone,
        email=email,
        consent_to_publish=consent == "true",
    )
    try:
        suggestion, token = service_request_create(api_key=api_key, posted=posted)
    except WorkflowError as exc:
        fields = flatten_errors(exc.fields) if exc.fields else {}
        described = [(400, f"{name}: {message}") for name, messages in fields.items() for message in messages]
        return render_errors(fmt, 400, described or [(400, str(exc.message))])
    notice = _("Received by the online liaison station. Follow it with its service_request_id.")
    item = {
        "service_request_id": suggestion.tracking_code,
        "token": token.token,
        "service_notice": notice,
        "account_id": None,
    }
    return render(fmt, "service_requests", "request", [item], status=201)


@csrf_exempt  # posted by other servers with an api_key, never with a browser session
@open311(methods=("GET", "POST"))
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    return _list_requests(request, fmt)


@open311()
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    code = tracking_code_normalize(request_id)
    found = request_get(code) if code else None
    if found is None:
        return _error(fmt, 404, _("No service request with this service_request_id."))
    return render(fmt, "service_requests", "request", [found])


@open311()
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    found = token_get(token)
    if found is None:
        return _error(fmt, 404, _("No service request with this token."))
    item = {"service_request_id": found.suggestion.tracking_code, "token": found.token}
    return render(fmt, "service_requests", "request", [item])


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    fmt = "json" if rest.endswith(".json") else "xml"
    return _error(fmt, 404, _("No such Open311 resource."))
