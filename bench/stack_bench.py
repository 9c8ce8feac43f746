"""Benchmark the whole stack through the nginx front, with 1 and with 3 appserver replicas.

Starts the native stack (stack/runner.py: PostgreSQL, Redis, N appservers,
the UI's nginx front), then measures reads and votes through the front with wrk
on 127.0.0.1 and prints requests/s, p50 and p99 for each replica count.
Bounded: --seconds per route (default 10), plus a 2 s warm-up.

    .venv/bin/python bench/stack_bench.py [--seconds 10] [--connections 32] [--replicas 1,3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.appserver_bench import wrk  # noqa: E402
from stack import Stack  # noqa: E402

ROUTES = [
    ("read results (GET /api/getvotes)", "GET", "/api/getvotes"),
    ("vote (POST /api/votes/ihop)", "POST", "/api/votes/ihop"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per route")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per replica")
    parser.add_argument("--replicas", default="1,3", help="comma list of replica counts to measure")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"through the nginx front, {args.workers} gunicorn workers per replica; wrk -c{args.connections} "
          f"-t{args.threads} -d{args.seconds}s on 127.0.0.1 (load generator on the same machine)")
    print(f"{'replicas':>8}  {'route':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}")
    for replicas in (int(count) for count in args.replicas.split(",")):
        # wrk is one address voting flat out: lift the front's per-address limits, or it measures 429s.
        with Stack(replicas, workers=args.workers, env={"YELB_LOG_LEVEL": "warning"},
                   front_settings={"YELB_UI_VOTE_RATE": "10000", "YELB_UI_VOTE_BURST": "10000",
                                   "YELB_UI_CONNECTIONS_PER_CLIENT": "10000"}) as stack:
            for name, method, path in ROUTES:
                wrk(stack.url + path, method, 2, args.connections, args.threads)  # warm-up
                result = wrk(stack.url + path, method, args.seconds, args.connections, args.threads)
                print(f"{replicas:>8}  {name:<34} {result['rps']:>8.0f} {result['p50']:>8.2f} "
                      f"{result['p99']:>8.2f} {result['requests']:>9} {result['errors']:>7}", flush=True)


if __name__ == "__main__":
    main()
