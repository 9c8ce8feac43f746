"""Page views in Redis: the original's `pageviews` key, incremented with INCR.

Page views are optional and votes are not, so Redis gets a short timeout
(YELB_REDIS_TIMEOUT) and a Bulkhead: a hung Redis holds all but one of a
worker's threads at most, for that short time, and is then left alone for
YELB_REDIS_CIRCUIT_OPEN seconds, page views answering "unavailable" at once.
"""

from __future__ import annotations

import threading

from ..config import Config
from ..dependencies import Bulkhead, Dependency
from ..optional_imports import without

# redis-py loads OpenTelemetry's metrics API and SDK whenever they are installed (they are, for
# tracing), for metrics of its own that this app never turns on: about 2 MiB in every process.
with without("opentelemetry"):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

PAGEVIEWS_KEY = "pageviews"


class RedisPageViewStore:
    dependency = "redis"

    def __init__(self, config: Config):
        self._config = config
        self._per_thread = threading.local()
        bulkhead = Bulkhead(self.dependency, max_in_flight=max(1, config.threads - 1),
                            open_seconds=config.redis_circuit_open)
        self._call = Dependency(self.dependency, (redis.RedisError, OSError), bulkhead).call

    def _client(self) -> redis.Redis:
        """This thread's own client, on one connection of its own.

        A shared pool would check a connection out and in around every command, and poll
        its socket for stray data each time: that was about half of a page view's CPU in
        redis-py 8.1. A worker's request threads are fixed, so connections stay bounded
        by its thread count, as with the pool.
        """
        client = getattr(self._per_thread, "client", None)
        if client is None:
            client = self._per_thread.client = redis.Redis(
                host=self._config.redis_host,
                port=self._config.redis_port,
                socket_timeout=self._config.redis_timeout,
                socket_connect_timeout=self._config.redis_timeout,
                # Fail fast and let the caller degrade: a retry loop would turn an outage
                # into slow page loads. The connection reconnects on the next call by itself.
                retry=Retry(NoBackoff(), 0),
                health_check_interval=30,
                single_connection_client=True,  # connects now: made inside the guarded call
            )
        return client

    def increment(self) -> int:
        return self._call("incr", lambda: int(self._client().incr(PAGEVIEWS_KEY)))

    def current(self) -> int:
        return self._call("get", lambda: int(self._client().get(PAGEVIEWS_KEY) or 0))

    def ping(self) -> None:
        self._call("ping", lambda: self._client().ping())
