"""Page views in Redis: the original's `pageviews` key, incremented with INCR.

Page views are optional and votes are not, so Redis gets a short timeout
(YELB_REDIS_TIMEOUT) and a Bulkhead: a hung Redis holds all but one of a
worker's threads at most, for that short time, and is then left alone for
YELB_REDIS_CIRCUIT_OPEN seconds, page views answering "unavailable" at once.
"""

from __future__ import annotations

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
        self._client = redis.Redis(
            host=config.redis_host,
            port=config.redis_port,
            socket_timeout=config.redis_timeout,
            socket_connect_timeout=config.redis_timeout,
            # Fail fast and let the caller degrade: a retry loop would turn an outage
            # into slow page loads. The pool reconnects on the next call by itself.
            retry=Retry(NoBackoff(), 0),
            health_check_interval=30,
        )
        bulkhead = Bulkhead(self.dependency, max_in_flight=max(1, config.threads - 1),
                            open_seconds=config.redis_circuit_open)
        self._call = Dependency(self.dependency, (redis.RedisError, OSError), bulkhead).call

    def increment(self) -> int:
        return self._call("incr", lambda: int(self._client.incr(PAGEVIEWS_KEY)))

    def current(self) -> int:
        return self._call("get", lambda: int(self._client.get(PAGEVIEWS_KEY) or 0))

    def ping(self) -> None:
        self._call("ping", self._client.ping)
