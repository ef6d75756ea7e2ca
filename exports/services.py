"""Exports: an instant download for a short list, a background job for a long one.

`export_plan` decides with two LIMITed counts: up to EXPORT_INSTANT_MAX_ROWS rows are written
in the request (as before); longer lists, up to EXPORT_MAX_ROWS, become an `ExportJob` that a
Celery task writes to the default storage under exports/, reporting its progress every
PROGRESS_EVERY rows with one UPDATE. The job writes the same `ExportLog` row an instant
export does, when it completes, and tells its owner under the bell. A sweep deletes the
files after EXPORT_KEEP_HOURS and fails jobs left waiting or running by a lost worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import tempfile
from dataclasses import dataclass
from typing import IO

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from exports.models import ExportJob, JobFailure, JobStatus
from exports.sources import ExportRefused, Progress, Source, source_for
from suggestions.export import Exported
from suggestions.personal_data import export_log_record

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 200
EXPORT_DIR = "exports"
# A job still waiting or running after this long has lost its worker (the task's hard limit is 30 minutes).
STALE_AFTER = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Plan:
    instant: bool
    rows: int  # counted with a LIMIT: at most EXPORT_MAX_ROWS (+1 when too many)
    too_many: bool = False


def export_plan(source: Source) -> Plan:
    """Instant, a job, or too many rows; never counts more than EXPORT_MAX_ROWS + 1 rows."""
    limit: int = settings.EXPORT_MAX_ROWS
    instant_max = min(int(settings.EXPORT_INSTANT_MAX_ROWS), limit)
    rows = source.count(instant_max + 1)
    if rows <= instant_max:
        return Plan(instant=True, rows=rows)
    rows = source.count(limit + 1)
    return Plan(instant=False, rows=rows, too_many=rows > limit)


def file_name(source: Source) -> str:
    return f"{source.stem}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"


def _ignore(_rows: int) -> None:
    """No progress to report in a request."""


def export_now(*, user: User, source: Source, query: QueryDict) -> IO[bytes]:
    """Write the workbook in the request, to a temporary file (returned at its start), and log it."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller's FileResponse closes it
    exported = source.write(handle, _ignore)
    export_log_record(
        user=user,
        kind=source.kind,
        query=query.urlencode(),
        row_count=exported.rows,
        personal_data=exported.personal_data,
    )
    handle.seek(0)
    return handle


def export_job_create(*, owner: User, source: Source, query: QueryDict, rows: int, language: str) -> ExportJob:
    """A job for a long list; its task is queued once the job is committed."""
    job = ExportJob.objects.create(
        owner=owner,
        kind=source.kind,
        query=query.urlencode(),
        language=language,
        rows_expected=rows,
        filename=file_name(source),
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from exports.tasks import export_run
    from notifications.services import enqueue_quietly

    # Without a broker the embedded default runs the task right here (CELERY_TASK_ALWAYS_EAGER).
    if not enqueue_quietly(export_run, job_id):
        _fail(job_id, JobFailure.UNAVAILABLE, "could not enqueue the task")


def job_path(job: ExportJob) -> str:
    return reverse("exports:job", kwargs={"pk": job.pk})


def _progress(job_id: int) -> Progress:
    last = 0

    def report(rows: int) -> None:
        nonlocal last
        if rows - last >= PROGRESS_EVERY:
            ExportJob.objects.filter(pk=job_id).update(rows_done=rows)
            last = rows

    return report


def _fail(job_id: int, failure: JobFailure, error: str) -> None:
    ExportJob.objects.filter(pk=job_id, status__in=[JobStatus.PENDING, JobStatus.RUNNING]).update(
        status=JobStatus.FAILED, failure=failure, error=error[:2000], finished_at=timezone.now()
    )


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the job's workbook as its owner would get it now, store it and tell the owner.

    Runs again from the start when a lost worker's task is delivered again; a job that is
    done or failed is left alone. Returns the job, or None when there was nothing to do.
    """
    claimed = ExportJob.objects.filter(pk=job_id, status__in=[JobStatus.PENDING, JobStatus.RUNNING]).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), rows_done=0
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    try:
        with translation.override(job.language), tempfile.TemporaryFile() as handle:
            source = source_for(kind=job.kind, user=job.owner, query=QueryDict(job.query))
            exported = source.write(handle, _progress(job.pk))
            handle.seek(0)
            # A random name: nothing about the list or its owner can be guessed from it.
            name = default_storage.save(f"{EXPORT_DIR}/{secrets.token_hex(16)}.xlsx", File(handle))
    except SoftTimeLimitExceeded:
        _fail(job.pk, JobFailure.TIMEOUT, "soft time limit exceeded")
        return job
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task retries, from the start
    except ExportRefused as refusal:
        _fail(job.pk, JobFailure.ERROR, refusal.message)
        return job
    except Exception as exc:
        logger.exception("Export job %s failed", job.pk)
        _fail(job.pk, JobFailure.ERROR, f"{type(exc).__name__}: {exc}")
        return job
    if not _complete(job, name, exported):
        default_storage.delete(name)  # failed by the sweep meanwhile: its file is not wanted
        return job
    _notify(job, exported)
    return job


@transaction.atomic
def _complete(job: ExportJob, name: str, exported: Exported) -> bool:
    finished = timezone.now()
    done = ExportJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.DONE, file=name, rows_done=exported.rows, finished_at=finished, failure="", error=""
    )
    if not done:
        return False
    export_log_record(
        user=job.owner,
        kind=job.kind,  # type: ignore[arg-type]
        query=job.query,
        row_count=exported.rows,
        personal_data=exported.personal_data,
    )
    job.finished_at = finished
    return True


def keep_until(job: ExportJob) -> dt.datetime | None:
    """When the job's file is deleted."""
    if job.finished_at is None:
        return None
    return job.finished_at + dt.timedelta(hours=settings.EXPORT_KEEP_HOURS)


def _notify(job: ExportJob, exported: Exported) -> None:
    from notifications.rendering import MessageKind
    from notifications.services import in_app_notify

    until = keep_until(job)
    try:
        in_app_notify(
            user=job.owner,
            kind=MessageKind.EXPORT_READY,
            key=f"export:{job.pk}",
            context={
                "export": job.kind,
                "rows": exported.rows,
                "path": job_path(job),
                "keep_until": timezone.localtime(until).strftime("%Y-%m-%d %H:%M") if until else "",
            },
        )
    except Exception:
        # The file is there and the job page says so; the relay sends a delivery left pending.
        logger.warning("Export job %s: the notification could not be sent", job.pk, exc_info=True)


def export_job_get(*, user: User, pk: int) -> ExportJob:
    """The user's own job; anyone else's raises ExportJob.DoesNotExist (a 404, telling nothing)."""
    return ExportJob.objects.get(pk=pk, owner_id=user.pk)


@dataclass
class SweepResult:
    files_deleted: int = 0
    jobs_failed: int = 0


def exports_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Delete export files older than EXPORT_KEEP_HOURS (a job's, and any a lost worker left
    under exports/), and fail jobs a lost worker left waiting or running."""
    now = now or timezone.now()
    result = SweepResult()
    cutoff = now - dt.timedelta(hours=settings.EXPORT_KEEP_HOURS)
    for job in ExportJob.objects.filter(status=JobStatus.DONE, finished_at__lt=cutoff).exclude(file=""):
        default_storage.delete(job.file.name)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        result.files_deleted += 1
    result.files_deleted += _orphans_delete(cutoff)
    stale = ExportJob.objects.filter(
        status__in=[JobStatus.PENDING, JobStatus.RUNNING], created_at__lt=now - STALE_AFTER
    )
    result.jobs_failed = stale.update(
        status=JobStatus.FAILED, failure=JobFailure.UNAVAILABLE, error="no worker finished it", finished_at=now
    )
    return result


def _orphans_delete(cutoff: dt.datetime) -> int:
    """Files under exports/ older than the cutoff that no job holds (a worker died after saving)."""
    try:
        _dirs, files = default_storage.listdir(EXPORT_DIR)
    except (FileNotFoundError, NotImplementedError):
        return 0
    held = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    deleted = 0
    for name in files:
        path = f"{EXPORT_DIR}/{name}"
        if path in held:
            continue
        try:
            old = default_storage.get_modified_time(path) < cutoff
        except (FileNotFoundError, NotImplementedError):
            continue
        if old:
            default_storage.delete(path)
            deleted += 1
    return deleted
