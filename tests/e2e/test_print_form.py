"""The printed 意见督办反馈单 as Chromium prints it with its default options (no background
graphics): the voter's and the representative's ratings must still show as ticked boxes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader

from accounts.models import User
from tests.e2e.casting import full_cast
from tests.suggestions.casefile_builders import rehandled

pytestmark = [pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # tests.factories.UserFactory's password
TICKED = "☑"
EMPTY = "☐"


def _login(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def test_the_printed_form_shows_the_ratings_with_default_print_settings(
    live_server: Any,
    page: Page,
    artifacts: Path,
    request: pytest.FixtureRequest,
    committee_staff: User,
) -> None:
    cast = full_cast(request)
    # Two rounds: round 1 voter 不满意 and representative 基本满意, round 2 voter 满意.
    s = rehandled(cast)
    base = str(live_server)
    _login(page, base, committee_staff)
    page.goto(f"{base}/suggestions/{s.tracking_code}/form/")
    pdf = page.pdf()  # Chromium's defaults: A4 from @page, print_background off
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    compact = "".join(text.split())
    # Three ticks (two voter ratings, one representative rating), each before its label.
    assert text.count(TICKED) == 3, text
    assert compact.count(f"{TICKED}不满意") == 1
    assert compact.count(f"{TICKED}基本满意") == 1
    assert compact.count(f"{TICKED}满意") == 1
    # Round 2's representative did not rate: three empty boxes there, and 3 × 2 − 3 elsewhere.
    assert text.count(EMPTY) == 3 * 4 - 3
    (artifacts / "print-form.pdf").write_bytes(pdf)
    page.emulate_media(media="print")
    page.screenshot(path=str(artifacts / "print-form-print.png"), full_page=True)
