"""The bell's list page: a user's own notifications, newest first, and marking them read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from notifications.selectors import notification_list, notification_own
from notifications.services import notification_mark_read

PAGE_SIZE = 30


def _positive_int(value: str | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number < 2**63 else None


@require_GET
@login_required
def notification_list_view(request: HttpRequest) -> HttpResponse:
    """`?before=<id>` pages back (keyset); `?unread=1` shows unread ones only. Bad values are ignored."""
    user: User = request.user  # type: ignore[assignment]
    before = _positive_int(request.GET.get("before"))
    unread_only = request.GET.get("unread") == "1"
    rows = notification_list(user=user, before=before, unread_only=unread_only, limit=PAGE_SIZE)
    page, more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
    context = {
        "notifications": page,
        "next_before": page[-1].pk if more else None,
        "is_first_page": before is None,
        "unread_only": unread_only,
    }
    return render(request, "notifications/list.html", context)


@require_POST
@login_required
def notification_read_view(request: HttpRequest) -> HttpResponse:
    """Mark read: the `id` values posted, or all the user's notifications with `all=1`; then go back."""
    user: User = request.user  # type: ignore[assignment]
    if request.POST.get("all") == "1":
        marked = notification_mark_read(actor=user)
    else:
        ids = [i for i in (_positive_int(v) for v in request.POST.getlist("id")) if i is not None]
        marked = notification_mark_read(actor=user, ids=ids) if ids else 0
    if marked:
        messages.success(request, _("Marked as read."))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("notifications:list")
    return HttpResponseRedirect(target)


@require_GET
@login_required
def notification_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notification marks it read and goes where it points (the list if nowhere)."""
    user: User = request.user  # type: ignore[assignment]
    notification = notification_own(user=user, pk=pk)
    if notification is None:
        raise Http404
    notification_mark_read(actor=user, ids=[notification.pk])
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("notifications:list")
    return HttpResponseRedirect(target)


@require_GET
def notification_bell_view(request: HttpRequest) -> HttpResponse:
    """The bell alone, for the page's once-a-minute refresh (htmx). Signed out (the session
    ended in another tab), nothing: the page keeps its bell rather than a login form in it."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    return render(request, "notifications/_bell.html")
