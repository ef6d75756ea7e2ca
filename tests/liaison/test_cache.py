"""The Redis cache backend: the stock behaviour, on one reused client per pool."""

from __future__ import annotations

import os
import uuid

import pytest

from liaison.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def cache() -> RedisCache:
    return RedisCache(REDIS_URL, {"KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}", "TIMEOUT": 60})


def test_values_counters_and_expiry_behave_as_djangos(cache: RedisCache) -> None:
    cache.set("form", "<div>表单</div>")
    assert cache.get("form") == "<div>表单</div>"
    assert cache.add("n", 0, 30)
    assert not cache.add("n", 5, 30)
    assert cache.incr("n") == 1
    assert cache.get_many(["form", "missing"]) == {"form": "<div>表单</div>"}
    cache.set("gone", 1, 0)
    assert cache.get("gone") is None
    cache.delete("form")
    assert cache.get("form") is None


def test_one_client_serves_every_call(cache: RedisCache) -> None:
    inner = cache._cache
    assert inner.get_client("a") is inner.get_client("b")
    assert inner.get_client("a", write=True) is inner.get_client("c", write=True)
