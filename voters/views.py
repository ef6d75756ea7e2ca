"""Pages of the voter site (DESIGN §5). Thin: forms check input, `public.selectors` and
`suggestions.public` read, the workflow writes. Nothing here shows a voter's name or phone."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from dashboards.league import unit_league
from dashboards.selectors import dashboard_allowed
from representatives.models import Representative
from stations.models import Region, Station
from suggestions.errors import WorkflowError
from suggestions.models import Rating, State, Suggestion
from suggestions.public import (
    BoardFilters,
    lookup_key,
    public_status,
    published_board,
    published_case,
    suggestion_lookup,
)
from suggestions.status_access import followed_case, status_key_read, suggestion_by_key
from suggestions.tracking import tracking_code_display
from suggestions.workflow import feedback_link_get, suggestion_feedback
from voters.forms import BoardFilterForm, LookupForm, RatingForm, StationSearchForm, SuggestionForm, phone_normalize
from voters.limits import key_limited, lookup_limited, submit_limited
from voters.qr import public_url, qr_svg
from voters.selectors import (
    StationPage,
    district_get,
    region_breadcrumb,
    region_children,
    region_roots,
    region_search,
    representative_duty,
    representative_public_get,
    station_duty,
    station_page,
    station_public_get,
    station_representatives,
)
from voters.services import (
    duplicate_claim,
    duplicate_code,
    duplicate_done,
    duplicate_release,
    online_suggestion_submit,
    submission_fingerprint,
)

_SESSION_SUBMITTED = "public_submitted_code"


# --- Finding a station --------------------------------------------------------------


# The voter's district, chosen on the finder and kept in a cookie (no session for anonymous visitors).
DISTRICT_COOKIE = "public_district"
DISTRICT_COOKIE_AGE = 365 * 24 * 3600


def _district_from_cookie(request: HttpRequest) -> str:
    value = request.COOKIES.get(DISTRICT_COOKIE, "")
    return value if value.isdigit() and district_get(int(value)) is not None else ""


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Station finder: search by name or address, or drill down the regions; the voter's
    chosen district first; keyset pages."""
    chosen_now = "district" in request.GET
    data = request.GET.copy()
    if not chosen_now:
        data["district"] = _district_from_cookie(request)
    form = StationSearchForm(data)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    query: str = cleaned.get("q", "")
    district: Region | None = cleaned.get("district")
    after: int | None = cleaned.get("after")
    context: dict[str, Any] = {"form": form, "query": query, "district": district, "is_first": after is None}
    region: Region | None = None
    if query:
        context["regions"] = region_search(query) if after is None else []
        context["page"] = station_page(within=None, query=query, district=district, after=after)
    else:
        region_id = request.GET.get("region", "")
        if region_id.isdigit():
            region = Region.objects.filter(pk=int(region_id)).first()
        if region is None:
            roots = list(region_roots())
            # A deployment for one city starts one level down: the city is the only root.
            if len(roots) == 1:
                region = roots[0]
            else:
                context["children"] = roots
        if region is not None:
            context.update(region=region, breadcrumb=region_breadcrumb(region), children=list(region_children(region)))
        if region is not None or district is not None:
            context["page"] = station_page(within=region, district=district, after=after)
    page: StationPage | None = context.get("page")
    if page is not None and page.next_after is not None:
        params = request.GET.copy()
        params["after"] = str(page.next_after)
        context["next_query"] = params.urlencode()
    first = request.GET.copy()
    first.pop("after", None)
    context["first_query"] = first.urlencode()
    response = render(request, "public/home.html", context)
    if chosen_now:
        if district is not None:
            response.set_cookie(
                DISTRICT_COOKIE,
                str(district.pk),
                max_age=DISTRICT_COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        else:
            response.delete_cookie(DISTRICT_COOKIE, samesite="Lax")
    patch_vary_headers(response, ("Cookie",))
    return response


def _station_or_404(pk: int) -> Station:
    try:
        return station_public_get(pk)
    except Station.DoesNotExist:
        raise Http404 from None


def _representative_or_404(pk: int) -> Representative:
    try:
        return representative_public_get(pk)
    except Representative.DoesNotExist:
        raise Http404 from None


@require_GET
def station(request: HttpRequest, pk: int) -> HttpResponse:
    item = _station_or_404(pk)
    context = {
        "station": item,
        "features": list(item.features.all()),
        "representatives": station_representatives(item),
        "duty": station_duty(item),
        "stars": range(item.star_rating),
        "url": public_url(reverse("public:station", args=[item.pk])),
    }
    return render(request, "public/station.html", context)


@require_GET
def station_poster(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable poster: the station's name, hours and a large QR code to its page."""
    item = _station_or_404(pk)
    url = public_url(reverse("public:station", args=[item.pk]))
    return render(request, "public/poster.html", {"station": item, "url": url})


def _svg(content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_GET
def station_qr(request: HttpRequest, pk: int) -> HttpResponse:
    item = _station_or_404(pk)
    return _svg(qr_svg(public_url(reverse("public:station", args=[item.pk])), title=item.name))


@require_GET
def representative(request: HttpRequest, pk: int) -> HttpResponse:
    """A representative's contact card 代表联系卡: seats, stations, duty times, QR code."""
    rep = _representative_or_404(pk)
    context = {
        "rep": rep,
        "mandates": list(rep.mandates.all()),
        "stations": list(rep.stations.all()),
        "shifts": representative_duty(rep),
        "url": public_url(reverse("public:representative", args=[rep.pk])),
    }
    return render(request, "public/representative.html", context)


@require_GET
def representative_qr(request: HttpRequest, pk: int) -> HttpResponse:
    rep = _representative_or_404(pk)
    return _svg(qr_svg(public_url(reverse("public:representative", args=[rep.pk])), title=rep.name))


# --- Submitting a suggestion -----------------------------------------------------------


def _raw_fingerprint(request: HttpRequest) -> str:
    phone = request.POST.get("submitter_phone", "")
    return submission_fingerprint(
        phone=phone_normalize(phone) or phone,
        title=request.POST.get("title", ""),
        content=request.POST.get("content", ""),
    )


def _submitted(request: HttpRequest, code: str) -> HttpResponseRedirect:
    request.session[_SESSION_SUBMITTED] = code
    return redirect("public:suggest_done")


@require_http_methods(["GET", "POST"])
def suggest(request: HttpRequest, station_pk: int | None = None, representative_pk: int | None = None) -> HttpResponse:
    """The online liaison station 网上联络站: a suggestion form, addressed to a station or a
    representative when reached from their page."""
    rep = _representative_or_404(representative_pk) if representative_pk is not None else None
    place: Station | None = _station_or_404(station_pk) if station_pk is not None else None
    if rep is not None and place is None:
        rep_stations = list(rep.stations.all())
        wanted = request.GET.get("station", "")
        place = next(
            (s for s in rep_stations if str(s.pk) == wanted), rep_stations[0] if len(rep_stations) == 1 else None
        )
    context: dict[str, Any] = {"rep": rep, "station": place}
    status = 200
    if request.method == "POST":
        fingerprint = _raw_fingerprint(request)
        # The same suggestion sent again within seconds (a double tap, a reload): one record.
        code = duplicate_code(fingerprint)
        if code is not None:
            return _submitted(request, code)
        form = SuggestionForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            if submit_limited(request, phone=data["submitter_phone"]):
                messages.error(request, _("Too many suggestions from here in a short time. Please try again later."))
                status = 429
            elif not duplicate_claim(fingerprint):
                code = duplicate_code(fingerprint)
                if code is not None:
                    return _submitted(request, code)
                messages.error(request, _("The same suggestion is being received. Please check again in a moment."))
                status = 409
            else:
                try:
                    suggestion = online_suggestion_submit(
                        title=data["title"],
                        content=data["content"],
                        region=data["region"],
                        category=data["category"],
                        address=data["address"],
                        submitter_name=data["submitter_name"],
                        submitter_phone=data["submitter_phone"],
                        submitter_email=data["submitter_email"],
                        consent_to_publish=data["consent_to_publish"],
                        station=place,
                        representative=rep,
                        photos=data["photos"],
                    )
                except WorkflowError as exc:
                    duplicate_release(fingerprint)
                    _form_errors(form, exc)
                    status = 400
                except Exception:
                    duplicate_release(fingerprint)
                    raise
                else:
                    duplicate_done(fingerprint, suggestion.tracking_code)
                    return _submitted(request, suggestion.tracking_code)
        else:
            # The first copy of a double tap may have used the captcha this copy carries.
            code = duplicate_code(fingerprint)
            if code is not None:
                return _submitted(request, code)
            status = 400
    else:
        initial = {"region": place.region_id} if place is not None else {}
        form = SuggestionForm(initial=initial)
    context["form"] = form
    return render(request, "public/suggest.html", context, status=status)


def _form_errors(form: SuggestionForm, exc: WorkflowError) -> None:
    placed = False
    for field, errors in exc.fields.items():
        if field in form.fields:
            for error in errors:
                form.add_error(field, error)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


@require_GET
def suggest_done(request: HttpRequest) -> HttpResponse:
    code = request.session.get(_SESSION_SUBMITTED)
    if not code:
        return redirect("public:suggest")
    return render(request, "public/suggest_done.html", {"code": tracking_code_display(str(code))})


# --- Status lookup ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@cache_control(no_store=True)
def status(request: HttpRequest) -> HttpResponse:
    """Tracking code + last four digits of the phone → the public timeline.

    A wrong code and a wrong phone get the same page (the form is not echoed back) with
    the same status; attempts are counted per client address and per code typed from that
    address (`voters.limits.lookup_limited`).
    """
    if request.method != "POST":
        return render(request, "public/status.html", {"form": LookupForm()})
    form = LookupForm(request.POST)
    if lookup_limited(request, code=lookup_key(str(request.POST.get("code", ""))[:64])):
        context = {"form": LookupForm(), "limited": True}
        return render(request, "public/status.html", context, status=429)
    if not form.is_valid():
        return render(request, "public/status.html", {"form": form}, status=400)
    found = suggestion_lookup(tracking_code=form.cleaned_data["code"], phone_last4=form.cleaned_data["last4"])
    if found is None:
        return render(request, "public/status.html", {"form": LookupForm(), "not_found": True})
    return _status_result(request, found)


@require_GET
@cache_control(no_store=True)
def status_key(request: HttpRequest, key: str) -> HttpResponse:
    """The status page from the QR code of a printed slip: the signed key stands for the code
    and the phone digits (a voter recorded without a phone has none). A key that is not ours
    gets the answer of a wrong code. A valid key is never limited, so its owner gets past
    anyone trying their code; keys that are not ours count against the address's lookups."""
    valid = status_key_read(key=key) is not None
    if key_limited(request, valid=valid):
        return render(request, "public/status.html", {"form": LookupForm(), "limited": True}, status=429)
    found = suggestion_by_key(key=key) if valid else None
    if found is None:
        return render(request, "public/status.html", {"form": LookupForm(), "not_found": True})
    return _status_result(request, found)


def _status_result(request: HttpRequest, found: Suggestion) -> HttpResponse:
    """A voter's own suggestion; merged into another, also the progress of the case it follows."""
    followed = followed_case(found)
    context = {
        "status": public_status(found),
        "code": tracking_code_display(found.tracking_code),
        "followed": public_status(followed) if followed is not None else None,
    }
    return render(request, "public/status_result.html", context)


# --- Rating through the one-time link ---------------------------------------------------


@require_http_methods(["GET", "POST"])
@cache_control(no_store=True)
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """The voter rates the reply; the link works once. Used or expired links say so; a link
    that never existed is a 404."""
    try:
        link = feedback_link_get(token=token)
    except WorkflowError as exc:
        if exc.code == "feedback_link_invalid":
            raise Http404 from None
        return render(request, "public/rate_closed.html", {"message": exc.message, "code": exc.code}, status=410)
    suggestion = link.suggestion
    if suggestion.state != State.REPLIED or suggestion.rating:
        message = _("This suggestion can no longer be rated online. Please call the liaison station.")
        return render(request, "public/rate_closed.html", {"message": message, "code": "not_ratable"}, status=410)
    form = RatingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            suggestion_feedback(
                suggestion=suggestion,
                actor=None,
                token=token,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
            )
        except WorkflowError as exc:
            if exc.code in {"feedback_link_used", "feedback_link_expired", "invalid_state", "feedback_already_given"}:
                return render(
                    request, "public/rate_closed.html", {"message": exc.message, "code": exc.code}, status=410
                )
            form.add_error(None, str(exc.message))
        else:
            again = form.cleaned_data["rating"] == Rating.DISSATISFIED
            return redirect(reverse("public:rate_thanks") + ("?again=1" if again else ""))
    context = {"form": form, "status": public_status(suggestion)}
    return render(request, "public/rate.html", context, status=400 if form.errors else 200)


@require_GET
def rate_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "public/rate_thanks.html", {"again": request.GET.get("again") == "1"})


# --- The public board and the league table ----------------------------------------------


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """公示栏: published cases, newest first, filtered, keyset-paginated."""
    form = BoardFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = BoardFilters(region=data.get("region"), category=data.get("category"), unit=data.get("unit"))
    page = published_board(filters, cursor=request.GET.get("after") or None)
    query = request.GET.copy()
    query.pop("after", None)
    if page.next_cursor:
        query["after"] = page.next_cursor
    context = {
        "form": form,
        "page": page,
        "next_query": query.urlencode() if page.next_cursor else "",
        "is_first": not request.GET.get("after"),
        "filtered": any(data.get(name) for name in ("region", "category", "unit")),
    }
    return render(request, "public/board.html", context)


@require_GET
def board_case(request: HttpRequest, pk: int) -> HttpResponse:
    case = published_case(pk)
    if case is None:
        raise Http404
    return render(request, "public/board_case.html", {"case": case})


@require_GET
def units(request: HttpRequest) -> HttpResponse:
    """League table of handling units: on-time rate, satisfaction rate, average days. Staff
    with dashboards also get the Excel export of their region's league (dashboards.views)."""
    context = {"rows": unit_league(), "league_export": dashboard_allowed(user=request.user)}
    return render(request, "public/units.html", context)
