"""The API documentation (Swagger UI and Redoc) renders in a real browser with no network beyond
the app itself, under the app's Content Security Policy."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route

pytestmark = pytest.mark.django_db(transaction=True)


def _offline(page: Page, origin: str) -> tuple[list[str], list[str]]:
    """Abort every request that leaves the app; collect them and any CSP complaint."""
    outside: list[str] = []
    complaints: list[str] = []

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith((origin, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", route)

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            complaints.append(message.text)

    page.on("console", console)
    return outside, complaints


def test_swagger_ui_lists_every_operation_offline(live_server: object, page: Page, artifacts: Path) -> None:
    origin = str(live_server.url)
    outside, complaints = _offline(page, origin)
    page.goto(f"{origin}/api/v1/docs/")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() >= 35
    assert page.locator(".opblock-summary-path", has_text="/api/v1/suggestions/{code}/hand-over/").count() == 1
    page.screenshot(path=str(artifacts / "api-swagger-1280.png"), full_page=False)
    assert outside == []
    assert complaints == []


def test_redoc_renders_the_schema_offline(live_server: object, page: Page, artifacts: Path) -> None:
    origin = str(live_server.url)
    outside, complaints = _offline(page, origin)
    page.goto(f"{origin}/api/v1/redoc/")
    page.wait_for_selector("h1", timeout=30_000)
    assert "Liaison Station Portal API" in page.locator("h1").first.inner_text()
    heading = page.locator("h2", has_text="Hand over to a lead unit and co-units (committee staff)")
    heading.wait_for(state="attached")
    assert page.locator("h2").count() >= 35  # one per operation
    page.screenshot(path=str(artifacts / "api-redoc-1280.png"), full_page=False)
    assert outside == []
    # Redoc's bundle links its vendor's logo from a CDN in the sidebar footer; the policy keeps the
    # browser from fetching it. Nothing of ours (scripts, styles, the worker) may be refused.
    assert [c for c in complaints if "https://cdn.redoc.ly/" not in c] == []
