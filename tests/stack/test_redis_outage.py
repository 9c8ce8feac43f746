"""Scenario 4, Redis outage: votes keep working, page views report unavailable and
readiness says degraded; when Redis returns, page views resume without a restart.
A hung Redis (stopped, not gone) must not slow votes either."""

import json
import os
import signal
import statistics
import threading
import time

import pytest
import requests

from tests.stack.traffic import Traffic
from stack.services import wait_until

pytestmark = pytest.mark.stack

OUTAGE_S = 3


def pageviews_available(outcome) -> bool:
    return json.loads(outcome.body).get("pageviews_available", True)


def test_votes_survive_a_redis_outage_and_page_views_come_back(stack_factory, figure):
    stack = stack_factory(replicas=3, own_dependencies=True)
    pids = [replica.pid for replica in stack.replicas]
    options = [option["name"] for option in requests.get(f"{stack.url}/api/options", timeout=5).json()]

    with Traffic(stack.url, options, clients=4, reads=("/api/getstats",)) as traffic:
        traffic.wait_for(100)
        stack.redis.stop()
        down_from = time.monotonic()
        time.sleep(OUTAGE_S)
        readiness = requests.get(f"{stack.url}/api/readyz", timeout=5)
        replica_readiness = [requests.get(f"{url}/readyz", timeout=5).json()["status"]
                             for url in stack.replica_urls]
        down_until = time.monotonic()
        stack.redis.start()
        back_at = time.monotonic()
        recovered = wait_until(
            lambda: requests.get(f"{stack.url}/api/getstats", timeout=5).json().get("pageviews") is not None,
            10, "page views to come back")
        recovery_seconds = time.monotonic() - back_at
        traffic.wait_for(len(traffic.outcomes) + 100)

    stats = traffic.of("/api/getstats")
    during = [s for s in stats if s.at - s.seconds > down_from and s.at < down_until]
    unavailable = sum(1 for s in during if s.ok and not pageviews_available(s))
    votes = traffic.of("vote")
    figure(f"Redis down {down_until - down_from:.1f} s: {len(votes)} votes, "
           f"{sum(not v.ok for v in votes)} failed; {unavailable} of {len(during)} page-view reads said "
           f"unavailable; readiness {readiness.json()['status']}; page views back "
           f"{recovery_seconds:.2f} s after Redis returned")

    assert all(vote.ok for vote in votes), traffic.failures[:3]
    assert all(s.ok for s in stats), traffic.failures[:3]
    assert during and unavailable == len(during)
    assert readiness.status_code == 200 and readiness.json()["status"] == "degraded"
    assert replica_readiness == ["degraded"] * 3
    assert recovered
    assert [replica.pid for replica in stack.replicas] == pids, "an appserver was restarted"
    assert stack.total_votes() == sum(traffic.votes_ok.values())


POLLERS = 30
PHASE_S = 6.0


class Pollers:
    """`count` page pollers asking for /api/getstats every POLL_PAUSE_S, until stopped (at most `limit_s`)."""

    POLL_PAUSE_S = 0.2

    def __init__(self, url: str, count: int, limit_s: float):
        self.url = url
        self.answers: list[tuple[float, int | None, str]] = []  # (finished at, status, body)
        self._stop = threading.Event()
        self._deadline = time.monotonic() + limit_s
        self._threads = [threading.Thread(target=self._poll, daemon=True) for _ in range(count)]

    def __enter__(self) -> "Pollers":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def _poll(self) -> None:
        with requests.Session() as session:
            while not self._stop.is_set() and time.monotonic() < self._deadline:
                try:
                    response = session.get(f"{self.url}/api/getstats", timeout=10)
                    self.answers.append((time.monotonic(), response.status_code, response.text))
                except requests.RequestException as exc:
                    self.answers.append((time.monotonic(), None, str(exc)))
                self._stop.wait(self.POLL_PAUSE_S)


def p99(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[98]


def test_a_hung_redis_does_not_slow_votes(stack_factory, figure):
    """Redis frozen (SIGSTOP) under 30 page pollers: votes keep their normal p99, and page views
    come back by themselves when it thaws."""
    # Two replicas, 16 threads: fewer than the pollers, as in a room bigger than the deployment.
    stack = stack_factory(replicas=2, own_dependencies=True)
    pids = [replica.pid for replica in stack.replicas]
    options = [option["name"] for option in requests.get(f"{stack.url}/api/options", timeout=5).json()]

    with Pollers(stack.url, POLLERS, limit_s=4 * PHASE_S + 30) as pollers, \
            Traffic(stack.url, options, clients=4, reads=("/api/hostname",), pause=0.02) as voters:
        time.sleep(1)  # every poller and voter under way
        normal_from = time.monotonic()
        time.sleep(PHASE_S)
        os.kill(stack.redis.process.pid, signal.SIGSTOP)
        frozen_from = time.monotonic()
        try:
            time.sleep(PHASE_S)
            frozen_until = time.monotonic()
        finally:
            os.kill(stack.redis.process.pid, signal.SIGCONT)
        thawed_at = time.monotonic()
        wait_until(lambda: requests.get(f"{stack.url}/api/getstats", timeout=5).json()["pageviews"]
                   is not None, 15, "page views to come back")
        recovery_s = time.monotonic() - thawed_at

    def vote_seconds(start: float, end: float) -> list[float]:
        return [vote.seconds for vote in voters.of("vote") if start <= vote.at - vote.seconds and vote.at <= end]

    normal, frozen = vote_seconds(normal_from, frozen_from), vote_seconds(frozen_from, frozen_until)
    polls_frozen = [(status, body) for at, status, body in pollers.answers if frozen_from + 1 < at <= frozen_until]
    figure(f"Redis frozen {frozen_until - frozen_from:.1f} s under {POLLERS} page pollers: vote p99 "
           f"{p99(normal) * 1000:.0f} ms normal ({len(normal)} votes), {p99(frozen) * 1000:.0f} ms "
           f"frozen ({len(frozen)} votes); {len(polls_frozen)} page-view reads answered while frozen; "
           f"page views back {recovery_s:.1f} s after Redis thawed")

    assert all(vote.ok for vote in voters.of("vote")), voters.failures[:3]
    assert len(normal) > 100 and len(frozen) > 1
    assert p99(frozen) <= 2 * p99(normal)
    assert len(frozen) > len(normal) / 2, "votes were answered at under half their normal rate"
    assert polls_frozen and all(status == 200 and json.loads(body)["pageviews_available"] is False
                                for status, body in polls_frozen)
    assert [replica.pid for replica in stack.replicas] == pids, "an appserver was restarted"
