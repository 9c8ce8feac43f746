"""One wrapper around every call to a backing service.

It is where the appserver measures dependency latency, counts errors, logs
what failed, reports whether a dependency is up, and turns a driver's
exception into a DependencyError that names the dependency, so the rest of
the code never sees psycopg, redis or sqlite3 exceptions.

An optional dependency (Redis, for page views) also gets a Bulkhead, so that
when it hangs, the threads that votes need are not all left waiting on it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Callable, ContextManager, TypeVar

from . import metrics

T = TypeVar("T")

log = logging.getLogger("yelb.dependencies")


class DependencyError(RuntimeError):
    """A backing service failed or did not answer in time.

    `public` is what a client may read; `detail` (which can name a host and
    port) goes to the log only.
    """

    def __init__(self, dependency: str, detail: str):
        super().__init__(f"{dependency} is unavailable: {detail}")
        self.dependency = dependency
        self.detail = detail
        self.public = f"{dependency} is unavailable"


class Bulkhead:
    """Keeps calls to an optional dependency from tying up a worker.

    At most `max_in_flight` calls wait on the dependency at once; another call
    waits at most SLOT_WAIT_S for a slot (a healthy dependency frees one within
    a millisecond or so), then it is refused.

    After FAILURES_TO_OPEN failed calls in a row the circuit opens: for
    `open_seconds` every call is refused without asking. Then one call at a
    time probes it, and the first that works closes the circuit again.
    (pybreaker would do this part, but it holds one lock for the whole call,
    which would make every call to the dependency wait for the one before.)
    """

    FAILURES_TO_OPEN = 3
    SLOT_WAIT_S = 0.05

    def __init__(self, name: str, max_in_flight: int, open_seconds: float):
        self.name = name
        self._open_seconds = open_seconds
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0
        self._probing = False

    @contextlib.contextmanager
    def call(self):
        probe = self._admit()
        if not self._slots.acquire(timeout=self.SLOT_WAIT_S):
            self._finished(probe, None)
            raise DependencyError(self.name, "not asked: too many calls already waiting on it")
        try:
            yield
        except BaseException:
            self._finished(probe, False)
            raise
        else:
            self._finished(probe, True)
        finally:
            self._slots.release()

    def _admit(self) -> bool:
        """Whether the call is the circuit's probe; refuses it while the circuit is open."""
        with self._lock:
            if self._failures < self.FAILURES_TO_OPEN:
                return False
            if self._probing or time.monotonic() < self._open_until:
                raise DependencyError(self.name, "not asked: the circuit is open after repeated failures")
            self._probing = True
            return True

    def _finished(self, probe: bool, succeeded: bool | None) -> None:
        """Record a call's outcome; None: it was never made (a probe gives its turn back)."""
        with self._lock:
            if probe:
                self._probing = False
            if succeeded is None:
                return
            was_open = self._failures >= self.FAILURES_TO_OPEN
            self._failures = 0 if succeeded else self._failures + 1
            now_open = self._failures >= self.FAILURES_TO_OPEN
            if now_open:
                self._open_until = time.monotonic() + self._open_seconds
        if now_open and not was_open:
            log.warning("circuit opened", extra={"fields": {
                "dependency": self.name, "failures": self.FAILURES_TO_OPEN, "open_seconds": self._open_seconds}})
        elif was_open and not now_open:
            log.info("circuit closed", extra={"fields": {"dependency": self.name}})


class Dependency:
    # While calls keep working, yelb_dependency_up is rewritten at most this often rather
    # than on every call (each write is a locked write to a shared file). With several
    # workers a scrape shows the most recent write, so a worker's "down" is outdated by
    # another worker's working call within this time.
    UP_REWRITE_SECONDS = 1.0

    def __init__(self, name: str, errors: tuple[type[BaseException], ...], bulkhead: Bulkhead | None = None):
        self.name = name
        self._errors = errors
        self._guard: Callable[[], ContextManager] = bulkhead.call if bulkhead else contextlib.nullcontext
        self._up = metrics.DEPENDENCY_UP.labels(name)
        self._failures = metrics.DEPENDENCY_ERRORS.labels(name)
        self._latency: dict[str, metrics.Histogram] = {}
        self._up_written: tuple[int, float] | None = None  # value, when

    def call(self, operation: str, action: Callable[[], T]) -> T:
        latency = self._latency.get(operation)
        if latency is None:
            latency = self._latency[operation] = metrics.DEPENDENCY_LATENCY.labels(self.name, operation)
        with self._guard():
            started = time.perf_counter()
            try:
                result = action()
            except self._errors as exc:
                self._failures.inc()
                self._report_up(0)
                detail = _first_line(exc)
                log.warning("dependency failed", extra={"fields": {
                    "dependency": self.name, "operation": operation, "detail": detail}})
                raise DependencyError(self.name, detail) from exc
            finally:
                latency.observe(time.perf_counter() - started)
        self._report_up(1)
        return result

    def _report_up(self, value: int) -> None:
        now = time.monotonic()
        written = self._up_written
        if written is None or written[0] != value or now - written[1] >= self.UP_REWRITE_SECONDS:
            self._up.set(value)
            self._up_written = (value, now)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
