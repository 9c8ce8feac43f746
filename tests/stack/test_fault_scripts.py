"""The fault-injection experiments (scripts/faults/yelb-faults) against the whole stack:
each fault lands on one replica (the script calls it directly, with the stack's fault
token), shows up in what that replica answers through the front and in its /metrics,
and is cleared everywhere afterwards."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from stack import Stack

pytestmark = pytest.mark.stack

SCRIPT = Path(__file__).parents[2] / "scripts" / "faults" / "yelb-faults"
ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def stack(postgres, redis_server, tmp_path_factory):
    with Stack(3, base_dir=tmp_path_factory.mktemp("faults-stack"), postgres=postgres,
               redis=redis_server, env={"YELB_FAULT_INJECTION": "true"}) as running:
        yield running


def run_script(stack, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    replicas = [argument for url in stack.replica_urls for argument in ("--replica", url)]
    return subprocess.run([sys.executable, str(SCRIPT), stack.url, *args, *replicas], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "YELB_FAULT_TOKEN": stack.fault_token})


def experiment(stack, *args: str) -> tuple[str, dict[str, tuple[int, int, int]], str]:
    result = run_script(stack, *args, "--requests", "30", "--pause", "0.01")
    assert result.returncode == 0, result.stdout + result.stderr
    injected = re.search(r"^injected .* on (\S+)$", result.stdout, re.MULTILINE).group(1)
    rows = {host: tuple(map(int, numbers)) for host, *numbers in ROW.findall(result.stdout)}
    return injected, rows, result.stdout


def assert_cleared_everywhere(stack):
    for url in stack.replica_urls:
        faults = requests.get(f"{url}/api/faults", timeout=5,
                              headers={"Authorization": f"Bearer {stack.fault_token}"}).json()["faults"]
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
        run_script(stack, "clear").check_returncode()
    figure(f"unready-replica: rows {rows}; /readyz of {injected}: {readiness.status_code}")
    answers, failed, _ = rows[injected]
    assert failed == answers > 0, output
    assert all(failed == 0 for host, (_, failed, _) in rows.items() if host != injected), output
    assert readiness.status_code == 503
    assert re.search(r'^yelb_fault_injection_active\{fault="readiness_fail"\} 1\.0$', metrics, re.MULTILINE)
    assert_cleared_everywhere(stack)


FAULT_PATHS = ["/api/faults", "/api/faults/", "//api//faults", "/api/%66aults", "/api/./faults",
               "/api/faults?x=1", "/api/votes/../faults"]


def test_anonymous_fault_attempts_are_refused(stack, figure):
    """What an attacker tried on `make stack-up`: PUT /api/faults through the public front, from
    a cross-site page too. The front never passes it on, whatever the spelling or the token; a
    replica reached directly wants the token. Nothing changes, and every read still answers."""
    attempts = []
    attack = {"error_rate": 1.0, "latency_ms": 35_000}
    for path in FAULT_PATHS:
        for headers in ({}, {"Origin": "https://elsewhere.example"},
                        {"Authorization": f"Bearer {stack.fault_token}"}):
            for method in ("PUT", "DELETE", "GET"):
                answer = requests.request(method, stack.url + path, json=attack, headers=headers, timeout=5)
                attempts.append(answer.status_code)
                assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
                assert answer.json() == {"error": "not found", "status": 404}
                assert "Access-Control-Allow-Origin" not in answer.headers
    for url in stack.replica_urls:
        for headers in ({}, {"Authorization": "Bearer guessed-token-0123456789"}):
            answer = requests.put(f"{url}/api/faults", json=attack, headers=headers, timeout=5)
            attempts.append(answer.status_code)
            assert answer.status_code == 401, answer.text
    assert_cleared_everywhere(stack)
    reads = [requests.get(f"{stack.url}/api/getvotes", timeout=5).status_code for _ in range(60)]
    figure(f"anonymous fault attempts: {len(attempts)} refused "
           f"({attempts.count(404)} x 404 at the front, {attempts.count(401)} x 401 at the replicas); "
           f"then {reads.count(200)} of 60 reads answered 200")
    assert reads == [200] * 60
