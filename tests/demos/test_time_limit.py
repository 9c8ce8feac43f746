"""A demo that overruns --timeout stops with a message, exit status 1, and leaves nothing running."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.stack
def test_an_overrunning_demo_stops_and_cleans_up():
    # --pause 5 makes the lead-in alone last 15 s: far over the 2 s limit.
    result = subprocess.run([sys.executable, "-m", "demos.scale_out", "--port", "0", "--pause", "5",
                             "--timeout", "2"], cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "!! demo failed: the demo did not finish within 2 s (--timeout)" in result.stdout
    assert "stopping the native stack" in result.stdout
    front = re.search(r"front \(UI \+ /api\): (http://127\.0\.0\.1:\d+)/", result.stdout).group(1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{front}/healthz", timeout=2)
