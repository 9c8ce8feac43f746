"""Page views in Redis: the original's `pageviews` key, incremented with INCR.

Page views are optional and votes are not, so Redis gets a short timeout
(YELB_REDIS_TIMEOUT) and a Bulkhead: a hung Redis holds all but one of a
worker's threads at most, for that short time, and is then left alone for
YELB_REDIS_CIRCUIT_OPEN seconds, page views answering "unavailable" at once.
"""

from __future__ import annotations

import socket
import struct
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


class KernelTimedConnection(redis.Connection):
    """A connection whose socket blocks, its timeout kept by the kernel (SO_RCVTIMEO, SO_SNDTIMEO).

    A Python socket with a timeout of its own polls before every send and every receive:
    two more system calls per command, each one letting go of the interpreter lock that the
    worker's other threads are waiting for. The kernel bounds a hung Redis as well, and
    a command is then one send and one receive.
    """

    def __init__(self, *, kernel_timeout: float, **kwargs):
        super().__init__(**kwargs)
        self._kernel_timeout = kernel_timeout
        seconds = max(kernel_timeout, 1e-6)  # a zero timeval would mean "wait for ever"
        self._timeval = struct.pack("ll", int(seconds), round(seconds % 1 * 1e6))

    def _connect(self):
        sock = super()._connect()  # connected within socket_connect_timeout, then blocking
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, self._timeval)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, self._timeval)
        return sock

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except redis.ConnectionError as failure:
            # The kernel's timeout reaches redis-py as a failed read (EAGAIN): say what it is,
            # and make it a TimeoutError, which is never sent again (RedisPageViewStore).
            if isinstance(failure.__context__, BlockingIOError):
                raise redis.TimeoutError(
                    f"no answer within YELB_REDIS_TIMEOUT ({self._kernel_timeout:g} s)") from None
            raise


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
            pool = redis.ConnectionPool(
                connection_class=KernelTimedConnection,
                host=self._config.redis_host,
                port=self._config.redis_port,
                kernel_timeout=self._config.redis_timeout,
                socket_timeout=None,
                socket_connect_timeout=self._config.redis_timeout,
                # Fail fast and let the caller degrade: a retry loop would turn an outage
                # into slow page loads. One exception: a connection Redis has closed (a restart)
                # is found by the command that uses it next, and that command is sent once more,
                # at once, on a new connection. A command that timed out waiting for its answer
                # is never sent again.
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
                health_check_interval=30,
            )
            # Connects now: so this is made inside the guarded call.
            client = self._per_thread.client = redis.Redis(connection_pool=pool, single_connection_client=True)
        return client

    def _command(self, *command):
        return self._client().execute_command(*command)

    def increment(self) -> int:
        # INCRBY by 1, as redis-py's incr() sends it and traces have always named it.
        return self._call("incr", lambda: int(self._command("INCRBY", PAGEVIEWS_KEY, 1)))

    def current(self) -> int:
        return self._call("get", lambda: int(self._command("GET", PAGEVIEWS_KEY) or 0))

    def ping(self) -> None:
        self._call("ping", lambda: self._command("PING"))
