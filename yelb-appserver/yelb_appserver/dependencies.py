"""One wrapper around every call to a backing service.

It is where the appserver measures dependency latency, counts errors, reports
whether a dependency is up, applies injected latency, and turns a driver's
exception into a DependencyError that names the dependency, so the rest of the
code never sees psycopg, redis or sqlite3 exceptions.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from . import metrics

T = TypeVar("T")


class DependencyError(RuntimeError):
    """A backing service failed or did not answer in time."""

    def __init__(self, dependency: str, detail: str):
        super().__init__(f"{dependency} is unavailable: {detail}")
        self.dependency = dependency
        self.detail = detail


class Dependency:
    def __init__(self, name: str, errors: tuple[type[BaseException], ...],
                 injected_latency: Callable[[], float] = lambda: 0.0):
        self.name = name
        self._errors = errors
        self._injected_latency = injected_latency

    def call(self, operation: str, action: Callable[[], T]) -> T:
        delay = self._injected_latency()
        if delay:
            time.sleep(delay)
        started = time.perf_counter()
        try:
            result = action()
        except self._errors as exc:
            metrics.DEPENDENCY_ERRORS.labels(self.name).inc()
            metrics.DEPENDENCY_UP.labels(self.name).set(0)
            raise DependencyError(self.name, _first_line(exc)) from exc
        finally:
            metrics.DEPENDENCY_LATENCY.labels(self.name, operation).observe(
                time.perf_counter() - started
            )
        metrics.DEPENDENCY_UP.labels(self.name).set(1)
        return result


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
