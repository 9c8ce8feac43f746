"""CPU time of one request, in-process: the WSGI app called directly, no server, no network.

Compares the appserver's route with the floor (bench/floor_app.py) without gunicorn or
wrk in the way, so what it shows is the app's own work per request. Uses the embedded
SQLite store and multiprocess metrics, as a worker does.

    .venv/bin/python bench/request_cpu.py [--path /api/hostname] [--requests 3000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def environ(path: str) -> dict:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "4567", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:4567"}


def cpu_per_request(app, path: str, requests: int, rounds: int) -> float:
    """Best of the rounds, in seconds of this process's CPU time per request."""
    def answer():
        body = app(environ(path), lambda status, headers, exc_info=None: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    for _ in range(500):  # caches and metric series in place
        answer()
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(requests):
            answer()
        best = min(best, (time.process_time() - started) / requests)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/api/hostname")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="yelb-request-cpu-")
    os.environ.update(PROMETHEUS_MULTIPROC_DIR=folder, YELB_SQLITE_PATH=os.path.join(folder, "yelb.db"))
    # The request lines go to a file, not the terminal, as under a container runtime.
    log = open(os.path.join(folder, "requests.log"), "w")
    sys.stdout = log

    from bench.floor_app import app as floor
    from yelb_appserver import create_app

    app = create_app()
    floor_s = cpu_per_request(floor, "/", args.requests, args.rounds)
    app_s = cpu_per_request(app, args.path, args.requests, args.rounds)
    sys.stdout = sys.__stdout__
    print(f"floor {floor_s * 1e6:.1f} us, {args.path} {app_s * 1e6:.1f} us of CPU a request "
          f"(best of {args.rounds} rounds of {args.requests}); floor / app {floor_s / app_s:.2f}")


if __name__ == "__main__":
    main()
