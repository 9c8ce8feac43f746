"""Benchmark the appserver against its floor, with real PostgreSQL and Redis.

One run measures, on 127.0.0.1 with wrk (bounded: --seconds per row, plus a
2 s warm-up):

- the floor: a bare Flask "hello" (bench/floor_app.py) under the appserver's own
  gunicorn configuration, at each connection count;
- every endpoint of the appserver: req/s, p50, p99, p99/p50, and its ratio to
  the floor and to /api/hostname at the same connection count;
- PSS of the replica (master + workers), idle and after the load;
- cold start: from starting the command to the first 200 from /healthz;
- votes committed: PostgreSQL (durable, as yelb-db runs it) holds every vote
  that was answered 200;

then checks the figures against the targets and prints each as met or missed.
Both servers run as the Kubernetes base runs a replica (kubernetes_replica.py): its
gunicorn settings, and (as root) its CPU limit, with PostgreSQL, Redis and wrk outside it.

    .venv/bin/python bench/appserver_bench.py [--seconds 2] [--rounds 7] [--connections 20,50]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.kubernetes_replica import CpuLimit, cpu_limit, gunicorn_env  # noqa: E402
from stack.services import AppServer, PostgresServer, RedisServer, wait_until  # noqa: E402
from yelb_appserver.config import Config  # noqa: E402

# "POST+key": a POST with a new Idempotency-Key on every request, as the nginx
# front sends votes (wrk runs this Lua in each of its threads). RUN makes the keys
# of every wrk run new: a repeated key would be answered without counting a vote.
UNIQUE_KEYS_LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("prefix", "bench-RUN-" .. threads .. "-")
end
local sent = 0
function request()
  sent = sent + 1
  return wrk.format("POST", nil, {["Idempotency-Key"] = prefix .. sent})
end
"""
ENDPOINTS = [
    ("hostname", "GET", "/api/hostname"),
    ("getvotes", "GET", "/api/getvotes"),
    ("getstats", "GET", "/api/getstats"),
    ("vote POST", "POST", "/api/votes/ihop"),
    ("vote POST+key", "POST+key", "/api/votes/ihop"),
    ("vote GET", "GET", "/api/ihop"),
]
VOTES = ("vote POST", "vote POST+key", "vote GET")
# The floor answering with an /api/ answer's headers (bench/floor_with_api_headers.py).
FLOOR_WITH_HEADERS = "floor+headers"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
# PostgreSQL as the yelb-db image runs it, so each vote is on disk before its 200
# (the stack turns these off to keep the tests fast, which would flatter every vote row).
DURABLE_POSTGRES = {"fsync": "on", "full_page_writes": "on"}


def wrk(url: str, method: str, seconds: int, connections: int, threads: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "5s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if method != "GET":
            script.write(UNIQUE_KEYS_LUA.replace("RUN", uuid.uuid4().hex) if method == "POST+key"
                         else f'wrk.method = "{method}"\n')
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


def replica_pids(pid: int) -> list[int]:
    """The process and all its descendants."""
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        try:
            pending += [int(child) for child in
                        Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except FileNotFoundError:
            continue
    return pids


def pss_mib(pid: int) -> float:
    """Proportional set size of a process and its descendants, in MiB: shared pages
    count once in total, so replicas add up to the machine's memory."""
    total_kib = 0
    for current in replica_pids(pid):
        try:
            total_kib += int(re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{current}/smaps_rollup").read_text(),
                                       re.M).group(1))
        except FileNotFoundError:
            continue
    return total_kib / 1024


class KubernetesReplica(AppServer):
    """The `yelb-appserver` command with the Kubernetes base's gunicorn settings (or `settings`
    in their place), inside its CPU limit."""

    def __init__(self, env: dict[str, str], limit: CpuLimit, settings: dict[str, str] | None = None):
        super().__init__({**env, **(gunicorn_env() if settings is None else settings)})
        self.limit = limit

    def command(self) -> list[str]:
        return self.limit.wrap(self.server_command())

    def server_command(self) -> list[str]:
        return super().command()


class FloorServer(KubernetesReplica):
    """A floor app (bench/floor_app.py by default) under the appserver's gunicorn configuration,
    as a replica."""

    name = "floor"

    def __init__(self, env: dict[str, str], limit: CpuLimit, settings: dict[str, str] | None = None,
                 wsgi_app: str = "bench.floor_app:app"):
        super().__init__(env, limit, settings)
        self.wsgi_app = wsgi_app

    def server_command(self) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "--config", "python:yelb_appserver.gunicorn_conf",
                self.wsgi_app]

    def start(self, wait: bool = True) -> "FloorServer":
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), self.env.get("PYTHONPATH")]))
        os.makedirs(self.env["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
        return super().start(wait)


def cold_start_seconds(env: dict[str, str], limit: CpuLimit, settings: dict[str, str],
                       runs: int = 3) -> float:
    """Median time from starting the command to the first 200 from /healthz."""
    times = []
    for _ in range(runs):
        app = KubernetesReplica(env, limit, settings)
        try:
            started = time.monotonic()
            app.start(wait=False)
            deadline = started + 30
            while time.monotonic() < deadline:
                try:
                    # Accepted by the master at once, answered when a worker is ready.
                    if requests.get(f"{app.url}/healthz", timeout=10).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                time.sleep(0.005)
            times.append(time.monotonic() - started)
        finally:
            app.destroy()
    return statistics.median(times)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process and its descendants have used so far."""
    ticks = 0
    for current in replica_pids(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(server: AppServer, url: str, method: str, seconds: int, connections: int, threads: int) -> dict:
    """One wrk run, and the server's own CPU time per answered request during it."""
    before = cpu_seconds(server.pid)
    run = wrk(url, method, seconds, connections, threads)
    run["cpu_us"] = (cpu_seconds(server.pid) - before) / max(run["requests"], 1) * 1e6
    return run


def median_row(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) if key in ("rps", "p50", "p99", "cpu_us")
            else sum(run[key] for run in runs) for key in runs[0]}


def worst_tail(rows: dict[tuple[str, int], dict], connections: int) -> tuple[str, float]:
    """The appserver endpoint with the highest p99/p50 at `connections`, and that ratio.

    The tail target (p99 <= 5 x p50) is set at 50 connections, the most `make bench` opens;
    main() prints the tails at fewer connections as information only.
    """
    name = max((name for name, count in rows if count == connections and not name.startswith("floor")),
               key=lambda name: rows[name, connections]["p99"] / rows[name, connections]["p50"])
    return name, rows[name, connections]["p99"] / rows[name, connections]["p50"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Many short runs, and their median: the workers race to accept each of wrk's connections,
    # and about one run in four has them all on one worker, at half the req/s (one CPU).
    parser.add_argument("--seconds", type=int, default=2, help="wrk duration per row")
    parser.add_argument("--connections", default="20,50", help="comma list of wrk connection counts")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=7, help="measurements of each row (median)")
    # Other shapes of the replica, for comparing them; the manifest's by default.
    parser.add_argument("--replica-workers", type=int, help="gunicorn workers instead of the manifest's")
    parser.add_argument("--replica-threads", type=int, help="threads per worker instead of the manifest's")
    args = parser.parse_args()
    settings = {**gunicorn_env(),
                **({"YELB_APPSERVER_WORKERS": str(args.replica_workers)} if args.replica_workers else {}),
                **({"YELB_APPSERVER_THREADS": str(args.replica_threads)} if args.replica_threads else {})}
    connection_counts = [int(count) for count in args.connections.split(",")]

    postgres = PostgresServer(settings=DURABLE_POSTGRES).start()
    redis = RedisServer().start()
    with postgres.connect("postgres") as conn:
        durability = ", ".join(f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"
                               for name in ("fsync", "synchronous_commit", "full_page_writes"))
    env = {**postgres.env(), **redis.env()}
    limit = CpuLimit(cpu_limit())
    floor, app = FloorServer(env, limit, settings), KubernetesReplica(env, limit, settings)
    floor_with_headers = FloorServer(env, limit, settings, "bench.floor_with_api_headers:app")
    replica = Config.from_env(settings)
    runs: dict[tuple[str, int], list[dict]] = {}
    try:
        print(f"machine: {platform.machine()}, {len(os.sched_getaffinity(0))} usable CPUs "
              f"({os.cpu_count()} on the host), Python {platform.python_version()}, {platform.release()}; "
              f"gunicorn gthread {replica.worker_processes} workers x {replica.threads} threads, "
              + (f"in a cgroup limited to {limit.cpus:g} CPU" if limit.available else limit.why_not)
              + f"; wrk -t{args.threads} -d{args.seconds}s on 127.0.0.1 (same machine); median of "
              f"{args.rounds} rounds; PostgreSQL {durability}", flush=True)
        cold = cold_start_seconds(env, limit, settings)
        floor.start()
        floor_with_headers.start()
        app.start()
        # Ready: the replica has reached PostgreSQL, which creates the database on a new server.
        wait_until(lambda: requests.get(f"{app.url}/readyz", timeout=5).status_code == 200, 30, "readiness")
        idle = pss_mib(app.pid)
        votes_before = sum(postgres.counts().values())
        measured = [("floor", floor, "GET", floor.url + "/"),
                    (FLOOR_WITH_HEADERS, floor_with_headers, "GET", floor_with_headers.url + "/")] + [
            (name, app, method, app.url + path) for name, method, path in ENDPOINTS]
        warm_ups = {name: wrk(url, method, 2, max(connection_counts), args.threads)  # pools and caches fill
                    for name, _server, method, url in measured}
        # Rounds, each over every row in turn, so that a burst of other work on the
        # machine lands on all rows alike rather than on one.
        for _ in range(args.rounds):
            for connections in connection_counts:
                for name, server, method, url in measured:
                    runs.setdefault((name, connections), []).append(
                        measure(server, url, method, args.seconds, connections, args.threads))
        loaded = pss_mib(app.pid)
        votes_counted = sum(postgres.counts().values()) - votes_before
    finally:
        floor.destroy()
        floor_with_headers.destroy()
        app.destroy()
        redis.destroy()
        postgres.destroy()
        limit.remove()
    rows = {key: median_row(value) for key, value in runs.items()}

    print(f"\n{'endpoint':<16}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'p99/p50':>9}"
          f"{'/floor':>8}{'/hostname':>10}{'errors':>8}{'CPU us/req':>12}")
    for (name, connections), row in rows.items():
        to_floor = row["rps"] / rows["floor", connections]["rps"]
        to_hostname = None if name.startswith("floor") else row["rps"] / rows["hostname", connections]["rps"]
        print(f"{name:<16}{connections:>6}{row['rps']:>9.0f}{row['p50']:>9.2f}{row['p99']:>9.2f}"
              f"{row['p99'] / row['p50']:>9.1f}{to_floor:>8.2f}"
              f"{'' if to_hostname is None else f'{to_hostname:.2f}':>10}{row['errors']:>8}"
              f"{row['cpu_us']:>12.0f}")
    vote_runs = [warm_ups[name] for name in VOTES] + [
        run for name in VOTES for connections in connection_counts for run in runs[name, connections]]
    vote_answers = sum(run["requests"] - run["errors"] for run in vote_runs)
    print(f"\nPSS per replica ({replica.worker_processes} workers): {idle:.1f} MiB idle, {loaded:.1f} MiB after the load")
    print(f"cold start to the first 200 (median of 3): {cold * 1000:.0f} ms")
    # wrk does not count answers still in flight when it stops, so the database may hold more.
    print(f"votes in PostgreSQL: {votes_counted} for {vote_answers} answered 200 by wrk")

    def ratio(name: str, other: str) -> float:
        return min(rows[name, c]["rps"] / rows[other, c]["rps"] for c in connection_counts)

    def spread(name: str, other: str) -> str:
        """The ratio in each round on its own (rows of one round run seconds apart): how far
        this machine's noise moves it."""
        ratios = [mine["rps"] / theirs["rps"] for c in connection_counts
                  for mine, theirs in zip(runs[name, c], runs[other, c])]
        return f"(single rounds {min(ratios):.2f} to {max(ratios):.2f})"

    tail_connections = max(connection_counts)
    slowest_vote = min(VOTES, key=lambda name: ratio(name, "hostname"))
    targets = [
        ("hostname >= 90% of the floor", "hostname", "floor", 0.9),
        ("getvotes >= 80% of hostname", "getvotes", "hostname", 0.8),
        ("getstats >= 70% of hostname", "getstats", "hostname", 0.7),
        ("each vote >= 50% of hostname", slowest_vote, "hostname", 0.5),
    ]
    print("\ntargets (the worst connection count):")
    for label, name, other, floor_value in targets:
        value = ratio(name, other)
        print(f"  {label:<36} {value:6.2f}  {'met' if value >= floor_value else 'MISSED'} {spread(name, other)}")
        if name == "hostname":
            print(f"    of which the answer headers: the floor with an /api/ answer's headers "
                  f"{ratio(FLOOR_WITH_HEADERS, 'floor'):.2f} of the floor {spread(FLOOR_WITH_HEADERS, 'floor')}; "
                  f"hostname {ratio('hostname', FLOOR_WITH_HEADERS):.2f} of that floor")
    name, tail = worst_tail(rows, tail_connections)
    print(f"  {f'p99 <= 5 x p50 at {tail_connections} connections':<36} {tail:6.1f}  "
          f"{'met' if tail <= 5 else 'MISSED'} (worst: {name})")
    for connections in sorted(set(connection_counts) - {tail_connections}):
        name, tail = worst_tail(rows, connections)
        print(f"    at {connections} connections, not a target: worst {tail:.1f} ({name})")
    print(f"  {'PSS after load <= 75 MiB':<36} {loaded:6.1f}  {'met' if loaded <= 75 else 'MISSED'}")
    print(f"  {'cold start < 1 s':<36} {cold:6.2f}  {'met' if cold < 1 else 'MISSED'}")
    print(f"  {'every vote committed before its 200':<36} {'met' if votes_counted >= vote_answers else 'MISSED'}")


if __name__ == "__main__":
    main()
