"""Representatives' own pages (DESIGN §1): the suggestions they received, their activity
records 履职登记 and their performance file 一人一档; committee staff read the files of
the representatives at stations in their region."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.selectors import user_scope
from representatives.forms import ActivityForm, FieldSuggestionEntryFormSet, FieldVisitForm
from representatives.models import Activity, Representative
from representatives.selectors import (
    activity_get,
    activity_list,
    performance_file,
    representative_file_get,
    representative_file_list,
    representative_for_user,
    representative_suggestions,
)
from representatives.services import activity_delete, activity_record, activity_update
from stations.models import Station
from stations.views import visit_entry
from suggestions.errors import WorkflowError

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
PAGE = 20

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def representative_required(view: View) -> View:
    """Pages about "me": only for a login linked to a representative; others get a clear 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        me = representative_for_user(user=request.user)
        if me is None:
            return render(request, "representatives/not_representative.html", status=403)
        return view(request, me, *args, **kwargs)

    return cast(View, login_required(wrapper))


def _year(value: str | None) -> int:
    """The year asked for in the query string (this year when absent); 404 for nonsense."""
    if not value:
        return timezone.localdate().year
    if not value.isdigit():
        raise Http404
    year = int(value)
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise Http404
    return year


def _years(selected: int) -> list[int]:
    this_year = timezone.localdate().year
    return sorted({*range(this_year, this_year - 6, -1), selected}, reverse=True)


def _file_page(request: HttpRequest, representative: Representative, year: int, *, own: bool) -> HttpResponse:
    context = {
        "file": performance_file(representative=representative, year=year),
        "own": own,
        "years": _years(year),
        "printed_at": timezone.now(),
    }
    return render(request, "representatives/file.html", context)


@representative_required
@require_GET
def my_file(request: HttpRequest, me: Representative) -> HttpResponse:
    return _file_page(request, me, _year(request.GET.get("year")), own=True)


@representative_required
@require_GET
def my_suggestions(request: HttpRequest, me: Representative) -> HttpResponse:
    before_raw = request.GET.get("before", "")
    before = int(before_raw) if before_raw.isdigit() else None
    rows = representative_suggestions(representative=me, before=before, limit=PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    context = {"me": me, "rows": rows, "next_before": rows[-1].pk if more and rows else None, "paged": before}
    return render(request, "representatives/my_suggestions.html", context)


@representative_required
@require_GET
def my_activities(request: HttpRequest, me: Representative) -> HttpResponse:
    year = _year(request.GET.get("year"))
    context = {"me": me, "year": year, "years": _years(year), "activities": activity_list(representative=me, year=year)}
    return render(request, "representatives/my_activities.html", context)


def _apply_errors(form: ActivityForm, error: WorkflowError) -> None:
    for field, problems in error.fields.items():
        for problem in problems:
            form.add_error(field if field in form.fields else None, problem)
    if not error.fields:
        form.add_error(None, str(error.message))


def _activity_fields(form: ActivityForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "kind": data["kind"],
        "date": data["date"],
        "hours": data["hours"],
        "title": data["title"],
        "notes": data.get("notes") or "",
        "station": data.get("station"),
    }


@representative_required
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest, me: Representative) -> HttpResponse:
    initial = {"date": timezone.localdate(), "hours": 1}
    form = ActivityForm(request.POST or None, initial=initial, representative=me)
    if request.method == "POST":
        if form.is_valid():
            try:
                activity = activity_record(representative=me, actor=_user(request), **_activity_fields(form))
            except WorkflowError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("The activity was recorded."))
                return redirect(f"{reverse('representatives:my_activities')}?year={activity.date.year}")
        return render(request, "representatives/activity_form.html", {"form": form, "me": me}, status=400)
    return render(request, "representatives/activity_form.html", {"form": form, "me": me})


@representative_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, me: Representative, pk: int) -> HttpResponse:
    try:
        activity = activity_get(representative=me, pk=pk)
    except Activity.DoesNotExist:
        raise Http404 from None
    initial = {
        "kind": activity.kind,
        "date": activity.date,
        "hours": activity.hours,
        "title": activity.title,
        "station": activity.station_id,
        "notes": activity.notes,
    }
    form = ActivityForm(request.POST or None, initial=initial, representative=me)
    context = {"form": form, "me": me, "activity": activity}
    if request.method == "POST":
        if form.is_valid():
            try:
                activity = activity_update(activity=activity, actor=_user(request), **_activity_fields(form))
            except WorkflowError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("The activity was updated."))
                return redirect(f"{reverse('representatives:my_activities')}?year={activity.date.year}")
        return render(request, "representatives/activity_form.html", context, status=400)
    return render(request, "representatives/activity_form.html", context)


@representative_required
@require_POST
def activity_remove(request: HttpRequest, me: Representative, pk: int) -> HttpResponse:
    try:
        activity = activity_get(representative=me, pk=pk)
    except Activity.DoesNotExist:
        raise Http404 from None
    year = activity.date.year
    activity_delete(activity=activity, actor=_user(request))
    messages.success(request, _("The activity was deleted."))
    return redirect(f"{reverse('representatives:my_activities')}?year={year}")


@representative_required
@require_http_methods(["GET", "POST"])
def field_visit_create(request: HttpRequest, me: Representative) -> HttpResponse:
    """Field work from a phone: a visit at one of my stations and the suggestions raised in it,
    on station staff's screen and under their rules (`stations.services.visit_record`)."""
    station_ids = user_scope(_user(request)).field_station_ids
    if not station_ids:
        return render(request, "representatives/no_field_station.html", {"me": me}, status=403)
    stations = Station.objects.filter(pk__in=station_ids).order_by("name", "id")
    colleagues = (
        Representative.objects.filter(stations__in=station_ids, is_active=True)
        .exclude(pk=me.pk)
        .distinct()
        .order_by("name", "id")
    )
    return visit_entry(
        request,
        stations=stations,
        representatives=colleagues,
        form_class=FieldVisitForm,
        formset_class=FieldSuggestionEntryFormSet,
        template="representatives/field_visit_form.html",
        extra_context={"me": me},
    )


@login_required
@require_GET
def file_list(request: HttpRequest) -> HttpResponse:
    """Committee staff and administrators: the representatives whose files they may read."""
    search = request.GET.get("q", "").strip()[:64]
    year = _year(request.GET.get("year"))
    after_name, after_id = request.GET.get("after_name", ""), request.GET.get("after_id", "")
    after = (after_name, int(after_id)) if after_name and after_id.isdigit() else None
    rows = representative_file_list(user=request.user, search=search, after=after, limit=PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    context = {
        "rows": rows,
        "q": search,
        "year": year,
        "years": _years(year),
        "next": {"after_name": rows[-1].name, "after_id": rows[-1].pk} if more and rows else None,
    }
    return render(request, "representatives/file_list.html", context)


@login_required
@require_GET
def file_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        representative = representative_file_get(user=request.user, pk=pk)
    except Representative.DoesNotExist:
        raise Http404 from None
    own = representative.user_id == request.user.pk
    return _file_page(request, representative, _year(request.GET.get("year")), own=own)
