"""Configuration from the environment, in one place.

Every variable the appserver reads is declared in SETTINGS, with its default
and a description. The README's configuration table and the deployment
contract tests are checked against this tuple, so it is the single source of
truth. Names of the original Ruby Yelb (YELB_DB_SERVER_ENDPOINT,
REDIS_SERVER_ENDPOINT) are kept as they were.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .cpu_limit import available_cpus
from .options import Option, parse_options, DEFAULT_OPTIONS


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the variable."""


def _text(value: str) -> str:
    return value.strip()


def _port(value: str) -> int:
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"must be a TCP port number (1-65535), got {value!r}")
    return int(value)


def _positive_int(value: str) -> int:
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"must be a whole number of at least 1, got {value!r}")
    return int(value)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"must be a number of seconds, got {value!r}") from None
    if not 0 <= seconds <= 3600:
        raise ValueError(f"must be between 0 and 3600 seconds, got {value!r}")
    return seconds


def _short_seconds(value: str) -> float:
    seconds = _seconds(value)
    if not 0 < seconds <= 60:
        raise ValueError(f"must be more than 0 and at most 60 seconds, got {value!r}")
    return seconds


def _faults(value: str) -> dict:
    """The faults to start with, checked here so a mistake stops the command at start."""
    if not value.strip():
        return {}
    # Only when faults are given: faults.py brings in Flask, which the command that checks
    # the configuration before starting gunicorn does not otherwise load.
    from .faults import FaultError, validate

    try:
        return validate(json.loads(value))
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc})") from None
    except FaultError as exc:
        raise ValueError(str(exc)) from None


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"", "0", "false", "no", "off"}:
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError(f"must be one of debug, info, warning, error, got {value!r}")
    return level


def _token(value: str) -> str:
    token = value.strip()
    if token and (len(token) < 16 or any(char.isspace() for char in token)):
        raise ValueError("must be at least 16 characters without spaces "
                         "(e.g. the output of `openssl rand -hex 16`)")
    return token


def _address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"must be an IP address such as 127.0.0.1 or 0.0.0.0, got {value!r}") from None


def _options(value: str) -> tuple[Option, ...]:
    return parse_options(value) if value.strip() else DEFAULT_OPTIONS


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    parse: Callable[[str], object]
    help: str
    attribute: str = field(default="")

    @property
    def key(self) -> str:
        return self.attribute or self.name.lower()


SETTINGS: tuple[Setting, ...] = (
    Setting("YELB_DB_SERVER_ENDPOINT", "", _text,
            "PostgreSQL host. Empty: votes go to the embedded SQLite file.", "db_host"),
    Setting("YELB_DB_PORT", "5432", _port, "PostgreSQL port.", "db_port"),
    Setting("YELB_DB_NAME", "yelbdatabase", _text, "PostgreSQL database.", "db_name"),
    Setting("YELB_DB_USER", "postgres", _text, "PostgreSQL user.", "db_user"),
    Setting("YELB_DB_PASSWORD", "postgres_password", str, "PostgreSQL password.", "db_password"),
    Setting("REDIS_SERVER_ENDPOINT", "", _text,
            "Redis host for page views. Empty: page views go to the embedded SQLite file.",
            "redis_host"),
    Setting("REDIS_SERVER_PORT", "6379", _port, "Redis port.", "redis_port"),
    Setting("YELB_SQLITE_PATH", "yelb.sqlite3", _text,
            "File of the embedded store, used for whatever has no server configured.",
            "sqlite_path"),
    Setting("YELB_OPTIONS", "", _options,
            "What to vote on: comma list of name, name=Label or name=Label|Tagline. "
            "Empty: the original four restaurants.", "options"),
    Setting("YELB_DEPENDENCY_TIMEOUT", "2", _seconds,
            "Seconds to wait for PostgreSQL before answering with an error.",
            "dependency_timeout"),
    # Redis bulkhead: page views are optional, so a slow or hung Redis is given
    # little time and then left alone for a while; votes never wait on it.
    Setting("YELB_REDIS_TIMEOUT", "0.25", _short_seconds,
            "Seconds to wait for Redis before answering page views as unavailable.",
            "redis_timeout"),
    Setting("YELB_REDIS_CIRCUIT_OPEN", "2", _short_seconds,
            "Seconds to stop asking Redis after 3 failed calls in a row; "
            "then one call tries it again.", "redis_circuit_open"),
    Setting("YELB_FAULT_INJECTION", "false", _boolean,
            "Enable the /api/faults endpoint (and YELB_FAULTS) on this replica.",
            "fault_injection"),
    Setting("YELB_FAULTS", "", _faults,
            "Faults active at start, as JSON like the body of PUT /api/faults "
            "(needs YELB_FAULT_INJECTION=true).", "initial_faults"),
    # Trust under a live audience: who may inject faults, how votes are counted, where to listen.
    Setting("YELB_FAULT_TOKEN", "", _token,
            "Secret that /api/faults requires as `Authorization: Bearer <token>`; "
            "needed (16+ characters) when YELB_FAULT_INJECTION=true.", "fault_token"),
    Setting("YELB_VOTE_BY_GET", "true", _boolean,
            "Let GET /api/<option> vote, as the original Yelb did. false: only POST "
            "/api/votes/<option> votes (a link or cross-site <img> cannot).", "vote_by_get"),
    Setting("YELB_ONE_VOTE_PER_BROWSER", "false", _boolean,
            "Count one vote per browser per set of options (a cookie); later votes answer 409.",
            "one_vote_per_browser"),
    Setting("YELB_APPSERVER_ADDRESS", "0.0.0.0", _address,
            "Address gunicorn listens on; `make run` uses 127.0.0.1. Publicly, put the nginx "
            "front before it.", "address"),
    Setting("YELB_UI_DIR", "", _text,
            "Folder of the static UI to serve at /; empty: no UI (the nginx front serves it).",
            "ui_dir"),
    Setting("YELB_LOG_LEVEL", "info", _log_level, "debug, info, warning or error.", "log_level"),
    Setting("YELB_GIT_REVISION", "", _text,
            "Git revision reported by /version; set by the image build.", "git_revision"),
    Setting("YELB_APPSERVER_PORT", "4567", _port, "Port gunicorn listens on.", "port"),
    Setting("YELB_APPSERVER_WORKERS", "", lambda v: _positive_int(v) if v.strip() else None,
            "gunicorn worker processes; empty: CPUs + 1, at most 8, where CPUs is the container's "
            "CPU limit when it has one.", "workers"),
    Setting("YELB_APPSERVER_THREADS", "4", _positive_int, "Threads per worker.", "threads"),
    Setting("YELB_GRACEFUL_TIMEOUT", "20", _seconds,
            "Seconds in-flight requests get to finish after SIGTERM.", "graceful_timeout"),
    Setting("YELB_SHUTDOWN_DELAY", "0", _seconds,
            "Seconds to keep serving, reported not ready, after SIGTERM "
            "(lets a load balancer notice; ~5 on Kubernetes).", "shutdown_delay"),
    Setting("PROMETHEUS_MULTIPROC_DIR", "", _text,
            "Folder where workers share metrics; the yelb-appserver command makes one when empty.",
            "metrics_dir"),
    # PostgreSQL connection budget: replicas x this must fit the server's max_connections.
    Setting("YELB_DB_MAX_CONNECTIONS", "8", _positive_int,
            "Most PostgreSQL connections one replica opens, split evenly over its workers "
            "(at least one each).", "db_max_connections"),
    # Reads that scale with votes (read_cache.py): how long a worker may reuse the results.
    Setting("YELB_READ_CACHE_SECONDS", "0.25", _seconds,
            "Longest a vote through another replica takes to show in this one's results "
            "(each worker shares one query among its readers); 0: every read asks the database.",
            "read_cache_seconds"),
)

# gunicorn's worker count when YELB_APPSERVER_WORKERS is empty: CPUs + 1, at most 8. One
# worker per CPU keeps the CPUs busy, the extra one covers a worker's pauses; each
# worker's threads wait on the database for it, and every worker costs memory.
MAX_DEFAULT_WORKERS = 8


class Config:
    """Parsed settings; attribute names are the Setting keys (db_host, port, ...)."""

    def __init__(self, values: Mapping[str, object]):
        self.__dict__.update(values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Config":
        environ = os.environ if environ is None else environ
        values = {}
        for setting in SETTINGS:
            raw = environ.get(setting.name, setting.default)
            try:
                values[setting.key] = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{setting.name}: {exc}") from None
        config = cls(values)
        if config.initial_faults and not config.fault_injection:
            raise ConfigError("YELB_FAULTS: needs YELB_FAULT_INJECTION=true")
        if config.fault_injection and not config.fault_token:
            raise ConfigError("YELB_FAULT_TOKEN: must be set when YELB_FAULT_INJECTION=true, "
                              "so that only its holder can inject faults")
        if config.uses_postgres and config.db_max_connections < config.worker_processes:
            raise ConfigError(f"YELB_DB_MAX_CONNECTIONS: {config.db_max_connections} is fewer than "
                              f"the {config.worker_processes} workers; each needs one connection")
        return config

    @property
    def worker_processes(self) -> int:
        return self.workers or min(available_cpus() + 1, MAX_DEFAULT_WORKERS)

    @property
    def db_connections_per_worker(self) -> int:
        """Each worker's pool size: the replica's budget split evenly, rounded down."""
        return self.db_max_connections // self.worker_processes

    @property
    def uses_postgres(self) -> bool:
        return bool(self.db_host)

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_host)

    @property
    def postgres_conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(
            host=self.db_host, port=self.db_port, dbname=self.db_name,
            user=self.db_user, password=self.db_password,
            connect_timeout=max(1, round(self.dependency_timeout)),
            # A server that vanishes without closing its sockets (a deleted pod, a cut
            # network) must not hold a request for minutes of TCP retransmissions.
            tcp_user_timeout=int(self.dependency_timeout * 1000),
            keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=2,
            application_name="yelb-appserver",
            # Names come back as text even from a database made with SQL_ASCII.
            client_encoding="UTF8",
        )
