"""Exports in a real browser under the strict CSP: the export button says 正在导出… and cannot be
pressed twice while the file is written, then comes back; a long list's job page fills its
progress bar by polling and then offers the file."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import ConsoleMessage, Page, Request, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from exports.models import ExportJob, JobStatus
from exports.sources import Column, write_sheet
from liaison.celery import app as celery_app
from suggestions.models import ExportLog, Suggestion
from tests.conftest import World
from tests.factories import SuggestionFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-1234"  # tests.factories.UserFactory's password

# Records every label and state the export button goes through (run through the DevTools
# protocol, which the page's CSP does not govern; the page itself runs no inline script).
WATCH_BUTTON = """() => {
  const a = document.querySelector('[data-testid=export]');
  window.__states = [];
  new MutationObserver(() => window.__states.push([a.textContent, a.getAttribute('aria-disabled')]))
    .observe(a, {attributes: true, childList: true, characterData: true, subtree: true});
}"""


@pytest.fixture
def media(settings: SettingsWrapper, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _login(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def _console_errors(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    return problems


def _suggestions(world: World, count: int) -> None:
    Suggestion.objects.bulk_create([SuggestionFactory.build(station=world.station_a) for _ in range(count)])


def test_the_export_button_waits_for_its_file_and_cannot_be_pressed_twice(
    live_server: object, page: Page, world: World, committee_staff: User
) -> None:
    base = str(live_server)
    _suggestions(world, 300)
    problems = _console_errors(page)
    exports: list[str] = []

    def on_request(request: Request) -> None:
        if "/suggestions/export.xlsx" in request.url:
            exports.append(request.url)

    page.on("request", on_request)
    _login(page, base, committee_staff)
    page.goto(f"{base}/suggestions/")
    button = page.get_by_test_id("export")
    expect(button).to_have_text("导出 Excel")
    page.evaluate(WATCH_BUTTON)

    with page.expect_download() as download:
        # Pressed twice at once (a double click): the second press asks for nothing more. Both
        # presses in one script, so the second cannot come after the file has already arrived.
        page.evaluate("() => { const a = document.querySelector('[data-testid=export]'); a.click(); a.click(); }")
    assert download.value.suggested_filename.startswith("suggestions-list-")
    rows = list(load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active.iter_rows(values_only=True))
    assert len(rows) == 301

    # Once the file is there the button is ready again.
    expect(button).to_have_text("导出 Excel")
    expect(button).not_to_have_attribute("aria-disabled", "true")
    states = page.evaluate("() => window.__states")
    assert ["正在导出…", "true"] in states
    assert len(exports) == 1
    assert "export_token=" in exports[0]
    assert ExportLog.objects.count() == 1
    assert "export_token" not in ExportLog.objects.get().query
    assert problems == []


def test_a_long_export_opens_its_job_page_done_with_the_file(
    live_server: object,
    page: Page,
    world: World,
    committee_staff: User,
    media: Path,
    settings: SettingsWrapper,
    tasks_in_process: None,
) -> None:
    """With the embedded default (no broker) the task runs right after commit: the page is done."""
    base = str(live_server)
    settings.EXPORT_INSTANT_MAX_ROWS = 5
    _suggestions(world, 12)
    problems = _console_errors(page)
    _login(page, base, committee_staff)
    page.goto(f"{base}/suggestions/")
    with page.expect_navigation():
        page.get_by_test_id("export").click()
    job = ExportJob.objects.get()
    assert page.url == f"{base}/exports/{job.pk}/"
    expect(page.locator("h1")).to_have_text("导出：意见建议清单")
    expect(page.get_by_test_id("export-job")).to_contain_text("文件已生成，共 12 行。")
    with page.expect_download() as download:
        page.get_by_test_id("export-download").click()
    assert download.value.suggested_filename == job.filename
    rows = list(load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active.iter_rows(values_only=True))
    assert len(rows) == 13
    # The bell says so too.
    page.goto(f"{base}/notifications/")
    expect(page.get_by_test_id("notification").first).to_contain_text("导出完成：意见建议清单")
    assert problems == []


def test_the_job_page_fills_its_progress_bar_and_then_offers_the_file(
    live_server: object, page: Page, world: World, committee_staff: User, media: Path
) -> None:
    base = str(live_server)
    job = ExportJob.objects.create(
        owner=committee_staff,
        kind="suggestions",
        language="zh-hans",
        status=JobStatus.RUNNING,
        rows_done=200,
        rows_expected=1000,
        filename="suggestions-list-test.xlsx",
    )
    problems = _console_errors(page)
    _login(page, base, committee_staff)
    page.goto(f"{base}/exports/{job.pk}/")
    progress = page.get_by_test_id("export-progress")
    expect(progress).to_have_attribute("value", "200")
    expect(page.get_by_test_id("export-job")).to_contain_text("已写入 200 行，共约 1000 行")

    # The worker writes on: the bar follows within a poll (every 2 s) without a reload.
    ExportJob.objects.filter(pk=job.pk).update(rows_done=800)
    expect(progress).to_have_attribute("value", "800", timeout=6_000)

    out = io.BytesIO()
    write_sheet(out, title="建议", columns=[Column("标题", 10)], rows=[["路灯"]], progress=lambda n: None)
    name = default_storage.save("exports/browser-test.xlsx", ContentFile(out.getvalue()))
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, rows_done=1, file=name, finished_at=timezone.now()
    )
    link = page.get_by_test_id("export-download")
    expect(link).to_be_visible(timeout=6_000)
    expect(page.get_by_test_id("export-progress")).to_have_count(0)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "suggestions-list-test.xlsx"
    assert list(
        load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active.iter_rows(values_only=True)
    ) == [("标题",), ("路灯",)]
    assert problems == []
