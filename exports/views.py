"""Export pages: every list's export link ends in `export_response`; a long list's job page
shows the progress (htmx, every 2 s) and then the download link. Only the owner sees a job."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from accounts.models import User
from exports.models import ExportJob
from exports.services import export_job_create, export_job_get, export_now, export_plan, file_name, keep_until
from exports.sources import ExportRefused, filters_only, list_url, source_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The page's token, sent back as a cookie with the file so the export button comes back (static/js/app.js).
TOKEN = re.compile(r"[A-Za-z0-9]{1,32}")
DONE_COOKIE = "export_done"


def export_response(request: HttpRequest, *, kind: str, back: str) -> HttpResponseBase:
    """The export of a list: the file itself when it is short, else a job and its page.

    Bad filters or too many rows: back to the list (`back`, a path) with the reason, nothing
    exported and nothing logged.
    """
    user: User = request.user  # type: ignore[assignment]
    query = filters_only(request.GET)
    back_url = f"{back}?{query.urlencode()}" if query else back
    try:
        source = source_for(kind=kind, user=user, query=query)
        plan = export_plan(source)
    except ExportRefused as refusal:
        messages.error(request, refusal.message)
        kept = query.copy()
        for name in refusal.drop:
            kept.pop(name, None)
        return redirect(f"{back}?{kept.urlencode()}" if kept else back)
    if plan.too_many:
        messages.error(request, str(source.too_many) % {"limit": settings.EXPORT_MAX_ROWS})
        return redirect(back_url)
    if not plan.instant:
        job = export_job_create(owner=user, source=source, query=query, rows=plan.rows, language=get_language())
        return redirect("exports:job", pk=job.pk)
    response = FileResponse(
        export_now(user=user, source=source, query=query),
        as_attachment=True,
        filename=file_name(source),
        content_type=XLSX,
    )
    token = request.GET.get("export_token", "")
    if TOKEN.fullmatch(token):
        response.set_cookie(DONE_COOKIE, token, max_age=60, samesite="Lax", secure=request.is_secure())
    return response


def _own_job(request: HttpRequest, pk: int) -> ExportJob:
    try:
        return export_job_get(user=request.user, pk=pk)  # type: ignore[arg-type]
    except ExportJob.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def job_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    context = {"job": job, "keep_until": keep_until(job), "list_url": list_url(job.kind, job.query)}
    return render(request, "exports/job.html", context)


@login_required
@require_GET
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the job page polls; once the job is over it stops polling."""
    job = _own_job(request, pk)
    response = render(request, "exports/_job_status.html", {"job": job, "keep_until": keep_until(job)})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def job_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = _own_job(request, pk)
    if not job.file:
        return redirect("exports:job", pk=job.pk)  # not written yet, failed, or deleted: the page says which
    try:
        handle = default_storage.open(job.file.name, "rb")
    except FileNotFoundError:
        ExportJob.objects.filter(pk=job.pk).update(file="")  # gone from the storage: the page says it expired
        return redirect("exports:job", pk=job.pk)
    return FileResponse(handle, as_attachment=True, filename=job.filename, content_type=XLSX)
