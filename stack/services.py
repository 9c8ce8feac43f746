"""Throwaway servers for the tests: PostgreSQL, Redis and appserver processes.

Each runs for real, on 127.0.0.1, in a temporary folder, and can be stopped,
restarted or killed mid-test. They are plain classes so the whole-stack
harness and the demo scripts can use them outside pytest too.

PostgreSQL's initdb refuses to run as root, so as root the server runs as the
`postgres` user (runuser); as anybody else it runs as that user.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

PG_BIN = Path(os.environ.get("YELB_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = os.environ.get("YELB_TEST_REDIS_SERVER", "redis-server")
PG_PASSWORD = "postgres_password"


_ports_given: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, and never one this process was given before.

    The kernel may hand the same free port to two quick calls, and a server
    started later (nginx after its appservers, say) would then collide.
    With YELB_TEST_PORTS=FIRST-LAST the port comes from that range instead of
    the kernel's: a second test process run beside this one (tests/suite.sh)
    then never hands out a port this one just handed out.
    """
    first, _, last = os.environ.get("YELB_TEST_PORTS", "").partition("-")
    candidates = range(int(first), int(last) + 1) if first else itertools.repeat(0)
    for candidate in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = sock.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port
    raise RuntimeError(f"no free port left in YELB_TEST_PORTS={first}-{last}")


def wait_until(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _as_postgres_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresServer:
    """A PostgreSQL cluster of its own, with the postgres user's password set."""

    def __init__(self, base_dir: Path | None = None, port: int | None = None,
                 settings: dict[str, object] | None = None):
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="yelb-pg-"))
        self.data_dir = self.base_dir / "data"
        # Server settings over the defaults below, e.g. {"max_connections": 15}.
        self.settings = {"max_connections": 200, **(settings or {})}
        self.log_file = self.base_dir / "postgres.log"
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self._initialised = False

    def _run(self, *command: str) -> None:
        result = subprocess.run(_as_postgres_user(list(command)), cwd=self.base_dir,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                timeout=120)
        if result.returncode:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")

    def _initdb(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        password_file = self.base_dir / "password"
        password_file.write_text(PG_PASSWORD)
        if os.geteuid() == 0:
            shutil.chown(self.base_dir, "postgres", "postgres")
            shutil.chown(password_file, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                  "--auth-local=trust", "--auth-host=scram-sha-256",
                  f"--pwfile={password_file}", "--no-sync")
        self._initialised = True

    def start(self) -> "PostgresServer":
        if not self._initialised:
            self._initdb()
        options = (f"-p {self.port} -k {self.base_dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off "
                   + " ".join(f"-c {name}={value}" for name, value in self.settings.items()))
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                  "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def env(self, dbname: str = "yelbdatabase") -> dict[str, str]:
        return {"YELB_DB_SERVER_ENDPOINT": self.host, "YELB_DB_PORT": str(self.port),
                "YELB_DB_NAME": dbname, "YELB_DB_USER": "postgres",
                "YELB_DB_PASSWORD": PG_PASSWORD}

    def connect(self, dbname: str = "yelbdatabase"):
        import psycopg

        return psycopg.connect(host=self.host, port=self.port, dbname=dbname, user="postgres",
                               password=PG_PASSWORD, autocommit=True, connect_timeout=5)

    def counts(self, dbname: str = "yelbdatabase") -> dict[str, int]:
        with self.connect(dbname) as conn:
            return dict(conn.execute("SELECT rtrim(name), count FROM restaurants").fetchall())


class RedisServer:
    """A Redis server with persistence off."""

    def __init__(self, base_dir: Path | None = None, port: int | None = None):
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="yelb-redis-"))
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.base_dir), "--daemonize", "no"],
            stdout=open(self.base_dir / "redis.log", "ab"), stderr=subprocess.STDOUT)
        wait_until(lambda: port_open(self.port), 10, f"redis on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.kill()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def env(self) -> dict[str, str]:
        return {"REDIS_SERVER_ENDPOINT": self.host, "REDIS_SERVER_PORT": str(self.port)}

    def client(self):
        import redis

        return redis.Redis(host=self.host, port=self.port, socket_timeout=5)


class HttpProcess:
    """A server process with its output in a log file and a /healthz to wait for."""

    name = "server"
    process: subprocess.Popen | None = None
    log_file: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def spawn(self, command: list[str], **popen_args) -> None:
        # A session of its own, so kill() can take the master and its workers at once.
        self.process = subprocess.Popen(command, stdout=open(self.log_file, "ab"),
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        **popen_args)

    def wait_healthy(self, timeout: float = 20) -> None:
        def healthy():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n"
                                   f"{self.log_text()[-2000:]}")
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200

        wait_until(healthy, timeout, f"{self.name} on port {self.port}")

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


def appserver_command() -> str:
    return str(Path(sys.executable).with_name("yelb-appserver"))


class AppServer(HttpProcess):
    """The `yelb-appserver` command (gunicorn) as a child process.

    With `hostname`, it runs in a UTS namespace of its own under that host
    name (unshare --uts, no --fork, so self.pid is gunicorn's master). Without
    root, a user namespace of its own gives it the right to set that name.
    """

    name = "appserver"

    def __init__(self, env: dict[str, str] | None = None, port: int | None = None,
                 hostname: str | None = None, workers: int = 2, base_dir: Path | None = None):
        self.port = port or free_port()
        self.hostname = hostname
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="yelb-app-"))
        self.log_file = self.base_dir / "appserver.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            # A checkout run with PYTHONPATH pointing at its code starts that code.
            **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}),
            "YELB_APPSERVER_PORT": str(self.port),
            "YELB_APPSERVER_WORKERS": str(workers),
            "YELB_SQLITE_PATH": str(self.base_dir / "yelb.sqlite3"),
            "PROMETHEUS_MULTIPROC_DIR": str(self.base_dir / "metrics"),
            **(env or {}),
        }

    def command(self) -> list[str]:
        if self.hostname:
            user_namespace = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
            return ["unshare", *user_namespace, "--uts", "sh", "-c",
                    f'hostname "$0" && exec "$1"', self.hostname, appserver_command()]
        return [appserver_command()]

    def start(self, wait: bool = True) -> "AppServer":
        self.spawn(self.command(), env=self.env, cwd=self.base_dir)
        if wait:
            self.wait_healthy()
        return self

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as an orchestrator does, and wait for the graceful exit."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout)
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the master and its workers at once, like a crashed container."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def destroy(self) -> None:
        self.kill()
        shutil.rmtree(self.base_dir, ignore_errors=True)
