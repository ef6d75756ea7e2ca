"""Fault tests reuse the voter site's fixtures: a small city, its staff, captcha in test mode."""

from tests.voters.conftest import captcha_test_mode, site  # noqa: F401
