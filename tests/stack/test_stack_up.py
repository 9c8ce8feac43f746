"""`python -m stack up` (make stack-up) as a user runs it: it prints where everything is, serves the
page through the front, keeps /api/faults for whoever has the printed token, and stops everything
on SIGTERM."""

import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]


def test_stack_up_prints_its_addresses_and_stops_on_sigterm():
    command = [sys.executable, "-m", "stack", "up", "--replicas", "2", "--port", "0", "--workers", "1"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(120, process.kill)  # a stack that never comes up fails the test, not the run
    watchdog.start()
    try:
        printed = ""
        for line in process.stdout:
            printed += line
            if line.startswith("stack is up"):
                break
        front = re.search(r"^front \(UI \+ /api\): (\S+)/$", printed, re.MULTILINE).group(1)
        replicas = re.findall(r"^appserver-\d: (\S+) ", printed, re.MULTILINE)
        token = re.search(r"^fault token .*: (\S+)$", printed, re.MULTILINE).group(1)

        assert requests.get(f"{front}/api/getvotes", timeout=5).ok
        assert len(replicas) == 2
        assert requests.get(f"{front}/api/faults", timeout=5).status_code == 404
        assert requests.get(f"{replicas[0]}/api/faults", timeout=5).status_code == 401
        answer = requests.get(f"{replicas[0]}/api/faults", headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.ok and answer.json()["hostname"] == "appserver-1"

        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    finally:
        watchdog.cancel()
        process.kill()
    assert process.returncode == 0, printed + rest
    assert "stack stopped" in rest
    for url in (front, *replicas):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/healthz", timeout=2)
