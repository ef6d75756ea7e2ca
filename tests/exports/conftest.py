"""Fixtures for the export tests: export files in a temporary media folder, tasks in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from liaison.celery import app as celery_app
from tests.suggestions.conftest import cast  # noqa: F401 - the personas, for these tests too


@pytest.fixture
def media(settings: SettingsWrapper, tmp_path: Path) -> Path:
    """The default storage writes under a temporary folder: the tests leave the repo as it was."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    """As the embedded default runs them (no broker): in this process, right after commit."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before
