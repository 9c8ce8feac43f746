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
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .cpu_limit import available_cpus
from .options import Option, parse_options, DEFAULT_OPTIONS
from .replica import parse_color, parse_version
from .whereami import parse_metadata, parse_orchestrator


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


# What PUT /api/faults and YELB_FAULTS may set, and the type of each.
FAULTS = {
    "readiness_fail": bool,
    "latency_ms": int,
    "error_rate": float,
    "db_latency_ms": int,
    "redis_latency_ms": int,
}
NO_FAULTS = {"readiness_fail": False, "latency_ms": 0, "error_rate": 0.0,
             "db_latency_ms": 0, "redis_latency_ms": 0}
MAX_LATENCY_MS = 60_000


def parse_faults(body: object) -> dict:
    """Check a fault description; unknown keys and out-of-range values are a ValueError."""
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    faults = {}
    for key, value in body.items():
        kind = FAULTS.get(key)
        if kind is None:
            raise ValueError(f"unknown fault {key!r}; known faults: {', '.join(FAULTS)}")
        if kind is bool and not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)
                            or not 0 <= value <= MAX_LATENCY_MS):
            raise ValueError(f"{key} must be a whole number of milliseconds, 0 to {MAX_LATENCY_MS}")
        if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not 0 <= value <= 1):
            raise ValueError(f"{key} must be a number from 0 to 1")
        faults[key] = kind(value)
    return faults


def _faults(value: str) -> dict:
    """The faults to start with, checked here so a mistake stops the command at start."""
    if not value.strip():
        return {}
    try:
        return parse_faults(json.loads(value))
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc})") from None


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


# The question heads the page and the presenter view, in big type for the back of the room.
MAX_QUESTION_LENGTH = 120
# A public URL becomes a QR code on the projector; a short one keeps its squares big.
MAX_URL_LENGTH = 200


def _question(value: str) -> str:
    question = " ".join(value.split())
    if not question:
        raise ValueError("must not be empty")
    if len(question) > MAX_QUESTION_LENGTH:
        raise ValueError(f"must be at most {MAX_QUESTION_LENGTH} characters, got {len(question)}")
    return question


def _http_url(value: str) -> str:
    """Empty, or an absolute http(s) URL with a host."""
    url = value.strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        parts = None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname
            or len(url) > MAX_URL_LENGTH or any(char.isspace() or ord(char) < 32 for char in url)):
        raise ValueError(f"must be an http:// or https:// URL with a host, at most "
                         f"{MAX_URL_LENGTH} characters, got {value[:MAX_URL_LENGTH]!r}")
    return url


def _traces_exporter(value: str) -> str:
    exporter = value.strip().lower() or "none"
    if exporter not in ("none", "otlp"):
        raise ValueError(f"must be none (no tracing) or otlp, got {value!r}")
    return exporter


def _otlp_protocol(value: str) -> str:
    protocol = value.strip() or "http/protobuf"
    if protocol != "http/protobuf":
        raise ValueError(f"must be http/protobuf, the only OTLP exporter installed, got {value!r}")
    return protocol


def _service_name(value: str) -> str:
    return value.strip() or "yelb-appserver"


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
            "gunicorn worker processes; empty: one per CPU, at most 8, where CPUs is the "
            "container's CPU limit when it has one.", "workers"),
    Setting("YELB_APPSERVER_THREADS", "8", _positive_int,
            "Threads per worker: requests one worker serves at once, mostly waiting on "
            "PostgreSQL or Redis.", "threads"),
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
    # What the room sees: the question above the options, and the address its phones reach.
    Setting("YELB_QUESTION", "Where should we go for lunch?", _question,
            f"The question above the options, on the page and the presenter view "
            f"(at most {MAX_QUESTION_LENGTH} characters).", "question"),
    Setting("YELB_PUBLIC_URL", "", _http_url,
            "Address the audience's phones open, shown as the QR code; empty: the page's own address.",
            "public_url"),
    # OpenTelemetry tracing (tracing.py), with the standard variable names; off by default.
    Setting("OTEL_TRACES_EXPORTER", "none", _traces_exporter,
            "none: no tracing. otlp: one trace per request, sent over OTLP/HTTP.",
            "otel_traces_exporter"),
    Setting("OTEL_EXPORTER_OTLP_ENDPOINT", "", _http_url,
            "Base URL of the OTLP/HTTP receiver; spans go to its /v1/traces. "
            "Empty: http://localhost:4318.", "otel_exporter_otlp_endpoint"),
    Setting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", _http_url,
            "Full URL spans are sent to, instead of the one above.",
            "otel_exporter_otlp_traces_endpoint"),
    Setting("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", _otlp_protocol,
            "OTLP protocol; only http/protobuf.", "otel_exporter_otlp_protocol"),
    Setting("OTEL_SERVICE_NAME", "yelb-appserver", _service_name,
            "Service name on every span.", "otel_service_name"),
    # The platform, shown to the room: each replica's release and colour (answer headers
    # X-Yelb-Version, X-Yelb-Color) and where it runs (/api/whereami). The deployment files
    # fill these from their orchestrator; Kubernetes and Nomad set the last five themselves.
    Setting("YELB_VERSION", "", parse_version,
            "Release this replica reports (at most 64 characters); empty: the package version. "
            "Helm and Kustomize set it from the image tag.", "version"),
    Setting("YELB_COLOR", "", parse_color,
            "CSS colour the page draws this replica's answers in; empty: derived from "
            "YELB_VERSION, the same on every replica of a release.", "color"),
    Setting("YELB_ORCHESTRATOR", "", parse_orchestrator,
            "What runs this replica, for /api/whereami (compose, swarm, ...); empty: "
            "detected for Kubernetes and Nomad, else unknown.", "orchestrator"),
    Setting("YELB_INSTANCE_NAME", "", parse_metadata,
            "Pod or task name; empty: NOMAD_ALLOC_NAME, else the host name.", "instance_name"),
    Setting("YELB_NODE_NAME", "", parse_metadata, "Node the replica runs on; empty: unknown.",
            "node_name"),
    Setting("YELB_GROUP_NAME", "", parse_metadata,
            "Kubernetes namespace or Swarm service; empty: NOMAD_JOB_NAME, else unknown.",
            "group_name"),
    Setting("YELB_ZONE", "", parse_metadata, "Zone; empty: NOMAD_DC, else unknown.", "zone"),
    Setting("YELB_REGION", "", parse_metadata, "Region; empty: NOMAD_REGION, else unknown.",
            "region"),
    Setting("KUBERNETES_SERVICE_HOST", "", _text,
            "Set by Kubernetes in every pod: tells /api/whereami it runs there.",
            "kubernetes_service_host"),
    Setting("NOMAD_ALLOC_NAME", "", parse_metadata, "Set by Nomad: the allocation, e.g. yelb.appserver[0].",
            "nomad_alloc_name"),
    Setting("NOMAD_JOB_NAME", "", parse_metadata, "Set by Nomad: the job.", "nomad_job_name"),
    Setting("NOMAD_DC", "", parse_metadata, "Set by Nomad: the datacenter.", "nomad_dc"),
    Setting("NOMAD_REGION", "", parse_metadata, "Set by Nomad: the region.", "nomad_region"),
    # Reads that scale with votes (read_cache.py): how long a worker may reuse the results.
    Setting("YELB_READ_CACHE_SECONDS", "0.25", _seconds,
            "Longest a vote through another replica takes to show in this one's results "
            "(each worker shares one query among its readers); 0: every read asks the database.",
            "read_cache_seconds"),
)

# gunicorn's worker count when YELB_APPSERVER_WORKERS is empty: one per CPU, at most 8.
# A worker's threads already cover its waits on the databases, and a worker more than the
# CPUs only shares their time and holds its own memory: under a one-CPU limit a second
# worker cost about 18 MiB of PSS for no more votes a second (bench/README.md).
MAX_DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class Config:
    """The parsed settings: one field per Setting, named by its key (YELB_DB_PORT -> db_port)."""

    db_host: str
    db_port: int
    db_name: str
    db_user: str
    db_password: str
    redis_host: str
    redis_port: int
    sqlite_path: str
    options: tuple[Option, ...]
    dependency_timeout: float
    redis_timeout: float
    redis_circuit_open: float
    fault_injection: bool
    initial_faults: dict
    fault_token: str
    vote_by_get: bool
    one_vote_per_browser: bool
    address: str
    ui_dir: str
    log_level: str
    git_revision: str
    port: int
    workers: int | None
    threads: int
    graceful_timeout: float
    shutdown_delay: float
    metrics_dir: str
    db_max_connections: int
    question: str
    public_url: str
    otel_traces_exporter: str
    otel_exporter_otlp_endpoint: str
    otel_exporter_otlp_traces_endpoint: str
    otel_exporter_otlp_protocol: str
    otel_service_name: str
    version: str
    color: str
    orchestrator: str
    instance_name: str
    node_name: str
    group_name: str
    zone: str
    region: str
    kubernetes_service_host: str
    nomad_alloc_name: str
    nomad_job_name: str
    nomad_dc: str
    nomad_region: str
    read_cache_seconds: float

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
        config = cls(**values)
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
        return self.workers or min(available_cpus(), MAX_DEFAULT_WORKERS)

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
            application_name="yelb-appserver",
            # Names come back as text even from a database made with SQL_ASCII.
            client_encoding="UTF8",
        )
