"""Export jobs: a list too long to download at once, written to a file by a Celery task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from suggestions.models import ExportKind


class JobStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("export job", "Waiting")
    RUNNING = "running", pgettext_lazy("export job", "Being written")
    DONE = "done", pgettext_lazy("export job", "Done")
    FAILED = "failed", pgettext_lazy("export job", "Failed")


class JobFailure(models.TextChoices):
    """Why a job failed, as its owner reads it on the job page."""

    ERROR = "error", _("The export could not be written. Try again; if it fails again, narrow the filters.")
    TIMEOUT = "timeout", _("The export took too long and was stopped. Narrow the filters and export again.")
    UNAVAILABLE = "unavailable", _("The export service is not available just now. Try again in a few minutes.")


class ExportJob(models.Model):
    """One export that runs in the background. Only its owner sees it or downloads its file;
    the file lives in the default storage under exports/ and is deleted after
    EXPORT_KEEP_HOURS (the job row stays, saying the file has expired)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("export"), max_length=16, choices=ExportKind.choices)
    query = models.TextField(_("filters (query string)"), blank=True)
    # The language of the page it was asked from: the workbook's headers and labels use it.
    language = models.CharField(_("language"), max_length=16)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    # Counted with a LIMIT when the job was made: at most EXPORT_MAX_ROWS.
    rows_expected = models.PositiveIntegerField(_("rows expected"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", max_length=255, blank=True)
    filename = models.CharField(_("file name"), max_length=128)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    failure = models.CharField(_("failure"), max_length=16, choices=JobFailure.choices, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="export_job_owner_idx"),
            # The sweep: files to delete, jobs stuck waiting or running.
            models.Index(fields=["created_at"], name="export_job_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (JobStatus.PENDING, JobStatus.RUNNING)

    @property
    def expired(self) -> bool:
        """Done, but its file has been deleted after the keeping time."""
        return self.status == JobStatus.DONE and not self.file

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.rows_expected:
            return 0
        return min(100, self.rows_done * 100 // self.rows_expected)
