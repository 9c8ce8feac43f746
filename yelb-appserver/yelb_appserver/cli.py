"""The `yelb-appserver` command: the production server, as the image runs it.

It checks the configuration first (one line naming the variable, exit 2),
prepares a clean folder for the workers' shared metrics, then replaces itself
with gunicorn and yelb_appserver.gunicorn_conf (same PID, so a supervisor's
signals reach gunicorn). Extra arguments go to gunicorn.

The exec matters: prometheus-client picks its multiprocess mode when first
imported, so PROMETHEUS_MULTIPROC_DIR must be set before gunicorn imports it.
"""

from __future__ import annotations

import glob
import os
import sys
import tempfile

from .config import Config, ConfigError
from .stores import check_embedded_store


def prepare_metrics_dir() -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="yelb-metrics-")
        return
    os.makedirs(folder, exist_ok=True)
    # Files an earlier run left (counters, the workers' shared state) must not carry over.
    for stale in glob.glob(os.path.join(folder, "*.db")) + glob.glob(os.path.join(folder, "*.json")):
        os.remove(stale)


def main(argv: list[str] | None = None) -> None:
    try:
        check_embedded_store(Config.from_env())
    except ConfigError as exc:
        print(f"yelb-appserver: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    prepare_metrics_dir()
    extra = sys.argv[1:] if argv is None else argv
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn",
                              "--config", "python:yelb_appserver.gunicorn_conf",
                              *extra, "yelb_appserver.wsgi:app"])
