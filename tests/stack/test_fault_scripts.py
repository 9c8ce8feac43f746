"""The fault-injection experiments (scripts/faults/yelb-faults) against the whole stack:
each fault lands on one replica, shows up in what that replica answers and in its
/metrics, and is cleared everywhere afterwards."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.stack import Stack

pytestmark = pytest.mark.stack

SCRIPT = Path(__file__).parents[2] / "scripts" / "faults" / "yelb-faults"
ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def stack(postgres, redis_server, tmp_path_factory):
    with Stack(3, base_dir=tmp_path_factory.mktemp("faults-stack"), postgres=postgres,
               redis=redis_server, env={"YELB_FAULT_INJECTION": "true"}) as running:
        yield running


def experiment(stack, *args: str) -> tuple[str, dict[str, tuple[int, int, int]], str]:
    result = subprocess.run([sys.executable, str(SCRIPT), stack.url, *args, "--requests", "30",
                             "--pause", "0.01"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    injected = re.search(r"^injected .* on (\S+)$", result.stdout, re.MULTILINE).group(1)
    rows = {host: tuple(map(int, numbers)) for host, *numbers in ROW.findall(result.stdout)}
    return injected, rows, result.stdout


def assert_cleared_everywhere(stack):
    for url in stack.replica_urls:
        faults = requests.get(f"{url}/api/faults", timeout=5).json()["faults"]
        assert not any(faults.values()), (url, faults)


@pytest.mark.parametrize("name", ["slow-replica", "slow-database", "slow-cache"])
def test_latency_faults_slow_down_one_replica_only(stack, figure, name):
    injected, rows, output = experiment(stack, name, "--ms", "250")
    medians = {host: median for host, (_, _, median) in rows.items()}
    figure(f"{name}: median ms by replica {medians}")
    assert medians[injected] >= 250, output
    assert all(median < 150 for host, median in medians.items() if host != injected), output
    assert_cleared_everywhere(stack)


def test_failing_replica_answers_500_and_the_others_do_not(stack, figure):
    injected, rows, output = experiment(stack, "failing-replica", "--rate", "1")
    figure(f"failing-replica: rows {rows}")
    assert rows["(error)"][0] > 0 and injected not in rows, output
    assert all(failed == 0 for host, (_, failed, _) in rows.items() if host != "(error)"), output
    assert_cleared_everywhere(stack)


def test_unready_replica_fails_readiness_and_shows_in_metrics(stack, figure):
    injected, rows, output = experiment(stack, "unready-replica", "--keep")
    try:
        replica_url = stack.replica_urls[int(injected.rsplit("-", 1)[1]) - 1]
        metrics = requests.get(f"{replica_url}/metrics", timeout=5).text
        readiness = requests.get(f"{replica_url}/readyz", timeout=5)
    finally:
        subprocess.run([sys.executable, str(SCRIPT), stack.url, "clear"], check=True, timeout=60,
                       capture_output=True)
    figure(f"unready-replica: rows {rows}; /readyz of {injected}: {readiness.status_code}")
    answers, failed, _ = rows[injected]
    assert failed == answers > 0, output
    assert all(failed == 0 for host, (_, failed, _) in rows.items() if host != injected), output
    assert readiness.status_code == 503
    assert re.search(r'^yelb_fault_injection_active\{fault="readiness_fail"\} 1\.0$', metrics, re.MULTILINE)
    assert_cleared_everywhere(stack)
