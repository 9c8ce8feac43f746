"""Scenario 2, rolling restart under load: replace every replica one by one while an
audience (the project's Locust file) votes through the front. No request may fail,
and PostgreSQL must hold exactly the votes that were answered 200."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stack.services import wait_until

pytestmark = pytest.mark.stack

LOCUSTFILE = Path(__file__).parents[2] / "loadgen" / "locustfile.py"
# A roll takes about 3 x (stop + start + the front's fail_timeout of 2 s).
RUN_SECONDS = 35


def run_audience(url: str, seconds: int, users: int = 20) -> subprocess.Popen:
    """The Locust audience, headless and bounded, quick on its feet (10-50 ms between actions)."""
    return subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
         "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
         "--stop-timeout", "5", "--think-time", "0.01-0.05", "--host", url, "--loglevel", "WARNING"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def summary_of(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith("yelb-loadgen-json: "):
            return json.loads(line.removeprefix("yelb-loadgen-json: "))
    raise AssertionError(f"no summary line in Locust's output:\n{output[-3000:]}")


def test_rolling_restart_loses_no_request_and_no_vote(stack_factory, figure):
    stack = stack_factory(replicas=3)
    assert stack.total_votes() == 0

    audience = run_audience(stack.url, RUN_SECONDS)
    try:
        wait_until(lambda: stack.total_votes() > 50, 15, "the audience's first votes")
        started = time.monotonic()
        for index in range(3):
            stack.restart_replica(index)
        roll_seconds = time.monotonic() - started
        assert audience.poll() is None, "the load ended before the roll did: the scenario proved nothing"
        output, _ = audience.communicate(timeout=RUN_SECONDS + 30)
    finally:
        audience.kill()
    summary = summary_of(output)

    in_database = stack.total_votes()
    figure(f"rolled 3 replicas in {roll_seconds:.1f} s under {summary['requests_per_s']} req/s: "
           f"{summary['requests']} requests, {summary['failures']} failed, p95 {summary['p95_ms']} ms; "
           f"votes answered 200: {summary['votes_ok']}, in PostgreSQL: {in_database}")
    # A 502 on a vote here: the front did not resend a vote reset by a stopping replica
    # (see "The rolling restart and the front" in tests/stack/README.md).
    assert summary["failures"] == 0, output[-3000:]
    assert in_database == summary["votes_ok"]
    assert audience.returncode == 0, output[-3000:]
