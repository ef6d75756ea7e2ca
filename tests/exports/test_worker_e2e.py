"""A long export end to end with real parts: our own redis-server and a `celery -A liaison worker`
subprocess on the test database write the workbook while the job page's progress climbs; the
file opens in openpyxl with every row, the owner finds the link under the bell, nobody else
can open the job."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from openpyxl import load_workbook
from pytest_django.fixtures import Settings as SettingsWrapper

from exports.models import ExportJob, JobStatus
from liaison.celery import app as celery_app
from notifications.models import Notification
from suggestions.models import ExportLog, Suggestion
from suggestions.tracking import tracking_code_display
from tests.factories import SuggestionFactory
from tests.notifications.test_worker_e2e import RedisServer, Worker, _reset_producers, wait_until
from tests.suggestions.workflow_builders import Cast

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 1500
INSTANT = 100


@pytest.fixture
def worker(tmp_path: Path, media: Path, settings: SettingsWrapper, transactional_db: None) -> Iterator[Worker]:
    """A worker on the test database and our own Redis; this process publishes to that Redis."""
    assert connection.vendor == "postgresql", "the worker shares the test database: run these tests on PostgreSQL"
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=redis_server.url, task_always_eager=False)
    _reset_producers()
    settings.EXPORT_INSTANT_MAX_ROWS = INSTANT
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{db['NAME']}",
        "REDIS_URL": redis_server.url,
        "CELERY_BROKER_URL": redis_server.url,
        "CELERY_RESULT_BACKEND": redis_server.url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "MEDIA_ROOT": str(media),
        "EXPORT_INSTANT_MAX_ROWS": str(INSTANT),
        "SWEEP_INTERVAL_MINUTES": "1440",
    }
    process = Worker(env, tmp_path).start()
    yield process
    process.stop()
    celery_app.conf.update(saved)
    _reset_producers()
    redis_server.stop()


def signed_in(cast: Cast, persona: str) -> Client:
    client = Client()
    user = cast.users[persona]
    assert user is not None
    client.force_login(user)
    return client


def test_a_long_export_is_written_by_the_worker_with_progress_and_a_notification(
    cast: Cast, worker: Worker, media: Path
) -> None:
    wanted = Suggestion.objects.bulk_create(
        [SuggestionFactory.build(station=cast.world.station_a) for _ in range(ROWS)], batch_size=500
    )
    committee = signed_in(cast, "committee_staff")
    started = time.monotonic()
    response = committee.get("/suggestions/export.xlsx")
    answered_in = time.monotonic() - started
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert response["Location"] == f"/exports/{job.pk}/"
    assert answered_in < 2, f"the request waited {answered_in:.1f}s for a job it only had to queue"
    assert job.rows_expected == ROWS
    page = committee.get(response["Location"]).content.decode()
    assert "<progress" in page or "文件已生成" in page

    seen: list[int] = []

    def finished() -> bool:
        current = ExportJob.objects.values_list("status", "rows_done").get(pk=job.pk)
        seen.append(current[1])
        return current[0] in (JobStatus.DONE, JobStatus.FAILED)

    wait_until(finished, timeout=120, what="the export job to finish", log=worker.log)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.rows_done == job.rows_expected == ROWS
    assert seen == sorted(seen), "progress never goes back"
    assert any(0 < value < ROWS for value in seen), f"no progress was seen on the way: {sorted(set(seen))}"

    status = committee.get(f"/exports/{job.pk}/status/").content.decode()
    assert "文件已生成，共 1500 行。" in status
    assert f'href="/exports/{job.pk}/download/"' in status
    download = committee.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert (media / job.file.name).exists()
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(rows) == ROWS + 1
    assert {row[0] for row in rows[1:]} == {tracking_code_display(s.tracking_code) for s in wanted}
    assert {row[11] for row in rows[1:]} == {"张三"}  # committee staff of the region: in full

    [note] = Notification.objects.filter(recipient=cast.users["committee_staff"])
    assert note.title == "导出完成：意见建议清单"
    assert note.url == f"/exports/{job.pk}/"
    [log] = ExportLog.objects.all()
    assert (log.kind, log.row_count, log.personal_data) == ("suggestions", ROWS, "full")

    for persona in ("other_committee_staff", "admin_user"):
        other = signed_in(cast, persona)
        assert other.get(f"/exports/{job.pk}/").status_code == 404
        assert other.get(f"/exports/{job.pk}/download/").status_code == 404
