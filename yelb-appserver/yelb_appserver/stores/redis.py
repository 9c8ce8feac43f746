"""Page views in Redis: the original's `pageviews` key, incremented with INCR."""

from __future__ import annotations

from typing import Callable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..config import Config
from ..dependencies import Dependency

PAGEVIEWS_KEY = "pageviews"


class RedisPageViewStore:
    dependency = "redis"

    def __init__(self, config: Config, latency: Callable[[], float]):
        self._client = redis.Redis(
            host=config.redis_host,
            port=config.redis_port,
            socket_timeout=config.dependency_timeout,
            socket_connect_timeout=config.dependency_timeout,
            # Fail fast and let the caller degrade: a retry loop would turn an outage
            # into slow page loads. The pool reconnects on the next call by itself.
            retry=Retry(NoBackoff(), 0),
            health_check_interval=30,
        )
        self._call = Dependency(self.dependency, (redis.RedisError, OSError), latency).call

    def increment(self) -> int:
        return self._call("incr", lambda: int(self._client.incr(PAGEVIEWS_KEY)))

    def current(self) -> int:
        return self._call("get", lambda: int(self._client.get(PAGEVIEWS_KEY) or 0))

    def ping(self) -> None:
        self._call("ping", self._client.ping)
