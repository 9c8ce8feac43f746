"""Scenario 4, Redis outage: votes keep working, page views report unavailable and
readiness says degraded; when Redis returns, page views resume without a restart."""

import json
import time

import pytest
import requests

from tests.stack.traffic import Traffic
from tests.support.services import wait_until

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
