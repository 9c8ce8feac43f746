"""Scenario 5, PostgreSQL restart: while it is down, votes answer 503 with a JSON error
naming the dependency, within the configured timeout; once it is back, votes succeed
again within 5 s, without restarting any appserver."""

import json
import time

import pytest
import requests

from tests.stack.conftest import DEPENDENCY_TIMEOUT_S
from tests.stack.traffic import Traffic
from stack.services import wait_until

pytestmark = pytest.mark.stack

CLIENTS = 4
OUTAGE_S = 4
# The longest a vote may take while PostgreSQL is down: the timeout plus time to answer.
NO_HANG_S = DEPENDENCY_TIMEOUT_S + 1.5


def test_votes_fail_fast_while_postgres_is_down_and_recover_without_restart(stack_factory, figure):
    stack = stack_factory(replicas=3, own_dependencies=True)
    pids = [replica.pid for replica in stack.replicas]
    options = [option["name"] for option in requests.get(f"{stack.url}/api/options", timeout=5).json()]

    with Traffic(stack.url, options, clients=CLIENTS) as traffic:
        traffic.wait_for(100)
        stopping_at = time.monotonic()
        stack.postgres.stop()
        down_from = time.monotonic()
        time.sleep(OUTAGE_S)
        down_until = time.monotonic()
        stack.postgres.start()
        back_at = time.monotonic()
        wait_until(lambda: any(v.ok and v.at - v.seconds > back_at for v in traffic.of("vote")),
                   10, "a vote to succeed after PostgreSQL returned")
        traffic.wait_for(len(traffic.outcomes) + 100)

    votes = traffic.of("vote")
    during = [v for v in votes if v.at - v.seconds > down_from and v.at < down_until]
    first_ok_after = min(v.at for v in votes if v.ok and v.at - v.seconds > back_at)
    slowest = max(v.seconds for v in during)
    figure(f"PostgreSQL down {down_until - down_from:.1f} s: {len(during)} votes answered "
           f"{sorted(set(v.status for v in during))} in at most {slowest:.2f} s "
           f"(timeout {DEPENDENCY_TIMEOUT_S} s); votes succeeded again "
           f"{first_ok_after - back_at:.2f} s after it returned")

    assert during and all(v.status == 503 for v in during), [v for v in during if v.status != 503][:3]
    for vote in during:
        error = json.loads(vote.body)
        assert error["status"] == 503 and error["dependency"] == "postgresql" and error["error"]
    assert slowest <= NO_HANG_S
    assert first_ok_after - back_at <= 5
    assert [replica.pid for replica in stack.replicas] == pids, "an appserver was restarted"
    # Votes answered 200 are all there; a vote cut off by the shutdown itself may have committed.
    answered = sum(traffic.votes_ok.values())
    cut_off = [v for v in votes if not v.ok and v.at - v.seconds < down_from and v.at > stopping_at]
    assert answered <= stack.total_votes() <= answered + len(cut_off)
