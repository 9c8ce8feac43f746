"""Background clients for the stack scenarios, recording every single answer.

Locust (loadgen/) is the audience people run; here the scenarios need the
exact outcome of each request (which votes were answered 200, which failed
and how), so each client thread keeps its own list and nothing is sampled.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Outcome:
    kind: str            # "vote" or the read path
    option: str | None   # the option voted for
    status: int | None   # HTTP status, None when no answer came (connection error, timeout)
    seconds: float       # how long the request took
    at: float            # time.monotonic() when it finished
    body: str            # the first 300 characters of the answer, or the client error

    @property
    def ok(self) -> bool:
        return self.status == 200


class Traffic:
    """`clients` threads, each voting once then reading once from `reads` (round robin), until stopped.

    Bounded: stops by itself after `max_requests` requests in total, and each
    request has a `timeout`. Use as a context manager around the disturbance.
    """

    def __init__(self, base_url: str, options: list[str], *, clients: int = 6,
                 reads: tuple[str, ...] = ("/api/getvotes",), timeout: float = 10.0,
                 pause: float = 0.005, max_requests: int = 20_000):
        self.base_url = base_url
        self.options = options
        self.clients = clients
        self.reads = reads
        self.timeout = timeout
        self.pause = pause
        self.max_requests = max_requests
        self.outcomes: list[Outcome] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._budget = itertools.count()

    def __enter__(self) -> "Traffic":
        for number in range(self.clients):
            thread = threading.Thread(target=self._client, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(self.timeout + 5)

    def _client(self, number: int) -> None:
        session = requests.Session()
        # Each client starts at a different option so that all of them get votes early.
        options = itertools.islice(itertools.cycle(self.options), number, None)
        reads = itertools.cycle(self.reads)
        while not self._stop.is_set() and next(self._budget) < self.max_requests:
            option = next(options)
            self._request(session, "POST", f"/api/votes/{option}", "vote", option)
            path = next(reads)
            self._request(session, "GET", path, path, None)
            time.sleep(self.pause)

    def _request(self, session: requests.Session, method: str, path: str, kind: str,
                 option: str | None) -> None:
        started = time.monotonic()
        try:
            response = session.request(method, self.base_url + path, timeout=self.timeout)
            status, body = response.status_code, response.text[:300]
        except requests.RequestException as exc:
            status, body = None, f"{type(exc).__name__}: {exc}"[:300]
            session.close()  # a broken connection must not be reused
        finished = time.monotonic()
        self.outcomes.append(Outcome(kind, option, status, finished - started, finished, body))

    # -- summaries ------------------------------------------------------------------------

    def of(self, kind: str) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.kind == kind]

    @property
    def votes_ok(self) -> Counter:
        return Counter(outcome.option for outcome in self.of("vote") if outcome.ok)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.ok]

    def statuses(self, kind: str | None = None) -> Counter:
        chosen = self.outcomes if kind is None else self.of(kind)
        return Counter(outcome.status for outcome in chosen)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        """Block until at least `count` requests have been answered (or failed)."""
        deadline = time.monotonic() + timeout
        while len(self.outcomes) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.outcomes)} of {count} requests in {timeout}s")
            time.sleep(0.02)
