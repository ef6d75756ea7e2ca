"""Staff pages for voter visits: the one-screen entry, the tracking-code slip, the list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from accounts.selectors import user_scope
from representatives.models import Representative
from stations.forms import BaseSuggestionEntryFormSet, SuggestionEntryFormSet, VisitCorrectionForm, VisitForm
from stations.models import Region, Station, VisitChannel, VisitCorrection, VoterVisit
from stations.selectors import recording_region_choices, station_list, visit_list
from stations.services import (
    MSG_VISIT_LOCKED,
    SuggestionEntry,
    visit_correct,
    visit_correctable_until,
    visit_may_correct,
    visit_record,
    visit_representative_choices,
)
from suggestions.errors import WorkflowError
from suggestions.models import Category
from suggestions.selectors import suggestion_list
from suggestions.status_access import status_key_url
from suggestions.tracking import tracking_code_display
from voters.qr import qr_svg

PAGE_SIZE = 50
FORMSET_PREFIX = "s"


def _own_stations(user: User) -> QuerySet[Station]:
    scope = user_scope(user)
    qs = Station.objects.filter(is_active=True).select_related("region").order_by("name", "id")
    return qs if scope.is_admin else qs.filter(pk__in=scope.station_ids)


def _entries(cleaned: list[dict[str, Any]]) -> list[SuggestionEntry]:
    category_ids = {row["category"] for row in cleaned if row.get("category")}
    rep_ids = {row["representative"] for row in cleaned if row.get("representative")}
    region_ids = {row["region"] for row in cleaned if row.get("region")}
    regions = Region.objects.in_bulk(region_ids) if region_ids else {}
    categories = Category.objects.in_bulk(category_ids) if category_ids else {}
    reps = Representative.objects.in_bulk(rep_ids) if rep_ids else {}
    return [
        SuggestionEntry(
            title=row["title"],
            content=row.get("content", ""),
            category=categories.get(row["category"]) if row.get("category") else None,
            urgency=row.get("urgency") or "normal",
            region=regions.get(row["region"]) if row.get("region") else None,
            address=row.get("address", ""),
            submitter_name=row.get("submitter_name", ""),
            submitter_phone=row.get("submitter_phone", ""),
            submitter_address=row.get("submitter_address", ""),
            consent_to_publish=bool(row.get("consent_to_publish")),
            representative=reps.get(row["representative"]) if row.get("representative") else None,
        )
        for row in cleaned
    ]


def _with_one_more_row(data: Any) -> Any:
    """The posted data with one more (empty) suggestion row: "add another" without JavaScript."""
    data = data.copy()
    key = f"{FORMSET_PREFIX}-TOTAL_FORMS"
    try:
        total = int(data.get(key, "1"))
    except ValueError:
        total = 1
    data[key] = str(min(total + 1, SuggestionEntryFormSet.absolute_max))
    return data


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request: HttpRequest) -> HttpResponse:
    """Log a visit and the suggestions raised in it on one screen; all saved or nothing."""
    user: User = request.user  # type: ignore[assignment]
    stations = _own_stations(user)
    if not user_scope(user).station_ids and not user_scope(user).is_admin:
        context = {"field_work": bool(user_scope(user).field_station_ids)}
        return render(request, "stations/not_station_staff.html", context, status=403)
    representatives = (
        Representative.objects.filter(stations__in=stations.values("pk"), is_active=True)
        .distinct()
        .order_by("name", "id")
    )
    return visit_entry(request, stations=stations, representatives=representatives)


def visit_entry(
    request: HttpRequest,
    *,
    stations: QuerySet[Station],
    representatives: QuerySet[Representative],
    form_class: type[VisitForm] = VisitForm,
    formset_class: type[BaseSuggestionEntryFormSet] = SuggestionEntryFormSet,
    template: str = "stations/visit_form.html",
    extra_context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The one screen of a visit and its suggestions, for station staff and (as field work,
    `representatives.views.field_visit_create`) for representatives: `visit_record` decides."""
    user: User = request.user  # type: ignore[assignment]
    form_kwargs = {
        "category_choices": list(Category.objects.filter(is_active=True).values_list("pk", "name")),
        "representative_choices": list(representatives.values_list("pk", "name")),
        "region_choices": recording_region_choices(stations=stations),
    }
    refusal = None
    status = 200
    if request.method == "POST":
        adding = "add_row" in request.POST
        data = _with_one_more_row(request.POST) if adding else request.POST
        form = form_class(data, stations=stations, representatives=representatives)
        formset = formset_class(data, prefix=FORMSET_PREFIX, form_kwargs=form_kwargs)
        if not adding:
            if form.is_valid() and formset.is_valid():
                d = form.cleaned_data
                try:
                    visit, recorded = visit_record(
                        actor=user,
                        station=d["station"],
                        channel=d["channel"],
                        occurred_at=d["occurred_at"],
                        representatives=d["representatives"],
                        voters_received=d["voters_received"],
                        place=d["place"],
                        notes=d["notes"],
                        suggestions=_entries(formset.entries()),
                    )
                except WorkflowError as error:
                    refusal = str(error.message)
                    status = error.status
                    row = error.data.get("row")
                    target = formset.entry_forms()[row] if isinstance(row, int) else form
                    for field, texts in error.fields.items():
                        for text in texts:
                            target.add_error(field if field in target.fields else None, text)
                else:
                    messages.success(
                        request,
                        gettext("Visit logged with %(count)s suggestions.") % {"count": len(recorded)},
                    )
                    return redirect("stations:visit_detail", pk=visit.pk)
            else:
                status = 400
    else:
        form = form_class(stations=stations, representatives=representatives)
        formset = formset_class(prefix=FORMSET_PREFIX, form_kwargs=form_kwargs)
    context = {"form": form, "formset": formset, "refusal": refusal, **(extra_context or {})}
    return render(request, template, context, status=status)


@login_required
@require_GET
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit and the tracking codes of its suggestions, to read out or print for the voters."""
    try:
        visit = visit_list(user=request.user).select_related("recorded_by").get(pk=pk)
    except VoterVisit.DoesNotExist:
        raise Http404 from None
    suggestions = list(suggestion_list(user=request.user).filter(visit=visit).order_by("id"))
    try:
        status_url = settings.SITE_URL + reverse("public:status")
    except NoReverseMatch:  # the voter site is optional for the slips
        status_url = ""
    for s in suggestions:
        code_display = tracking_code_display(s.tracking_code)
        s.code_display = code_display  # type: ignore[attr-defined]
        # The QR code opens the voter's status page without the phone digits (a voter recorded
        # without a phone has none); inline, so the printed page needs no further request.
        s.status_qr = (  # type: ignore[attr-defined]
            mark_safe(qr_svg(status_key_url(tracking_code=s.tracking_code), title=code_display).decode())
            if status_url
            else ""
        )
    user: User = request.user  # type: ignore[assignment]
    scope = user_scope(user)
    if scope.station_ids or scope.is_admin:
        another_url = reverse("stations:visit_create")
    elif scope.field_station_ids:  # a representative back from the field
        another_url = reverse("representatives:field_visit_create")
    else:
        another_url = ""
    context = {
        "visit": visit,
        "another_url": another_url,
        "representatives": list(visit.representatives.order_by("name")),
        "suggestions": suggestions,
        "status_url": status_url,
        **_correction_context(user, visit),
    }
    return render(request, "stations/visit_detail.html", context)


# How each corrected field is named in the log.
CORRECTION_LABELS: dict[str, Any] = {
    "channel": _("Channel"),
    "occurred_at": _("Time of visit"),
    "voters_received": _("Voters received"),
    "representatives": _("Representatives present"),
    "place": _("Place"),
    "notes": _("Notes"),
}


def _shown(field: str, value: Any) -> str:
    """A logged old or new value as the reader reads it."""
    if value in (None, "", []):
        return "—"
    if field == "channel":
        try:
            return str(VisitChannel(value).label)
        except ValueError:
            return str(value)
    if field == "occurred_at":
        try:
            return timezone.localtime(dt.datetime.fromisoformat(str(value))).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return str(value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _correction_context(user: User, visit: VoterVisit) -> dict[str, Any]:
    """The correction log of a visit, and whether (and until when) this user may correct it."""
    log = []
    for correction in VisitCorrection.objects.filter(visit=visit).select_related("actor").order_by("created_at", "id"):
        lines = [
            {
                "label": CORRECTION_LABELS.get(str(c.get("field")), c.get("field")),
                "old": _shown(str(c.get("field")), c.get("old")),
                "new": _shown(str(c.get("field")), c.get("new")),
            }
            for c in correction.changes
            if isinstance(c, dict)
        ]
        log.append({"at": correction.created_at, "who": correction.actor or correction.actor_label, "lines": lines})
    scope = user_scope(user)
    staff = scope.is_admin or visit.station_id in scope.station_ids
    return {
        "corrections": log,
        "can_correct": staff and visit_may_correct(user=user, visit=visit),
        "correction_closed": staff and not visit_may_correct(user=user, visit=visit),
        "correctable_until": visit_correctable_until(visit),
        "edit_hours": settings.VISIT_EDIT_HOURS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def visit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a logged visit (station staff, within VISIT_EDIT_HOURS); read-only afterwards."""
    user: User = request.user  # type: ignore[assignment]
    try:
        visit = visit_list(user=user).get(pk=pk)
    except VoterVisit.DoesNotExist:
        raise Http404 from None
    present = list(visit.representatives.all())
    # The station's representatives, and anyone recorded as present since then no longer its own.
    choices = Representative.objects.filter(
        Q(pk__in=visit_representative_choices(station=visit.station).values("pk")) | Q(pk__in=[r.pk for r in present])
    ).order_by("name", "id")
    refusal = None
    status = 200
    if not visit_may_correct(user=user, visit=visit):
        scope = user_scope(user)
        if scope.is_admin or visit.station_id in scope.station_ids:
            refusal = str(MSG_VISIT_LOCKED % {"hours": settings.VISIT_EDIT_HOURS})
            status = 409
        else:
            refusal = gettext("Only the staff of the visit's station may correct it.")
            status = 403
        form = None
    elif request.method == "POST":
        form = VisitCorrectionForm(request.POST, representatives=choices)
        if form.is_valid():
            d = form.cleaned_data
            try:
                correction = visit_correct(
                    actor=user,
                    visit=visit,
                    channel=d["channel"],
                    occurred_at=d["occurred_at"],
                    voters_received=d["voters_received"],
                    representatives=d["representatives"],
                    place=d["place"],
                    notes=d["notes"],
                )
            except WorkflowError as error:
                refusal = str(error.message)
                status = error.status
                for field, texts in error.fields.items():
                    for text in texts:
                        form.add_error(field if field in form.fields else None, text)
            else:
                if correction is None:
                    messages.info(request, gettext("Nothing was changed."))
                else:
                    messages.success(request, gettext("The visit is corrected; the change is in its log."))
                return redirect("stations:visit_detail", pk=visit.pk)
        else:
            status = 400
    else:
        form = VisitCorrectionForm(
            representatives=choices,
            initial={
                "channel": visit.channel,
                "occurred_at": timezone.localtime(visit.occurred_at).replace(second=0, microsecond=0),
                "voters_received": visit.voters_received,
                "representatives": present,
                "place": visit.place,
                "notes": visit.notes,
            },
        )
    context = {
        "visit": visit,
        "form": form,
        "refusal": refusal,
        "correctable_until": visit_correctable_until(visit),
    }
    return render(request, "stations/visit_edit.html", context, status=status)


class VisitFilterForm(forms.Form):
    station = forms.ModelChoiceField(label=_("Station"), queryset=Station.objects.none(), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *VisitChannel.choices], required=False
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, stations: QuerySet[Station], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.ModelChoiceField[Station] = self.fields["station"]  # type: ignore[assignment]
        field.queryset = stations
        field.empty_label = gettext("All stations")


@login_required
@require_GET
def visit_list_view(request: HttpRequest) -> HttpResponse:
    """Visits newest first, with keyset pagination on (time of visit, id) and no COUNT."""
    user = request.user
    filter_form, qs = visits_filtered(user, request.GET)
    after = request.GET.get("after", "")
    if after.isdigit():
        cursor = qs.filter(pk=int(after)).values_list("occurred_at", flat=True).first()
        if cursor is not None:
            qs = qs.filter(Q(occurred_at__lt=cursor) | Q(occurred_at=cursor, pk__lt=int(after)))
    rows = list(qs.annotate(suggestion_count=Count("suggestions")).order_by("-occurred_at", "-id")[: PAGE_SIZE + 1])
    next_after = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "visits": rows[:PAGE_SIZE],
        "next_after": next_after,
        "after": after,
        "filter_form": filter_form,
        "query": query.urlencode(),
        "can_log": bool(user_scope(user).station_ids),
        "can_field_work": bool(user_scope(user).field_station_ids),
    }
    return render(request, "stations/visit_list.html", context)


def visits_filtered(user: User | AnonymousUser, query: QueryDict) -> tuple[VisitFilterForm, QuerySet[VoterVisit]]:
    """The visits `user` sees, narrowed by the list's filters; none when a filter is wrong (the
    list page and its export, stations.export)."""
    filter_form = VisitFilterForm(query or None, stations=station_list(user=user).order_by("name", "id"))
    qs = visit_list(user=user)
    if filter_form.is_bound and filter_form.is_valid():
        d = filter_form.cleaned_data
        if d["station"]:
            qs = qs.filter(station=d["station"])
        if d["channel"]:
            qs = qs.filter(channel=d["channel"])
        if d["date_from"]:
            qs = qs.filter(occurred_at__date__gte=d["date_from"])
        if d["date_to"]:
            qs = qs.filter(occurred_at__date__lte=d["date_to"])
    elif filter_form.is_bound:
        qs = qs.none()
    return filter_form, qs
