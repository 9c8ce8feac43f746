"""What is running: the release (YELB_VERSION, else the package version), git revision, Python version."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

from flask import Blueprint, current_app, jsonify

blueprint = Blueprint("version", __name__)


def describe(configured_revision: str, release_version: str) -> dict:
    return {"version": release_version, "revision": configured_revision or _git_revision(),
            "python": platform.python_version()}


def _git_revision() -> str:
    # Images get the revision through YELB_GIT_REVISION; a clone can ask git.
    try:
        result = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"],
                                cwd=Path(__file__).parent, capture_output=True, text=True,
                                timeout=2, check=True)
        return result.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@blueprint.get("/version")
@blueprint.get("/api/version")
def version():
    return jsonify(current_app.extensions["yelb"].version)
