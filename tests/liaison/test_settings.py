"""Settings come from the environment; a bad value stops the start with the variable's name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Start from the machine's environment without what the test run itself set.
    ours = {
        "DATABASE_URL",
        "REDIS_URL",
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "STATIC_MANIFEST",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {
        k: v for k, v in os.environ.items() if k not in ours and not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DEBUG", "maybe"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("DB_CONN_MAX_AGE", "ten"),
        ("REPLY_LIMIT_DAYS", "0"),
    ],
)
def test_bad_value_names_the_variable(variable: str, value: str) -> None:
    env = {"DEBUG": "1", variable: value}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert variable in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_secret_key_required_when_debug_is_off() -> None:
    result = run_manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_deploy_check_with_production_settings_is_clean() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 20 + "-production-secret-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="liaison.example.gov.cn",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNING" not in result.stderr
    assert "no issues" in result.stdout


def test_chinese_is_the_default_language_and_shanghai_the_time_zone(settings: object) -> None:
    assert settings.LANGUAGE_CODE == "zh-hans"  # type: ignore[attr-defined]
    assert settings.TIME_ZONE == "Asia/Shanghai"  # type: ignore[attr-defined]
    assert ("en", "English") in settings.LANGUAGES  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_health_check_answers_ok(client: object) -> None:
    response = client.get("/healthz")  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_every_environment_variable_is_documented_in_env_example() -> None:
    import re

    used: set[str] = set()
    for path in [*ROOT.glob("liaison/*.py"), *ROOT.glob("*/settings.py")]:
        used |= set(re.findall(r'env_(?:str|bool|int|float|list|database|url)\(\s*"([A-Z0-9_]+)"', path.read_text()))
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert used, "no settings read from the environment?"
    assert used - documented == set()
