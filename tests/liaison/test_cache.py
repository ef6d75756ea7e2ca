"""The Redis cache backend: django-redis behaving as Django's cache, one client per backend,
and a local stand-in while Redis cannot be reached (the outage test is tests/faults/)."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from liaison.cache import RedisCache
from tests.redis_server import RedisServer

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def backend(url: str, **options: float) -> RedisCache:
    return RedisCache(url, {"KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}", "TIMEOUT": 60, "OPTIONS": options})


@pytest.fixture
def cache() -> RedisCache:
    return backend(REDIS_URL)


@pytest.fixture
def dead_url() -> str:
    with socket.socket() as s:  # a port nothing listens on: every connection is refused
        s.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{s.getsockname()[1]}/0"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections and never answers: every read times out."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        yield f"redis://127.0.0.1:{s.getsockname()[1]}/0"


def test_values_counters_and_expiry_behave_as_djangos(cache: RedisCache) -> None:
    cache.set("form", "<div>表单</div>")
    assert cache.get("form") == "<div>表单</div>"
    assert cache.add("n", 0, 30)
    assert not cache.add("n", 5, 30)
    assert cache.incr("n") == 1
    assert cache.get_many(["form", "missing"]) == {"form": "<div>表单</div>"}
    cache.set("forever", 1, None)
    assert cache.client.get_client().ttl(cache.make_key("forever")) == -1  # None: no expiry
    cache.set("gone", 1, 0)
    assert cache.get("gone") is None
    assert cache.get_or_set("made", lambda: "新", 30) == "新"
    cache.delete("form")
    assert cache.get("form") is None
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-set")
    assert not cache.unreachable
    assert cache.ping()


def test_one_client_serves_every_call(cache: RedisCache) -> None:
    cache.get("a")
    first = cache.client.get_client(write=False)
    cache.set("b", 1)
    assert cache.client.get_client(write=True) is first


def test_an_unreachable_redis_is_a_local_cache_of_this_process(dead_url: str) -> None:
    cache = backend(dead_url, FALLBACK_SECONDS=30)
    assert cache.get("fragment") is None  # a miss, not an error
    assert cache.unreachable
    cache.set("fragment", "<p>本地</p>", 30)
    assert cache.get("fragment") == "<p>本地</p>"
    # Counters keep counting, as rate limits need.
    assert cache.add("hits", 1, 60)
    assert cache.incr("hits") == 2
    # Another backend instance of the same process (another thread) sees the same store.
    other = RedisCache(dead_url, {"KEY_PREFIX": cache.key_prefix, "OPTIONS": {"FALLBACK_SECONDS": 30}})
    assert other.get("hits") == 2
    # The health check asks Redis itself.
    with pytest.raises(redis.ConnectionError):
        cache.ping()


def test_a_silent_redis_costs_one_timeout_per_window_not_one_per_call(silent_url: str) -> None:
    cache = backend(silent_url, SOCKET_CONNECT_TIMEOUT=0.2, SOCKET_TIMEOUT=0.2, FALLBACK_SECONDS=30)
    started = time.monotonic()
    for i in range(50):
        cache.set(f"k{i}", i)
        assert cache.get(f"k{i}") == i
    elapsed = time.monotonic() - started
    assert 0.2 <= elapsed < 1.0, elapsed


def test_calls_go_back_to_redis_when_it_answers_again(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        cache = backend(server.url, FALLBACK_SECONDS=0.2)
        server.stop()
        cache.set("where", "local")
        assert cache.unreachable
        server.start()
        time.sleep(0.3)
        assert cache.get("where") is None  # read from Redis, not the stand-in
        assert not cache.unreachable
        cache.set("where", "redis")
        assert server.client().get(cache.make_key("where")) is not None
    finally:
        server.stop()
