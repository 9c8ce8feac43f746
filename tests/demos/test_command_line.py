"""A demo run as the speaker runs it: it refuses a busy port before starting anything, and
one that overruns --timeout stops with a message, exit status 1, and leaves nothing running."""

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from demos import canary, rolling_update
from demos.common import DemoFailed

ROOT = Path(__file__).resolve().parents[2]


def demo(*argv: str, module: str = "demos.scale_out") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *argv], cwd=ROOT, capture_output=True,
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


@pytest.mark.parametrize("module, option", [("demos.canary", "--canary"), ("demos.rolling_update", "--to-version")])
def test_a_release_the_appserver_would_refuse_stops_the_demo_before_anything_starts(module, option):
    result = demo(option, "1.1.0 beta", module=module)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"argument {option}: YELB_VERSION must be visible ASCII characters without spaces" in result.stderr
    assert "starting PostgreSQL" not in result.stdout


@pytest.mark.parametrize("module, argv", [(canary, ["--canary", "1.0.0"]),
                                          (rolling_update, ["--to-version", "1.0.0"])])
def test_a_roll_to_the_release_already_running_is_refused(module, argv):
    with pytest.raises(DemoFailed, match="must differ from"):
        module.run(None, module.demo_arguments().parse_args(argv))  # refused before it touches a stack
