"""The Redis cache (django-redis), with a per-process stand-in while Redis cannot be reached.

Everything the portal keeps in the cache can be rebuilt or may be lost: rate-limit and throttle
counters, rendered fragments, short-lived lists, duplicate-submission markers. So when Redis
does not answer (refused, timed out, loading), each call goes to a local-memory cache of this
process instead of failing the request:

- reads are misses at first (fragments and lists are computed again);
- rate limits and throttles keep counting, per process (with N gunicorn workers a client gets
  at most N times its limit while Redis is down);
- after a failure this process leaves Redis alone for `FALLBACK_SECONDS`, so an outage costs
  one connect timeout per process and window, not one per call; then it tries again, and the
  first answer switches every call back to Redis, where the limits count as before.

django-redis keeps one `redis.Redis` client per server and backend instance (the stock
Django backend built one per call, and filling its ~170 response callbacks cost more than
the round trip). The health check (`liaison.health`) pings Redis itself, never the stand-in.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache as DjangoRedisCache  # type: ignore[import-untyped]
from django_redis.exceptions import ConnectionInterrupted  # type: ignore[import-untyped]
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What "Redis cannot be reached" looks like; a wrong command (ResponseError) still raises.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, socket.timeout, OSError, ConnectionInterrupted)

DEFAULT_FALLBACK_SECONDS = 5.0
FALLBACK_MAX_ENTRIES = 10_000

# Per process and server: until when calls skip Redis (time.monotonic()).
_down_until: dict[str, float] = {}
_state_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
    """django-redis's RedisCache; while Redis is unreachable, a LocMemCache of this process.

    OPTIONS takes django-redis's keys (SOCKET_CONNECT_TIMEOUT, SOCKET_TIMEOUT, ...) and
    FALLBACK_SECONDS (default: settings.CACHE_FALLBACK_SECONDS): how long after a failure calls
    go to the stand-in before Redis is tried again.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        default = getattr(settings, "CACHE_FALLBACK_SECONDS", DEFAULT_FALLBACK_SECONDS)
        self.fallback_seconds = float(options.pop("FALLBACK_SECONDS", default))
        super().__init__(server, {**params, "OPTIONS": options})
        self._state_key = server
        # Same key prefix, version and timeout as the Redis side; one store per server and process
        # (LocMemCache instances with the same name share it), whatever the thread.
        local_params = {
            key: params[key] for key in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION") if key in params
        }
        local_params["OPTIONS"] = {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES}
        self.fallback = LocMemCache(f"liaison-fallback:{server}", local_params)

    # --- state -------------------------------------------------------------------------

    @property
    def unreachable(self) -> bool:
        """True while this process sends calls to the stand-in."""
        return time.monotonic() < _down_until.get(self._state_key, 0.0)

    def _failed(self, exc: BaseException) -> None:
        with _state_lock:
            was_up = self._state_key not in _down_until
            _down_until[self._state_key] = time.monotonic() + self.fallback_seconds
        if was_up:
            logger.warning(
                "Redis cache unreachable (%s); this process uses its local cache, retrying every %g s.",
                exc,
                self.fallback_seconds,
            )

    def _answered(self) -> None:
        if self._state_key in _down_until:
            with _state_lock:
                recovered = _down_until.pop(self._state_key, None) is not None
            if recovered:
                logger.warning("Redis cache reachable again; limits and cached pages are shared again.")

    def _call(self, redis_call: Callable[[], T], local_call: Callable[[], T]) -> T:
        if self.unreachable:
            return local_call()
        try:
            result = redis_call()
        except UNREACHABLE as exc:
            self._failed(exc)
            return local_call()
        self._answered()
        return result

    # --- Django's cache API ----------------------------------------------------------------
    # (get_or_set and the *_many helpers of BaseCache go through these.)

    def get(self, key: Any, default: Any = None, version: int | None = None, client: Any = None) -> Any:
        return self._call(
            lambda: super(RedisCache, self).get(key, default, version=version, client=client),
            lambda: self.fallback.get(key, default, version=version),
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None, **kwargs: Any
    ) -> Any:
        return self._call(
            lambda: super(RedisCache, self).set(key, value, timeout, version=version, **kwargs),
            lambda: self.fallback.set(key, value, timeout, version=version),
        )

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None, **kwargs: Any
    ) -> Any:
        return self._call(
            lambda: super(RedisCache, self).add(key, value, timeout, version=version, **kwargs),
            lambda: self.fallback.add(key, value, timeout, version=version),
        )

    def delete(self, key: Any, version: int | None = None, **kwargs: Any) -> Any:
        return self._call(
            lambda: super(RedisCache, self).delete(key, version=version, **kwargs),
            lambda: self.fallback.delete(key, version=version),
        )

    def get_many(self, keys: Any, version: int | None = None, **kwargs: Any) -> Any:
        return self._call(
            lambda: super(RedisCache, self).get_many(keys, version=version, **kwargs),
            lambda: self.fallback.get_many(keys, version=version),
        )

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None, **kwargs: Any) -> Any:
        return self._call(
            lambda: super(RedisCache, self).set_many(data, timeout, version=version, **kwargs),
            lambda: self.fallback.set_many(data, timeout, version=version),
        )

    def delete_many(self, keys: Any, version: int | None = None, **kwargs: Any) -> Any:
        return self._call(
            lambda: super(RedisCache, self).delete_many(keys, version=version, **kwargs),
            lambda: self.fallback.delete_many(keys, version=version),
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None, **kwargs: Any) -> Any:
        return self._call(
            lambda: super(RedisCache, self).incr(key, delta, version=version, **kwargs),
            lambda: self.fallback.incr(key, delta, version=version),
        )

    def decr(self, key: Any, delta: int = 1, version: int | None = None, **kwargs: Any) -> Any:
        return self._call(
            lambda: super(RedisCache, self).decr(key, delta, version=version, **kwargs),
            lambda: self.fallback.decr(key, delta, version=version),
        )

    def has_key(self, key: Any, version: int | None = None, **kwargs: Any) -> Any:
        return self._call(
            lambda: super(RedisCache, self).has_key(key, version=version, **kwargs),
            lambda: self.fallback.has_key(key, version=version),
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None, **kwargs: Any) -> Any:
        return self._call(
            lambda: super(RedisCache, self).touch(key, timeout, version=version, **kwargs),
            lambda: self.fallback.touch(key, timeout, version=version),
        )

    def clear(self) -> Any:
        return self._call(lambda: super(RedisCache, self).clear(), self.fallback.clear)

    # --- for the health check ----------------------------------------------------------------

    def ping(self) -> bool:
        """Ask Redis itself (never the stand-in); raises when it cannot be reached."""
        result = bool(self.client.get_client(write=True).ping())
        self._answered()
        return result
