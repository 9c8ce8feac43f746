"""A demo run as the speaker runs it: it refuses a busy port before starting anything, and
one that overruns --timeout stops with a message, exit status 1, and leaves nothing running."""

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def demo(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "demos.scale_out", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=90)


def test_a_front_port_in_use_stops_the_demo_before_anything_starts():
    # Another process there (a second stack, make stack-up) would answer in the front's place.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = demo("--port", str(port))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"port {port} is in use" in result.stdout
    assert "starting PostgreSQL" not in result.stdout


@pytest.mark.stack
def test_an_overrunning_demo_stops_and_cleans_up():
    # --pause 5 makes the lead-in alone last 15 s: far over the 2 s limit.
    result = demo("--port", "0", "--pause", "5", "--timeout", "2")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "!! demo failed: the demo did not finish within 2 s (--timeout)" in result.stdout
    assert "stopping the native stack" in result.stdout
    front = re.search(r"front \(UI \+ /api\): (http://127\.0\.0\.1:\d+)/", result.stdout).group(1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{front}/healthz", timeout=2)
