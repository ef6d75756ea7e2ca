"""Staff pages for suggestions: lists and queues, the suggestion page with its actions,
the Excel export and the printable supervision-and-feedback form.

Views are thin: reads go through selectors (scoped to the viewer first), writes through
the workflow's service functions, whose refusals are shown next to the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Role, User
from accounts.selectors import user_scope
from exports.sources import ExportRefused, Progress, Source, capped_count
from exports.views import export_response
from liaison import fragments
from stations.models import Region, VisitChannel
from stations.selectors import station_list
from suggestions import workflow
from suggestions.deadlines import basis_description
from suggestions.errors import WorkflowError
from suggestions.export import Exported, suggestions_workbook
from suggestions.filters import SuggestionFilter
from suggestions.forms import ACTION_FORMS, ActionForm, PublishForm, uploads_of
from suggestions.listing import ListRow, list_rows, list_values
from suggestions.models import (
    Assignment,
    AssignmentRole,
    Attachment,
    ExportKind,
    FeedbackVia,
    HandlingUnit,
    Rating,
    ReplyCategory,
    Route,
    State,
    Suggestion,
    SuggestionEvent,
    SupervisionLevel,
    Urgency,
)
from suggestions.personal_data import export_log_list
from suggestions.pickers import PickerMixin, configure_pickers
from suggestions.public import BoardCase, board_preview
from suggestions.queues import Queue, queue_get, queue_suggestions, queues_for
from suggestions.selectors import (
    case_file,
    event_data_for,
    personal_data_visible,
    suggestion_get,
    suggestion_list,
    suggestion_visible,
)
from suggestions.signals import FILTER_FORM
from suggestions.tracking import tracking_code_display

PAGE_SIZE = 50

# Labels of the actions are the workflow's; staff record a voter's feedback after a call-back.
ACTION_LABELS: dict[str, str | Promise] = {
    **{code: transition.label for code, transition in workflow.TRANSITIONS.items()},
    "feedback": _("Record a call-back"),
}
# The action most likely wanted next is shown as the primary button.
PRIMARY_ACTIONS = (
    "sort",
    "propose",
    "hand_over",
    "acknowledge",
    "reply",
    "feedback",
    "rate_as_representative",
    "publish",
    "decide_extension",
)

EVENT_LABELS: dict[str, str | Promise] = {
    "suggestion.recorded": pgettext_lazy("timeline", "Recorded"),
    "suggestion.sorted": pgettext_lazy("timeline", "Sorted"),
    "suggestion.merged": pgettext_lazy("timeline", "Merged into an earlier suggestion"),
    "suggestion.resolved_on_spot": pgettext_lazy("timeline", "Resolved on the spot"),
    "suggestion.proposed": pgettext_lazy("timeline", "Route proposed"),
    "suggestion.handed_over": pgettext_lazy("timeline", "Handed over"),
    "suggestion.declined": pgettext_lazy("timeline", "Not accepted"),
    "suggestion.converted": pgettext_lazy("timeline", "Converted to a closed-session suggestion"),
    "suggestion.escalated": pgettext_lazy("timeline", "Escalated to a higher congress"),
    "suggestion.acknowledged": pgettext_lazy("timeline", "Acknowledged"),
    "suggestion.returned": pgettext_lazy("timeline", "Returned"),
    "suggestion.co_opinion_given": pgettext_lazy("timeline", "Co-unit's opinion given"),
    "suggestion.extension_requested": pgettext_lazy("timeline", "Extension requested"),
    "suggestion.extension_decided": pgettext_lazy("timeline", "Extension decided"),
    "suggestion.supervised": pgettext_lazy("timeline", "Supervised"),
    "suggestion.replied": pgettext_lazy("timeline", "Replied"),
    "suggestion.follow_up_reported": pgettext_lazy("timeline", "Progress reported"),
    "suggestion.feedback_received": pgettext_lazy("timeline", "Rated by the voter"),
    "suggestion.representative_rated": pgettext_lazy("timeline", "Rated by the representative"),
    "suggestion.rehandling": pgettext_lazy("timeline", "Sent back for re-handling"),
    "suggestion.closed": pgettext_lazy("timeline", "Closed"),
    "suggestion.published": pgettext_lazy("timeline", "Published"),
    "suggestion.publication_withdrawn": pgettext_lazy("timeline", "Publication withdrawn"),
    "suggestion.deadline_recalculated": pgettext_lazy("timeline", "Deadline recalculated"),
    "suggestion.corrected": pgettext_lazy("timeline", "Record corrected by an administrator"),
    "suggestion.channel_corrected": pgettext_lazy("timeline", "Channel corrected with its visit"),
}

DEADLINE_FIELDS: tuple[tuple[str, str | Promise], ...] = (
    ("ack_due", _("Acknowledge by")),
    ("reply_due", _("Reply by")),
    ("follow_up_due", _("Next progress report by")),
    ("feedback_due", _("Feedback by")),
)


# What a rating did to the case, as the timeline says it (the workflow's `outcome` codes).
OUTCOME_LABELS: dict[str, str | Promise] = {
    "closed": _("the case was closed"),
    "rehandling": _("sent back to the unit for re-handling"),
    "reproposed": _("returned to committee staff for a hand-over"),
    "committee_decision": _("committee staff decide whether to close"),
    "recorded": _("recorded; it does not move the case"),
}

VIA_LABELS: dict[str, str | Promise] = {
    "link": FeedbackVia.LINK.label,
    "staff": FeedbackVia.CALL_BACK.label,
    "call_back": FeedbackVia.CALL_BACK.label,
    "representative": FeedbackVia.REPRESENTATIVE.label,
}


def _choice(choices: Any, value: object) -> str:
    """The label of a stored choice, or "" for a value the choices do not know (old events)."""
    try:
        return str(choices(value).label)
    except (ValueError, TypeError):
        return ""


def _day(value: object) -> str:
    return str(value)[:10] if isinstance(value, str) and value else ""


def _corrected_value(name: str, value: object) -> str:
    """A corrected field's old or new value as the timeline shows it."""
    if isinstance(value, dict):
        value = value.get("name")
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    choices = {"urgency": Urgency, "channel": VisitChannel}.get(name)
    if choices is not None:
        return _choice(choices, value) or str(value)
    return str(value)


def event_details(event: SuggestionEvent, *, personal: bool = True) -> list[str]:
    """The facts an event recorded in its data, as short sentences for the timeline: which
    units and deadlines a hand-over set, the supervision level, an extension's days and
    decision, the round of an answer or a rating, a correction's old and new values (the
    voter's data masked unless `personal`). Unknown or missing keys are left out."""
    data: dict[str, Any] = event_data_for(event=event, personal=personal)
    action = event.action
    lines: list[str] = []

    def add(text: str | Promise, **values: object) -> None:
        lines.append(str(text) % values if values else str(text))

    if action == "suggestion.handed_over":
        if data.get("lead_unit_name"):
            add(_("Lead unit: %(unit)s"), unit=data["lead_unit_name"])
        names = [str(n) for n in data.get("co_unit_names") or []]
        if names:
            add(_("Co-units: %(units)s"), units="、".join(names))
        for key, label in (
            ("ack_due", _("Acknowledge by %(day)s")),
            ("reply_due", _("Reply by %(day)s")),
            ("co_due", _("Co-units' opinions by %(day)s")),
        ):
            if _day(data.get(key)):
                add(label, day=_day(data.get(key)))
    elif action == "suggestion.supervised":
        level = _choice(SupervisionLevel, data.get("level"))
        if level:
            add(_("Supervision level: %(level)s"), level=level)
        if _day(data.get("reply_due")):
            add(_("Reply by %(day)s"), day=_day(data.get("reply_due")))
    elif action == "suggestion.extension_requested":
        if data.get("days"):
            add(_("%(days)s more working days asked for"), days=data["days"])
    elif action == "suggestion.extension_decided":
        if data.get("approved") is True:
            add(_("Granted: %(days)s more working days"), days=data.get("days", ""))
            if _day(data.get("reply_due")):
                add(
                    _("Reply now due by %(day)s (was %(old)s)"),
                    day=_day(data["reply_due"]),
                    old=_day(data.get("old_reply_due")) or "—",
                )
        elif data.get("approved") is False:
            add(_("Refused: %(days)s more working days"), days=data.get("days", ""))
    elif action == "suggestion.proposed":
        if data.get("unit_name"):
            add(_("Lead unit: %(unit)s"), unit=data["unit_name"])
        names = [str(n) for n in data.get("co_unit_names") or []]
        if names:
            add(_("Co-units: %(units)s"), units="、".join(names))
    elif action == "suggestion.channel_corrected":
        old, new = _choice(VisitChannel, data.get("old")), _choice(VisitChannel, data.get("new"))
        if old and new:
            add(_("Channel: %(old)s → %(new)s"), old=old, new=new)
    elif action == "suggestion.sorted":
        if data.get("region_name"):
            add(
                _("Region corrected: %(old)s → %(new)s"),
                old=data.get("old_region_name") or "—",
                new=data["region_name"],
            )
    elif action in ("suggestion.replied", "suggestion.resolved_on_spot"):
        if data.get("round"):
            add(_("Round %(round)s"), round=data["round"])
        if action == "suggestion.resolved_on_spot" and data.get("representative_name"):
            add(_("Resolved by representative %(name)s"), name=data["representative_name"])
        category = _choice(ReplyCategory, data.get("category"))
        if category:
            add(category)
        if action == "suggestion.replied" and "late" in data:
            add(_("Late") if data.get("late") else _("On time"))
        if _day(data.get("reply_due")):
            add(_("Deadline in force: %(day)s"), day=_day(data["reply_due"]))
    elif action in ("suggestion.feedback_received", "suggestion.representative_rated"):
        if data.get("round"):
            add(_("On the answer of round %(round)s"), round=data["round"])
        rating = _choice(Rating, data.get("rating"))
        if rating:
            add(rating)
        via = VIA_LABELS.get(str(data.get("via") or ""))
        if via and action == "suggestion.feedback_received":
            add(via)
        outcome = OUTCOME_LABELS.get(str(data.get("outcome") or ""))
        if outcome:
            add(outcome)
        if data.get("outcome") == "rehandling" and _day(data.get("reply_due")):
            add(_("Reply by %(day)s"), day=_day(data["reply_due"]))
    elif action == "suggestion.co_opinion_given":
        if data.get("unit_name"):
            add(_("Co-unit: %(unit)s"), unit=data["unit_name"])
        if data.get("revision"):
            add(_("A revised opinion"))
        if data.get("late"):
            add(_("Late"))
    elif action == "suggestion.corrected":
        for change in data.get("changes") or []:
            name = str(change.get("field") or "")
            try:
                model_field = Suggestion._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            field_label = str(getattr(model_field, "verbose_name", name))
            add(
                _("%(field)s: %(old)s → %(new)s"),
                field=field_label,
                old=_corrected_value(name, change.get("old")),
                new=_corrected_value(name, change.get("new")),
            )
    elif action == "suggestion.follow_up_reported":
        if data.get("solved"):
            add(_("The problem is solved"))
        elif _day(data.get("next_due")):
            add(_("Next report by %(day)s"), day=_day(data["next_due"]))
        if data.get("late"):
            add(_("Late"))
    return lines


# --- Lists -------------------------------------------------------------------------


@dataclass
class Page:
    rows: list[ListRow]
    next_after: int | None
    after: int | None


def keyset_page(qs: QuerySet[Suggestion], *, after: int | None, size: int = PAGE_SIZE) -> Page:
    """One page of newest-first lines below the id `after`: page 5,000 costs what page 1 costs,
    and there is no COUNT; one extra row tells whether there is more."""
    if after is not None:
        qs = qs.filter(pk__lt=after)
    values = list(list_values(qs.order_by("-id"))[: size + 1])
    more = len(values) > size
    rows = list_rows(values[:size], timezone.localdate())
    return Page(rows=rows, next_after=rows[-1].id if more and rows else None, after=after)


def _positive_int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def _filtered(request: HttpRequest) -> tuple[SuggestionFilter, Queue | None, QuerySet[Suggestion]]:
    user = request.user
    queue = None
    code = request.GET.get("queue") or ""
    if code:
        queue = queue_get(user=user, code=code)
        if queue is None:
            raise Http404
    base = queue_suggestions(user=user, queue=queue) if queue else suggestion_list(user=user)
    filterset = SuggestionFilter(request.GET, queryset=base, request=request)
    qs = filterset.qs if filterset.is_valid() else base.none()
    return filterset, queue, qs


def _tune_filter_form(form: forms.Form) -> None:
    """Widgets that work on a phone: states as checkboxes, dates as date pickers."""
    state = form.fields["state"]
    state.widget = forms.CheckboxSelectMultiple(choices=state.choices)  # type: ignore[attr-defined]
    created = form.fields["created"]
    for widget in getattr(created.widget, "widgets", []):
        widget.input_type = "date"
    form.fields["q"].widget.attrs.update({"type": "search", "placeholder": gettext("Title words or tracking code")})
    form.fields["region"].widget.attrs.update({"list": "region-codes", "inputmode": "numeric"})
    # The API's wording ("true/false", parameter names) means nothing on the form.
    for name in ("overdue", "created", "station", "unit", "category", "state"):
        form.fields[name].help_text = ""
        form[name].help_text = ""  # a BoundField made during validation keeps its own copy
    for name in ("unit", "station"):
        _compact_choices(form.fields[name], name)


# A <select> with more options than this is replaced by a typed field whose suggestions load
# as the user types: rendering 2,500 <option>s cost a province's deep list page 1.2 s.
SELECT_LIMIT = 60
OPTION_MATCHES = 20


def _compact_choices(field: forms.Field, name: str) -> None:
    """Keep a short choice list as a <select>; make a long one a text field with suggestions."""
    queryset = field.queryset  # type: ignore[attr-defined]
    if queryset[: SELECT_LIMIT + 1].count() <= SELECT_LIMIT:
        return
    field.widget = forms.TextInput(
        attrs={
            "list": f"{name}-options",
            "autocomplete": "off",
            "placeholder": gettext("Type a name or code"),
            "hx-get": reverse("suggestions:filter_options", kwargs={"field": name}),
            "hx-trigger": "focus once, input changed delay:250ms",
            "hx-target": f"#{name}-options",
            "hx-swap": "innerHTML",
            "hx-push-url": "false",
            "hx-sync": "this:replace",
        }
    )
    field.long_choices = True  # type: ignore[attr-defined]


def _region_choices(user: User) -> list[Region]:
    """Regions offered as suggestions in the region filter: the top of the user's subtrees."""
    scope = user_scope(user)
    if scope.is_admin:
        return list(Region.objects.filter(depth__lte=2).order_by("path").only("code", "name", "depth", "path")[:300])
    if not scope.region_paths:
        return []
    min_depth = min(p.count("/") for p in scope.region_paths) - 1
    q = Q(pk__in=[])
    for path in scope.region_paths:
        q |= Q(path__startswith=path)
    qs = Region.objects.filter(q, depth__lte=min_depth + 2).order_by("path").only("code", "name", "depth", "path")
    return list(qs[:300])


@login_required
@require_GET
def suggestion_list_view(request: HttpRequest) -> HttpResponse:
    filterset, queue, qs = _filtered(request)
    page = keyset_page(qs, after=_positive_int(request.GET.get("after")))
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "filter": filterset,
        "queue": queue,
        "page": page,
        "query": query.urlencode(),
        "today": timezone.localdate(),
        "filters_active": any(k not in {"queue", "after"} and v for k, v in request.GET.items()),
    }
    if request.htmx and request.htmx.target == "results":  # type: ignore[attr-defined]
        if filterset.errors:
            # The fields are redrawn too (out of band), so the wrong one is marked.
            context["filter_fields_oob"] = _filter_fields(request, filterset, query)
        return render(request, "suggestions/_results.html", context)
    context["filter_fields"] = _filter_fields(request, filterset, query)
    return render(request, "suggestions/list.html", context)


def _filter_fields(request: HttpRequest, filterset: SuggestionFilter, query: QueryDict) -> SafeString:
    """The filter form's fields, rendered once per viewer, language and filter values."""

    def render_fields() -> str:
        _tune_filter_form(filterset.form)
        context = {"form": filterset.form, "region_choices": _region_choices(request.user)}  # type: ignore[arg-type]
        return render_to_string("suggestions/_filter_fields.html", context, request=request)

    parts = (request.user.pk, get_language(), query.urlencode())
    return fragments.cached(FILTER_FORM, parts, render_fields)


@login_required
@require_GET
def filter_options(request: HttpRequest, field: str) -> HttpResponse:
    """Up to 20 <option>s for a long filter list, matching what the user has typed."""
    text = (request.GET.get(field) or "").strip()[:64]
    options: list[tuple[str, str]]
    if field == "unit":
        units = HandlingUnit.objects.filter(is_active=True).order_by("name", "id")
        if text:
            units = units.filter(Q(name__icontains=text) | Q(code__istartswith=text))
        options = [(u.code, u.name) for u in units.only("code", "name")[:OPTION_MATCHES]]
    elif field == "station":
        stations = station_list(user=request.user).order_by("name", "id")
        if text:
            stations = stations.filter(name__icontains=text)
        # The name is what the field shows once picked; names are unique within a region.
        options = [
            (s.name, s.region.name)
            for s in stations.select_related("region").only("name", "region__name")[:OPTION_MATCHES]
        ]
    else:
        raise Http404
    return render(request, "suggestions/_options.html", {"options": options})


@login_required
@require_GET
def suggestion_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered list as an Excel workbook: at once when short, else as a background job."""
    return export_response(request, kind=ExportKind.SUGGESTIONS, back=reverse("suggestions:list"))


def suggestion_export_source(user: User | AnonymousUser, query: QueryDict) -> Source:
    """The list as `user` sees it with these filters (exports.sources): the request's, or the
    job's owner and query string in the worker. Each row's voter goes out masked unless this
    user may see them (personal_data_visible)."""
    request = HttpRequest()
    request.user = user
    request.GET = query
    filterset, queue, qs = _filtered(request)
    if not filterset.is_valid():
        raise ExportRefused(gettext("Correct the filters before exporting."))

    def write(out: IO[bytes], progress: Progress) -> Exported:
        return suggestions_workbook(
            qs=qs, out=out, personal=lambda s: personal_data_visible(user=user, suggestion=s), progress=progress
        )

    return Source(
        kind=ExportKind.SUGGESTIONS,
        stem=f"suggestions-{queue.code if queue else 'list'}",
        count=lambda limit: capped_count(qs, limit),
        write=write,
        too_many=_("The list has more than %(limit)s suggestions; narrow the filters to export it."),
    )


EXPORT_LOG_PAGE = 100


@login_required
@require_GET
def export_log_view(request: HttpRequest) -> HttpResponse:
    """Administrators read who exported what (the same rows as the admin's export log)."""
    if not user_scope(request.user).is_admin:
        raise PermissionDenied
    entries = export_log_list(user=request.user)
    before = _positive_int(request.GET.get("before"))
    if before is not None:
        entries = entries.filter(pk__lt=before)
    rows = list(entries.order_by("-id")[: EXPORT_LOG_PAGE + 1])
    more = len(rows) > EXPORT_LOG_PAGE
    rows = rows[:EXPORT_LOG_PAGE]
    for row in rows:
        labels = [str(Role(code).label) for code in row.roles.split(",") if code in Role.values]
        row.role_labels = "、".join(labels)  # type: ignore[attr-defined]
    context = {"entries": rows, "next_before": rows[-1].pk if more and rows else None}
    return render(request, "suggestions/export_log.html", context)


# --- The suggestion page -------------------------------------------------------------


def _get(request: HttpRequest, code: str) -> Suggestion:
    try:
        return suggestion_get(user=request.user, tracking_code=code)
    except Suggestion.DoesNotExist:
        raise Http404 from None


def _deadlines(suggestion: Suggestion, today: dt.date, co_assignments: list[Assignment]) -> list[dict[str, Any]]:
    """Each deadline of the suggestion with the sentence that explains how it was computed."""
    basis_all: dict[str, Any] = suggestion.deadline_basis or {}
    rows = []
    open_now = suggestion.state in (State.ASSIGNED, State.IN_PROGRESS, State.REPLIED)
    dues: list[tuple[str, str | Promise, dt.date | None]] = [
        (field, label, getattr(suggestion, field)) for field, label in DEADLINE_FIELDS
    ]
    co_dues = [a.due for a in co_assignments if a.due]
    if co_dues:
        dues.insert(2, ("co_due", _("Co-units' opinions by"), min(co_dues)))
    for field, label, due in dues:
        if due is None:
            continue
        basis = basis_all.get(field) or {}
        running = open_now and _still_running(suggestion, field, co_assignments)
        rows.append(
            {
                "field": field,
                "label": label,
                "due": due,
                "explanation": basis_description(basis) if basis else "",
                "provisional": bool(basis.get("provisional")),
                "overdue": running and due < today,
                "running": running,
            }
        )
    formal = basis_all.get("formal_reply_due")
    if formal and formal.get("due"):
        rows.append(
            {
                "field": "formal_reply_due",
                "label": _("Formal suggestion answered by"),
                "due": dt.date.fromisoformat(formal["due"]),
                "explanation": _(
                    "%(months)s months after %(start)s, the statutory limit for formal representative suggestions."
                )
                % {"months": formal.get("months", ""), "start": formal.get("start", "")},
                "provisional": False,
                "overdue": False,
                "running": False,
            }
        )
    stage_label = STAGE_DEADLINE_LABELS.get(suggestion.state)
    if stage_label is not None and suggestion.stage_due is not None:
        basis = basis_all.get("stage_due") or {}
        rows.append(
            {
                "field": "stage_due",
                "label": stage_label,
                "due": suggestion.stage_due,
                "explanation": basis_description(basis) if basis else "",
                "provisional": bool(basis.get("provisional")),
                "overdue": suggestion.stage_due < today,
                "running": True,
            }
        )
    return rows


# The limit of the stage a suggestion waits in before the hand-over (梳理, 拟办, 交办).
STAGE_DEADLINE_LABELS: dict[str, str | Promise] = {
    State.RECEIVED: _("Sort by"),
    State.SORTED: _("Propose by"),
    State.PROPOSED: _("Hand over by"),
}


def _still_running(suggestion: Suggestion, field: str, co_assignments: list[Assignment]) -> bool:
    if field == "ack_due":
        return suggestion.state == State.ASSIGNED
    if field in ("reply_due", "co_due"):
        running = suggestion.state in (State.ASSIGNED, State.IN_PROGRESS)
        return running and (field == "reply_due" or any(not a.opinion for a in co_assignments))
    if field == "follow_up_due":
        return True
    return suggestion.state == State.REPLIED


def _detail_context(request: HttpRequest, suggestion: Suggestion) -> dict[str, Any]:
    events = list(
        SuggestionEvent.objects.filter(suggestion=suggestion)
        .select_related("actor")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )
    personal = personal_data_visible(user=request.user, suggestion=suggestion)
    for event in events:
        event.label = EVENT_LABELS.get(event.action, event.action)  # type: ignore[attr-defined]
        event.details = event_details(event, personal=personal)  # type: ignore[attr-defined]
    assignments = list(
        Assignment.objects.filter(suggestion=suggestion).select_related("unit").order_by("-is_active", "role", "id")
    )
    # The case file; a table that can hold no row for this suggestion is not read (every
    # answer and extension request is written with its event, a co-opinion needs a co-unit).
    actions_seen = {e.action for e in events}
    dossier = case_file(
        suggestion=suggestion,
        read_rounds=bool(actions_seen & {"suggestion.replied", "suggestion.resolved_on_spot"}),
        read_co_opinions=any(a.role == AssignmentRole.CO for a in assignments),
        read_extensions="suggestion.extension_requested" in actions_seen,
    )
    files_by_event = {e.pk: list(e.attachments.all()) for e in events}
    for round_ in dossier.rounds:
        round_.attachments = files_by_event.get(round_.reply.event_id or 0, [])
    duplicates = list(suggestion.duplicates.order_by("id").only("tracking_code", "title", "created_at")[:20])
    allowed = workflow.allowed_actions(suggestion=suggestion, user=request.user)
    actions = [{"code": a, "label": ACTION_LABELS.get(a, a), "primary": a in PRIMARY_ACTIONS} for a in allowed]
    today = timezone.localdate()
    co_assignments = [a for a in assignments if a.role == AssignmentRole.CO and a.is_active]
    deadlines = _deadlines(suggestion, today, co_assignments)
    return {
        "s": suggestion,
        "code_display": tracking_code_display(suggestion.tracking_code),
        "events": events,
        "lead_assignments": [a for a in assignments if a.role == AssignmentRole.LEAD and a.is_active],
        "co_assignments": co_assignments,
        "past_assignments": [a for a in assignments if not a.is_active],
        "extension_requests": dossier.extensions,
        "case_file": dossier,
        "attachments": [a for e in events for a in e.attachments.all()],
        "duplicates": duplicates,
        "actions": actions,
        "deadlines": deadlines,
        "running_deadline": next((d for d in deadlines if d["running"]), None),
        "today": today,
        # Read only while the proposal is what the hand-over starts from.
        "proposed_co_units": (
            list(suggestion.proposed_co_units.order_by("name"))
            if suggestion.route == Route.UNIT and suggestion.state == State.PROPOSED
            else []
        ),
    }


@login_required
@require_GET
def suggestion_detail(request: HttpRequest, code: str) -> HttpResponse:
    suggestion = _get(request, code)
    return render(request, "suggestions/detail.html", _detail_context(request, suggestion))


@login_required
@require_GET
def suggestion_print(request: HttpRequest, code: str) -> HttpResponse:
    """The printable 意见督办反馈单 (supervision-and-feedback form), A4."""
    suggestion = _get(request, code)
    context = _detail_context(request, suggestion)
    context["printed_at"] = timezone.localtime()
    context["representatives_present"] = (
        list(suggestion.visit.representatives.order_by("name")) if suggestion.visit_id else []  # type: ignore[union-attr]
    )
    return render(request, "suggestions/print.html", context)


@login_required
@require_GET
def suggestion_attachment(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """An attachment, only for people who may see its suggestion."""
    suggestion = _get(request, code)
    try:
        attachment = Attachment.objects.get(pk=pk, suggestion=suggestion)
    except Attachment.DoesNotExist:
        raise Http404 from None
    # Pictures open in the browser; PDFs are downloaded (the browser's PDF viewer would need a looser CSP).
    inline = attachment.content_type.startswith("image/")
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
        as_attachment=not inline,
    )


# --- Actions -----------------------------------------------------------------------------

Performer = Callable[[Suggestion, User, ActionForm], Suggestion]


def _common(form: ActionForm) -> dict[str, Any]:
    return {"expected_version": form.expected_version}


def _sort(s: Suggestion, actor: User, form: ActionForm) -> Suggestion:
    d = form.cleaned_data
    return workflow.suggestion_sort(
        suggestion=s,
        actor=actor,
        category=d["category"],
        urgency=d["urgency"],
        region=d.get("region"),
        note=d["note"],
        **_common(form),
    )


def _merge(s: Suggestion, actor: User, form: ActionForm) -> Suggestion:
    d = form.cleaned_data
    target: Suggestion = d["target"]
    return workflow.suggestion_sort(
        suggestion=s,
        actor=actor,
        category=s.category or target.category,
        urgency=s.urgency,
        merge_into=target,
        note=d["note"],
        **_common(form),
    )


def _publish(s: Suggestion, actor: User, form: ActionForm) -> Suggestion:
    assert isinstance(form, PublishForm)
    wording = form.wording()
    return workflow.suggestion_publish(
        suggestion=s,
        actor=actor,
        facts_only=form.facts_only,
        public_title=wording["public_title"],
        public_content=wording["public_content"],
        public_reply=wording["public_reply"],
        expected_version=form.expected_version,
    )


def _publish_preview(suggestion: Suggestion, form: ActionForm) -> BoardCase | None:
    """What the board would show with the choices on the publish form (its initial values
    before anything was typed); None for another form or one with errors."""
    if not isinstance(form, PublishForm):
        return None
    if not form.is_bound:
        return board_preview(
            suggestion,
            facts_only=form.fields["scope"].initial == PublishForm.FACTS,
            public_title=suggestion.public_title,
            public_content=suggestion.public_content,
            public_reply=suggestion.public_reply,
        )
    if form.errors:
        return None
    return board_preview(suggestion, facts_only=form.facts_only, **form.wording())


PERFORMERS: dict[str, Performer] = {
    "sort": _sort,
    "merge": _merge,
    "resolve_on_spot": lambda s, a, f: workflow.suggestion_resolve_on_spot(
        suggestion=s,
        actor=a,
        reply_text=f.cleaned_data["reply_text"],
        category=f.cleaned_data["category"],
        representative=f.cleaned_data.get("representative"),
        note=f.cleaned_data["note"],
        **_common(f),
    ),
    "propose": lambda s, a, f: workflow.suggestion_propose(
        suggestion=s,
        actor=a,
        route=f.cleaned_data["route"],
        unit=f.cleaned_data.get("unit"),
        co_units=list(f.cleaned_data.get("co_units") or []),
        note=f.cleaned_data["note"],
        **_common(f),
    ),
    "hand_over": lambda s, a, f: workflow.suggestion_hand_over(
        suggestion=s,
        actor=a,
        lead_unit=f.cleaned_data["lead_unit"],
        co_units=list(f.cleaned_data.get("co_units") or []),
        co_due=f.cleaned_data.get("co_due"),
        reply_due=f.cleaned_data.get("reply_due"),
        note=f.cleaned_data["note"],
        **_common(f),
    ),
    "decline": lambda s, a, f: workflow.suggestion_decline(
        suggestion=s, actor=a, note=f.cleaned_data["note"], reference=f.cleaned_data["reference"], **_common(f)
    ),
    "acknowledge": lambda s, a, f: workflow.suggestion_acknowledge(suggestion=s, actor=a, **_common(f)),
    "return": lambda s, a, f: workflow.suggestion_return(
        suggestion=s, actor=a, reason=f.cleaned_data["reason"], **_common(f)
    ),
    "co_opinion": lambda s, a, f: workflow.suggestion_co_opinion(
        suggestion=s, actor=a, text=f.cleaned_data["text"], **_common(f)
    ),
    "request_extension": lambda s, a, f: workflow.suggestion_request_extension(
        suggestion=s, actor=a, days=f.cleaned_data["days"], reason=f.cleaned_data["reason"], **_common(f)
    ),
    "decide_extension": lambda s, a, f: workflow.suggestion_decide_extension(
        suggestion=s, actor=a, approve=f.cleaned_data["approve"], note=f.cleaned_data["note"], **_common(f)
    ),
    "supervise": lambda s, a, f: workflow.suggestion_supervise(
        suggestion=s, actor=a, note=f.cleaned_data["note"], **_common(f)
    ),
    "reply": lambda s, a, f: workflow.suggestion_reply(
        suggestion=s,
        actor=a,
        category=f.cleaned_data["category"],
        text=f.cleaned_data["text"],
        follow_up_due=f.cleaned_data.get("follow_up_due"),
        attachments=uploads_of(f),
        **_common(f),
    ),
    "report_follow_up": lambda s, a, f: workflow.suggestion_report_follow_up(
        suggestion=s,
        actor=a,
        text=f.cleaned_data["text"],
        solved=f.cleaned_data["solved"],
        next_due=f.cleaned_data.get("next_due"),
        **_common(f),
    ),
    "feedback": lambda s, a, f: workflow.suggestion_feedback(
        suggestion=s, actor=a, rating=f.cleaned_data["rating"], text=f.cleaned_data["text"], **_common(f)
    ),
    "rate_as_representative": lambda s, a, f: workflow.suggestion_rate_as_representative(
        suggestion=s, actor=a, rating=f.cleaned_data["rating"], text=f.cleaned_data["text"], **_common(f)
    ),
    "close": lambda s, a, f: workflow.suggestion_close(
        suggestion=s, actor=a, note=f.cleaned_data["note"], **_common(f)
    ),
    "publish": lambda s, a, f: _publish(s, a, f),
    "withdraw_publication": lambda s, a, f: workflow.suggestion_withdraw_publication(
        suggestion=s, actor=a, reason=f.cleaned_data["reason"], **_common(f)
    ),
}

DONE_MESSAGES: dict[str, str | Promise] = {
    "sort": _("Sorted."),
    "merge": _("Merged into the earlier suggestion."),
    "resolve_on_spot": _("Recorded as resolved on the spot."),
    "propose": _("Route proposed; committee staff will hand it over."),
    "hand_over": _("Handed over; the unit has been notified."),
    "decline": _("Closed with the reason given."),
    "acknowledge": _("Acknowledged."),
    "return": _("Returned; it waits to be handed over again."),
    "co_opinion": _("Opinion sent to the lead unit."),
    "request_extension": _("Extension requested; committee staff will decide."),
    "decide_extension": _("Extension decided."),
    "supervise": _("Supervision raised; the unit has been notified."),
    "reply": _("Reply sent."),
    "report_follow_up": _("Progress reported."),
    "feedback": _("Feedback recorded."),
    "rate_as_representative": _("Your rating as representative is recorded."),
    "close": _("Closed."),
    "publish": _("Published on the public board."),
    "withdraw_publication": _("Taken off the public board."),
}


def _apply_error(form: ActionForm, error: WorkflowError) -> None:
    """Put the domain error's field messages next to the fields; the message itself above the form."""
    for field, texts in error.fields.items():
        if field in form.fields:
            for text in texts:
                form.add_error(field, text)


def _after_action_url(user: User, suggestion: Suggestion) -> str:
    """The suggestion again, or, when the action ended the actor's access (a unit that returned
    it), the actor's first queue: never a page that would answer 404."""
    if suggestion_visible(user=user, pk=suggestion.pk):
        return reverse("suggestions:detail", kwargs={"code": suggestion.tracking_code})
    own = queues_for(user=user)
    return reverse("suggestions:list") + (f"?queue={own[0].code}" if own else "")


@login_required
@require_http_methods(["GET", "POST"])
def suggestion_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """One workflow action: its form (in place with htmx, or as a page) and its submission."""
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    suggestion = _get(request, code)
    user: User = request.user  # type: ignore[assignment]
    refusal: str | None = None
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, suggestion=suggestion, user=user)
        if form.is_valid() and action == "publish" and request.POST.get("preview"):
            # Only the preview is asked for: shown below, nothing is published.
            if isinstance(form, PublishForm) and not form.facts_only and not suggestion.consent_to_publish:
                refusal = str(workflow.MSG_CONSENT_MISSING)
        elif form.is_valid():
            try:
                PERFORMERS[action](suggestion, user, form)
            except WorkflowError as error:
                if error.code == "stale_version" and request.htmx:  # type: ignore[attr-defined]
                    # The page around the form is out of date: reload it, with the message.
                    messages.error(request, str(error.message))
                    return HttpResponseClientRedirect(_after_action_url(user, suggestion))
                refusal = str(error.message)
                status = error.status if error.status != 404 else 403
                _apply_error(form, error)
            else:
                messages.success(request, str(DONE_MESSAGES[action]))
                target = _after_action_url(user, suggestion)
                if request.htmx:  # type: ignore[attr-defined]
                    return HttpResponseClientRedirect(target)
                return redirect(target)
        else:
            status = 400
    else:
        form = form_class(suggestion=suggestion, user=user)
        if action not in workflow.allowed_actions(suggestion=suggestion, user=user):
            refusal = gettext("You cannot do this now.")
            status = 403
    # The typed pickers ask this page's own endpoint for the options of their (scoped) field.
    configure_pickers(
        form,
        options_url=reverse(
            "suggestions:action_options",
            kwargs={"code": suggestion.tracking_code, "action": action, "field": "__field__"},
        ),
    )
    context = {
        "s": suggestion,
        "code_display": tracking_code_display(suggestion.tracking_code),
        "action": action,
        "action_label": ACTION_LABELS[action],
        "form": form,
        "refusal": refusal,
        "multipart": action == "reply",
        "preview": _publish_preview(suggestion, form) if not refusal else None,
    }
    template = "suggestions/_action_form.html" if request.htmx else "suggestions/action.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


@login_required
@require_GET
def action_options(request: HttpRequest, code: str, action: str, field: str) -> HttpResponse:
    """Up to 20 <option>s for a typed picker of an action form, matching what the user typed,
    from the same scoped queryset the form accepts (suggestions.pickers)."""
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    suggestion = _get(request, code)
    user: User = request.user  # type: ignore[assignment]
    if action not in workflow.allowed_actions(suggestion=suggestion, user=user):
        # Nothing to offer (a request still under way when the form was sent is no error).
        return render(request, "suggestions/_options.html", {"options": []})
    picker = form_class(suggestion=suggestion, user=user).fields.get(field)
    if not isinstance(picker, PickerMixin):
        raise Http404
    text = (request.GET.get(field) or "")[:64]
    return render(request, "suggestions/_options.html", {"options": picker.options(text)})
