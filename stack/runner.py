"""The whole Yelb stack as processes on this machine, for the stack tests, benchmarks and demos.

Throwaway PostgreSQL and Redis, N appserver replicas (each in a UTS namespace of
its own, so each reports its own hostname appserver-1, appserver-2, ...) and the
project's nginx front with its upstreams pointed at the replicas. The front
listens on every interface (phones in a room reach it); everything else on
127.0.0.1 only.

From a script or a terminal:

    python -m stack up --replicas 3

prints the URLs and keeps the stack up until Ctrl-C. In Python:

    with Stack(replicas=3) as stack:
        requests.post(f"{stack.url}/api/votes/ihop")
        stack.restart_replica(0)
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import signal
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from .nginx import NginxFront
from .services import AppServer, PostgresServer, RedisServer, free_port, wait_until


class Stack:
    """PostgreSQL + Redis + `replicas` appservers + the nginx front.

    Pass `postgres`/`redis` to share already-running servers (each stack still
    gets a database of its own); otherwise the stack starts and owns both.
    Replica ports stay fixed for the stack's life, so a replaced replica comes
    back at the address the front already knows.
    """

    def __init__(self, replicas: int = 3, *, base_dir: Path | None = None,
                 postgres: PostgresServer | None = None, redis: RedisServer | None = None,
                 env: dict[str, str] | None = None, workers: int = 2,
                 front_port: int | None = None, front_settings: dict[str, str] | None = None):
        if replicas < 1:
            raise ValueError("a stack needs at least one replica")
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="yelb-stack-"))
        self._owns_base_dir = base_dir is None
        self._owns_postgres = postgres is None
        self._owns_redis = redis is None
        # PostgreSQL runs as the postgres user: its folder must not be under a private one.
        self.postgres = postgres or PostgresServer()
        self.redis = redis or RedisServer(self.base_dir / "redis")
        self.database = f"yelb_{uuid.uuid4().hex[:12]}"
        self.workers = workers
        self.extra_env = dict(env or {})
        if self.extra_env.get("YELB_FAULT_INJECTION") == "true":
            # A token of this run's own: /api/faults answers only to whoever has it.
            self.extra_env.setdefault("YELB_FAULT_TOKEN", secrets.token_hex(16))
        self.front_settings = dict(front_settings or {})
        # free_port() never hands out a port twice, so every process has its own.
        self.ports = [free_port() for _ in range(replicas)]
        self.replicas: list[AppServer | None] = [None] * replicas
        self._generations = [0] * replicas
        self.front_port = front_port or free_port()
        self.front: NginxFront | None = None

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> "Stack":
        try:
            if self._owns_postgres:
                self.postgres.start()
            if self._owns_redis:
                self.redis.start()
            for index in range(len(self.replicas)):
                self.start_replica(index, wait=False)
            for replica in self.replicas:
                replica.wait_healthy()
            self.front = NginxFront([replica.url for replica in self.replicas],
                                    base_dir=self.base_dir / "front", port=self.front_port)
            self.front.settings.update(self.front_settings)
            self.front.start()
            wait_until(lambda: requests.get(f"{self.url}/api/getvotes", timeout=2).ok,
                       20, "the front to answer /api/getvotes")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop everything this stack started (safe to call twice, or after a failed start)."""
        if self.front:
            self.front.stop()
            self.front = None
        for replica in self.replicas:
            if replica:
                replica.destroy()
        if self._owns_redis:
            self.redis.destroy()
        if self._owns_postgres:
            self.postgres.destroy()
        if self._owns_base_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- what the tests and demos use -----------------------------------------------------

    @property
    def url(self) -> str:
        """The nginx front: the page at /, the API at /api/..."""
        return f"http://127.0.0.1:{self.front_port}"

    @property
    def fault_token(self) -> str:
        """What /api/faults on each replica wants as `Authorization: Bearer ...` (empty: faults off)."""
        return self.extra_env.get("YELB_FAULT_TOKEN", "")

    @property
    def replica_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    @staticmethod
    def hostname(index: int) -> str:
        return f"appserver-{index + 1}"

    def replica_env(self) -> dict[str, str]:
        # Replicas are for the front on this machine only; the front alone listens on every interface.
        return {"YELB_APPSERVER_ADDRESS": "127.0.0.1", **self.postgres.env(self.database), **self.redis.env(),
                **self.extra_env}

    def start_replica(self, index: int, wait: bool = True) -> AppServer:
        """Start a fresh process for replica `index` (hostname and port as before)."""
        self._generations[index] += 1
        base_dir = self.base_dir / f"{self.hostname(index)}-{self._generations[index]}"
        base_dir.mkdir(parents=True)
        replica = AppServer(self.replica_env(), port=self.ports[index], hostname=self.hostname(index),
                            workers=self.workers, base_dir=base_dir)
        self.replicas[index] = replica
        return replica.start(wait=wait)

    def stop_replica(self, index: int) -> int:
        """SIGTERM and wait for the graceful exit; returns the exit status."""
        return self.replicas[index].stop()

    def kill_replica(self, index: int) -> None:
        """SIGKILL the replica's master and workers, like a crashed container."""
        self.replicas[index].kill()

    def restart_replica(self, index: int, timeout: float = 30) -> AppServer:
        """Replace one replica the way a rolling update does: SIGTERM, wait for the exit,
        start a new one, and wait until the front routes requests to it again (like a
        rollout waiting for readiness before it moves on to the next replica)."""
        status = self.stop_replica(index)
        if status != 0:
            raise RuntimeError(f"{self.hostname(index)} exited with {status} on SIGTERM:\n"
                               f"{self.replicas[index].log_text()[-2000:]}")
        replica = self.start_replica(index)
        self.wait_in_rotation(index, timeout)
        return replica

    def front_fail_timeout(self) -> float:
        """Seconds the front keeps a failed replica out of rotation (nginx's fail_timeout)."""
        if len(self.replicas) == 1:
            return 0.0  # nginx never takes its only server out of rotation
        upstreams = (self.front.base_dir / "upstream.conf").read_text()
        found = re.findall(r"fail_timeout=(\d+)s\b", upstreams)
        return max(map(float, found), default=10.0)  # nginx's default is 10 s

    def wait_in_rotation(self, index: int, timeout: float = 30) -> None:
        """Wait until the front routes to replica `index` again.

        nginx's passive health checks take a replica that refused a connection out
        of rotation for fail_timeout, and each nginx worker process keeps its own
        view unless the upstream has a shared `zone`: one answer through the front
        proves only one worker's view. So wait out fail_timeout from the moment the
        replica was healthy, then see it answer through the front."""
        time.sleep(self.front_fail_timeout())
        session = requests.Session()
        name = self.hostname(index)

        def answered_by_replica():
            return any(session.get(f"{self.url}/api/hostname", timeout=2).text == name
                       for _ in range(len(self.replicas)))

        wait_until(answered_by_replica, timeout, f"the front to route to {name} again", interval=0.1)

    def vote_counts(self) -> dict[str, int]:
        """Votes as PostgreSQL holds them (the truth the scenarios compare against)."""
        return self.postgres.counts(self.database)

    def total_votes(self) -> int:
        return sum(self.vote_counts().values())

    def describe(self) -> str:
        lines = [f"front (UI + /api): {self.url}/"]
        lines += [f"{self.hostname(i)}: {url}  (/healthz /readyz /metrics /api/faults)"
                  for i, url in enumerate(self.replica_urls)]
        lines.append(f"postgresql: host=127.0.0.1 port={self.postgres.port} dbname={self.database} "
                     f"user=postgres")
        lines.append(f"redis: 127.0.0.1:{self.redis.port}")
        if self.fault_token:
            lines.append(f"fault token (export YELB_FAULT_TOKEN=... for scripts/faults/yelb-faults): "
                         f"{self.fault_token}")
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stack", description="Run the whole Yelb stack on this machine.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the stack and keep it up until Ctrl-C")
    up.add_argument("--replicas", type=int, default=3, help="appserver replicas (default 3)")
    up.add_argument("--port", type=int, default=8080, help="port of the nginx front (default 8080; 0 picks a free one)")
    up.add_argument("--workers", type=int, default=2, help="gunicorn workers per replica (default 2)")
    up.add_argument("--fault-injection", action=argparse.BooleanOptionalAction, default=True,
                    help="enable /api/faults on every replica, with a token made for the run (default on)")
    args = parser.parse_args(argv)

    env = {"YELB_FAULT_INJECTION": "true" if args.fault_injection else "false"}
    stack = Stack(args.replicas, env=env, workers=args.workers, front_port=args.port)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with stack:
        print(stack.describe(), flush=True)
        print("stack is up; Ctrl-C stops it", flush=True)
        stopping.wait()
    print("stack stopped", flush=True)

