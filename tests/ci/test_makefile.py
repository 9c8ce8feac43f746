"""The Makefile: every target runs its recipe, even one named like a folder of the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TARGETS = re.findall(r"^([a-zA-Z0-9_-]+):", (REPO / "Makefile").read_text(), re.M)


@pytest.mark.parametrize("target", TARGETS)
def test_the_target_runs_its_recipe(target):
    # Without .PHONY, make takes a folder of the same name (bench/) for the target, finds
    # it up to date and runs nothing.
    dry_run = subprocess.run(["make", "-n", target], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert "is up to date" not in dry_run.stdout + dry_run.stderr
    assert dry_run.stdout.strip(), f"make {target} would run nothing"
