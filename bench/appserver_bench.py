"""Benchmark the appserver under gunicorn against real PostgreSQL and Redis.

Starts throwaway PostgreSQL and Redis servers and one appserver (the
`yelb-appserver` command, default workers), then measures the routes with
wrk at 50 connections on 127.0.0.1 and prints requests/s, p50 and p99, and the
appserver's memory (resident set of the master and its workers). /healthz
touches no store: its row is what gunicorn and Flask cost on their own here.

    .venv/bin/python bench/appserver_bench.py [--seconds 10] [--connections 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stack.services import AppServer, PostgresServer, RedisServer  # noqa: E402

# "POST+key": a POST with a new Idempotency-Key on every request, as the nginx
# front sends votes (wrk runs this Lua in each of its threads).
UNIQUE_KEYS_LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", "bench-" .. threads .. "-")
end
local sent = 0
function request()
  sent = sent + 1
  return wrk.format("POST", nil, {["Idempotency-Key"] = prefix .. sent})
end
"""
ROUTES = [
    ("healthz (no store: the floor)", "GET", "/healthz"),
    ("getvotes", "GET", "/api/getvotes"),
    ("getstats", "GET", "/api/getstats"),
    ("vote (POST /api/votes/ihop)", "POST", "/api/votes/ihop"),
    ("vote, with Idempotency-Key", "POST+key", "/api/votes/ihop"),
    ("vote (GET /api/ihop)", "GET", "/api/ihop"),
]
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, method: str, seconds: int, connections: int, threads: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "5s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if method != "GET":
            script.write(UNIQUE_KEYS_LUA if method == "POST+key" else f'wrk.method = "{method}"\n')
            script.flush()
            command += ["-s", script.name]
        output = subprocess.run(command + [url], capture_output=True, text=True, check=True,
                                timeout=seconds + 30).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> dict:
    def latency(percentile: str) -> float:
        value, unit = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * UNITS[unit]

    requests_total = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                              output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "requests": requests_total,
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
    }


def resident_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    total_kib = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total_kib += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, AttributeError):
            continue
        pending += [int(child) for child in children]
    return total_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per route")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", default="", help="YELB_APPSERVER_WORKERS (default: automatic)")
    args = parser.parse_args()

    postgres = PostgresServer().start()
    redis = RedisServer().start()
    env = {**postgres.env(), **redis.env(), "YELB_LOG_LEVEL": "warning"}
    if args.workers:
        env["YELB_APPSERVER_WORKERS"] = args.workers
    app = AppServer(env, workers=int(args.workers or 0) or (2 * (os.cpu_count() or 1) + 1))
    try:
        app.start()
        idle = resident_mib(app.pid)
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
              f"{platform.python_version()}; wrk -c{args.connections} -t{args.threads} "
              f"-d{args.seconds}s on 127.0.0.1 (same machine)")
        print(f"{'route':<30} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}")
        for name, method, path in ROUTES:
            wrk(app.url + path, method, 4, args.connections, args.threads)  # warm-up: pools grow
            result = wrk(app.url + path, method, args.seconds, args.connections, args.threads)
            print(f"{name:<30} {result['rps']:>9.0f} {result['p50']:>8.2f} {result['p99']:>8.2f} "
                  f"{result['requests']:>9} {result['errors']:>7}")
        print(f"appserver memory (master + workers, RSS): {idle:.0f} MiB idle, "
              f"{resident_mib(app.pid):.0f} MiB after the run")
    finally:
        app.destroy()
        redis.destroy()
        postgres.destroy()


if __name__ == "__main__":
    main()
