"""Long exports as jobs, page by page: a short list still downloads at once; a long one opens a
job page with a progress bar that polls, then the download link and a notification under the
bell; only the owner sees the job; failures say what happened in Chinese; old files go.

Tasks run in this process as the embedded default runs them (no broker); the same path with a
real worker is tests/exports/test_worker_e2e.py.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from pytest_django.fixtures import Settings as SettingsWrapper

from exports.models import ExportJob, JobFailure, JobStatus
from exports.services import PROGRESS_EVERY, export_job_run, exports_sweep
from liaison.celery import app as celery_app
from liaison.celery import beat_schedule
from notifications.models import Delivery, DeliveryStatus, Notification
from suggestions.models import ExportLog, State, Suggestion
from tests.factories import SuggestionFactory
from tests.notifications.smtp import free_port
from tests.notifications.test_worker_e2e import _reset_producers
from tests.suggestions.workflow_builders import Cast, build

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

Capture = Callable[..., Any]


def signed_in(cast: Cast, persona: str) -> Client:
    client = Client()
    user = cast.users[persona]
    assert user is not None
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def rows_of(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def suggestions(cast: Cast, count: int, **fields: Any) -> list[Suggestion]:
    built = [SuggestionFactory.build(station=cast.world.station_a, **fields) for _ in range(count)]
    return Suggestion.objects.bulk_create(built)


def export(client: Client, capture: Capture, path: str = "/suggestions/export.xlsx", **params: Any) -> Any:
    """The export link, with the tasks queued after commit run as the embedded default runs them."""
    with capture(execute=True):
        return client.get(path, params)


def test_a_short_list_still_downloads_at_once(cast: Cast, settings: SettingsWrapper) -> None:
    settings.EXPORT_INSTANT_MAX_ROWS = 5
    suggestions(cast, 3)
    response = signed_in(cast, "committee_staff").get(
        "/suggestions/export.xlsx", {"state": "received", "export_token": "t0k3n"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="suggestions-list-')
    assert len(rows_of(b"".join(response.streaming_content))) == 1 + 3
    # The page's token comes back as a cookie, so its button is ready again (static/js/exports.js).
    assert response.cookies["export_done"].value == "t0k3n"
    assert ExportJob.objects.count() == 0
    [log] = ExportLog.objects.all()
    assert (log.query, log.row_count, log.personal_data) == ("state=received", 3, "full")


def test_a_long_list_becomes_a_job_whose_page_offers_the_file(
    cast: Cast, settings: SettingsWrapper, tasks_in_process: None, django_capture_on_commit_callbacks: Capture
) -> None:
    settings.EXPORT_INSTANT_MAX_ROWS = 2
    wanted = suggestions(cast, 5)
    suggestions(cast, 1, state=State.SORTED)  # filtered out
    client = signed_in(cast, "committee_staff")
    response = export(client, django_capture_on_commit_callbacks, state="received")

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exports/{job.pk}/"
    assert (job.status, job.rows_done, job.rows_expected, job.query) == (JobStatus.DONE, 5, 5, "state=received")
    assert job.file.name.startswith("exports/")
    page = text(client.get(response["Location"]))
    assert "导出：意见建议清单" in page
    assert "文件已生成，共 5 行。" in page
    assert "文件保留至" in page
    assert 'hx-trigger="every 2s"' not in page  # done: the page stops polling

    download = client.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{job.filename}"'
    rows = rows_of(b"".join(download.streaming_content))
    assert rows[0][0] == "查询码"
    assert {row[1] for row in rows[1:]} == {s.title for s in wanted}

    [log] = ExportLog.objects.all()
    assert (log.kind, log.row_count, log.personal_data, log.query) == ("suggestions", 5, "full", "state=received")
    [note] = Notification.objects.filter(recipient=cast.users["committee_staff"])
    assert note.title == "导出完成：意见建议清单"
    assert note.url == f"/exports/{job.pk}/"
    assert "共 5 行" in note.body
    assert Delivery.objects.get(key=f"export:{job.pk}").status == DeliveryStatus.SENT


def test_a_units_job_masks_the_voter_as_an_instant_export_does(
    cast: Cast, settings: SettingsWrapper, tasks_in_process: None, django_capture_on_commit_callbacks: Capture
) -> None:
    settings.EXPORT_INSTANT_MAX_ROWS = 1
    for _i in range(2):
        s, _token = build(cast, State.IN_PROGRESS)
        Suggestion.objects.filter(pk=s.pk).update(content="张三说：有事打13812345678。")
    client = signed_in(cast, "unit_staff")
    response = export(client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get(owner=cast.users["unit_staff"])
    assert response["Location"] == f"/exports/{job.pk}/"
    body = rows_of(b"".join(client.get(f"/exports/{job.pk}/download/").streaming_content))[1:]
    assert len(body) == 2
    for row in body:
        assert (row[11], row[12]) == ("张**", "138****5678")
        assert "13812345678" not in row[2]
        assert "张三" not in row[2]
    assert ExportLog.objects.get().personal_data == "masked"


def test_only_the_owner_sees_a_job_or_downloads_its_file(
    cast: Cast, settings: SettingsWrapper, tasks_in_process: None, django_capture_on_commit_callbacks: Capture
) -> None:
    settings.EXPORT_INSTANT_MAX_ROWS = 1
    suggestions(cast, 2)
    export(signed_in(cast, "committee_staff"), django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    for persona in ("other_committee_staff", "city_committee_staff", "admin_user", "station_staff"):
        other = signed_in(cast, persona)
        for path in (f"/exports/{job.pk}/", f"/exports/{job.pk}/status/", f"/exports/{job.pk}/download/"):
            assert other.get(path).status_code == 404, (persona, path)
    assert Client().get(f"/exports/{job.pk}/download/").status_code == 302  # to the login page


def test_a_running_job_shows_a_progress_bar_that_polls_every_two_seconds(cast: Cast) -> None:
    owner = cast.users["committee_staff"]
    job = ExportJob.objects.create(
        owner=owner,
        kind="suggestions",
        language="zh-hans",
        status=JobStatus.RUNNING,
        rows_done=400,
        rows_expected=1000,
        filename="suggestions-list.xlsx",
    )
    client = signed_in(cast, "committee_staff")
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert '<progress value="400" max="1000"' in page
    assert f'hx-get="/exports/{job.pk}/status/" hx-trigger="every 2s"' in page
    assert "已写入 400 行，共约 1000 行" in page
    assert "下载 Excel 文件" not in page
    # The strict CSP: no inline style or script on the page.
    assert "style=" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    fragment = client.get(f"/exports/{job.pk}/status/")
    assert fragment["Cache-Control"] == "no-store"
    assert fragment.content.decode().startswith('<div id="export-job"')

    ExportJob.objects.filter(pk=job.pk).update(rows_done=900)
    assert '<progress value="900" max="1000"' in client.get(f"/exports/{job.pk}/status/").content.decode()


def test_the_job_reports_its_progress_every_few_hundred_rows(cast: Cast, settings: SettingsWrapper) -> None:
    total = PROGRESS_EVERY * 2 + 50
    suggestions(cast, total)
    job = ExportJob.objects.create(
        owner=cast.users["committee_staff"],
        kind="suggestions",
        language="zh-hans",
        rows_expected=total,
        filename="suggestions-list.xlsx",
    )
    with CaptureQueriesContext(connection) as ctx:
        export_job_run(job_id=job.pk)
    progress = [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "exports_exportjob" SET "rows_done"')
    ]
    assert progress == [
        f'UPDATE "exports_exportjob" SET "rows_done" = {n} WHERE "exports_exportjob"."id" = {job.pk}'
        for n in (PROGRESS_EVERY, PROGRESS_EVERY * 2)
    ]
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_expected) == (JobStatus.DONE, total, total)
    assert job.percent == 100


def test_a_failed_job_says_so_in_chinese_and_offers_nothing(cast: Cast) -> None:
    # The queue disappeared between the click and the worker (a role was taken away).
    job = ExportJob.objects.create(
        owner=cast.users["committee_staff"],
        kind="suggestions",
        language="zh-hans",
        query="queue=no-such-queue",
        rows_expected=5000,
        filename="suggestions-list.xlsx",
    )
    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.failure) == (JobStatus.FAILED, JobFailure.ERROR)
    page = text(signed_in(cast, "committee_staff").get(f"/exports/{job.pk}/"))
    failed = '<p class="refusal" role="alert" data-testid="export-failed">'
    assert f"{failed}导出文件生成失败。请重试；如仍失败，请缩小筛选范围。</p>" in page
    assert "下载 Excel 文件" not in page
    assert 'hx-trigger="every 2s"' not in page
    assert ExportLog.objects.count() == 0
    assert Notification.objects.count() == 0
    # Running it again (a redelivered task) changes nothing.
    assert export_job_run(job_id=job.pk) is None


@pytest.fixture
def broker_down() -> Any:
    """Celery publishes to a port where nothing listens."""
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False)
    _reset_producers()
    yield
    celery_app.conf.update(saved)
    _reset_producers()


def test_with_the_broker_down_the_job_page_says_to_try_again_later(
    cast: Cast, settings: SettingsWrapper, broker_down: None, django_capture_on_commit_callbacks: Capture
) -> None:
    settings.EXPORT_INSTANT_MAX_ROWS = 1
    suggestions(cast, 2)
    client = signed_in(cast, "committee_staff")
    response = export(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert (job.status, job.failure) == (JobStatus.FAILED, JobFailure.UNAVAILABLE)
    assert "导出服务暂时不可用，请几分钟后重试。" in text(client.get(response["Location"]))


def test_too_long_a_list_is_refused_without_a_job_or_a_log(cast: Cast, settings: SettingsWrapper) -> None:
    settings.EXPORT_INSTANT_MAX_ROWS = 1
    settings.EXPORT_MAX_ROWS = 2
    suggestions(cast, 3)
    response = signed_in(cast, "committee_staff").get("/suggestions/export.xlsx", {"state": "received"}, follow=True)
    assert response.redirect_chain[-1][0] == "/suggestions/?state=received"
    assert "列表超过 2 条意见，请缩小筛选范围后再导出。" in text(response)
    assert ExportJob.objects.count() == 0
    assert ExportLog.objects.count() == 0


def test_the_sweep_deletes_old_files_and_fails_jobs_no_worker_finished(
    cast: Cast,
    media: Path,
    settings: SettingsWrapper,
    tasks_in_process: None,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.EXPORT_INSTANT_MAX_ROWS = 1
    settings.EXPORT_KEEP_HOURS = 24
    suggestions(cast, 2)
    client = signed_in(cast, "committee_staff")
    export(client, django_capture_on_commit_callbacks)
    old = ExportJob.objects.get()
    export(client, django_capture_on_commit_callbacks)
    fresh = ExportJob.objects.exclude(pk=old.pk).get()
    now = timezone.now()
    ExportJob.objects.filter(pk=old.pk).update(finished_at=now - dt.timedelta(hours=25))
    old_path, fresh_path = media / old.file.name, media / fresh.file.name
    assert old_path.exists()
    # Left behind by a worker that died after saving: one long ago, one just now.
    stray_old, stray_new = media / "exports" / "stray-old.xlsx", media / "exports" / "stray-new.xlsx"
    for stray in (stray_old, stray_new):
        stray.write_bytes(b"PK")
    stamp = (now - dt.timedelta(hours=30)).timestamp()
    os.utime(stray_old, (stamp, stamp))
    lost = ExportJob.objects.create(
        owner=cast.users["committee_staff"], kind="suggestions", language="zh-hans", filename="x.xlsx"
    )
    ExportJob.objects.filter(pk=lost.pk).update(created_at=now - dt.timedelta(hours=2))

    result = exports_sweep(now=now)

    assert (result.files_deleted, result.jobs_failed) == (2, 1)
    assert not old_path.exists()
    assert not stray_old.exists()
    assert fresh_path.exists()
    assert stray_new.exists()
    old.refresh_from_db()
    assert old.file.name == ""
    assert old.expired
    page = text(client.get(f"/exports/{old.pk}/"))
    assert "该导出文件已超过保留期限并被删除，请重新导出列表。" in page
    assert client.get(f"/exports/{old.pk}/download/")["Location"] == f"/exports/{old.pk}/"
    lost.refresh_from_db()
    assert (lost.status, lost.failure) == (JobStatus.FAILED, JobFailure.UNAVAILABLE)
    assert "导出服务暂时不可用" in text(client.get(f"/exports/{lost.pk}/"))


def test_beat_sweeps_the_exports_every_hour() -> None:
    entry = beat_schedule()["exports-sweep"]
    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == dt.timedelta(hours=1)
    assert celery_app.tasks["exports.tasks.export_run"].acks_late
