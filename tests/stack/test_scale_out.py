"""Scenario 1, scale-out: with 3 replicas, the front spreads requests over all of them."""

from collections import Counter

import pytest
import requests

pytestmark = pytest.mark.stack

REQUESTS = 300


def test_front_spreads_requests_over_every_replica(stack_factory, figure):
    stack = stack_factory(replicas=3)
    session = requests.Session()
    seen = Counter()
    for _ in range(REQUESTS):
        response = session.get(f"{stack.url}/api/hostname", timeout=5)
        assert response.status_code == 200, response.text
        seen[response.text] += 1

    figure(f"{REQUESTS} requests through the front reached {len(seen)} replicas: "
           + ", ".join(f"{name}={count}" for name, count in sorted(seen.items())))
    assert set(seen) == {stack.hostname(i) for i in range(3)}
    assert max(seen.values()) <= REQUESTS // 2
