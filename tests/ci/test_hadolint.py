"""hadolint (a pinned wheel of requirements-dev.txt) finds no errors in any Dockerfile of the
repository; its warnings (unpinned apt versions, shell-form CMD) are left to judgement."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HADOLINT = Path(sys.executable).with_name("hadolint")


def errors(dockerfile: Path) -> str:
    result = subprocess.run([str(HADOLINT), "--no-color", "--failure-threshold", "error", str(dockerfile)],
                            capture_output=True, text=True, timeout=60)
    return "" if result.returncode == 0 else result.stdout + result.stderr


def dockerfiles() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split()
    return [REPO / name for name in listed if Path(name).name == "Dockerfile"]


def test_no_dockerfile_has_a_hadolint_error():
    files = dockerfiles()
    assert len(files) >= 4
    found = {path.relative_to(REPO).as_posix(): errors(path) for path in files}
    assert {name: text for name, text in found.items() if text} == {}


def test_hadolint_reports_an_error(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text("FROM debian:bookworm-slim\nWORKDIR app\nADD requirements.txt /app/\n")
    found = errors(broken)
    assert "DL3000" in found and "DL3020" in found
