"""The page's logic in yelb-ui/public/js, run by Node's own test runner (*.test.mjs here).

The modules that only compute (shares, host names, refresh, status line, QR address,
the API client) load in Node as they are; drawing the page is tested in Chromium
under tests/ui.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NODE_TESTS = sorted(HERE.glob("*.test.mjs"))


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (node --test)")
@pytest.mark.parametrize("test_file", NODE_TESTS, ids=[path.name for path in NODE_TESTS])
def test_page_logic_passes_under_node(test_file):
    result = subprocess.run(["node", "--test", "--test-reporter=tap", str(test_file)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout
