"""A password hasher for tests that counts how often a password was hashed, so a test can see
that a refused login cost no hashing."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingMD5Hasher(MD5PasswordHasher):
    algorithm = "md5"
    calls: ClassVar[list[str]] = []

    def encode(self, password: str, salt: str, *args: Any, **kwargs: Any) -> str:
        CountingMD5Hasher.calls.append("hash")
        return super().encode(password, salt, *args, **kwargs)
