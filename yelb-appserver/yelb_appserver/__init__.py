"""Yelb appserver: the application factory.

create_app() reads the configuration, opens the stores, wraps the app in
middleware.py (request id, log line, metrics and headers around every request)
and registers one blueprint per concern:

    api.py       /api/... voting routes (original and new)
    room.py      /api/room, the question and the public URL
    health.py    /healthz, /readyz
    metrics.py   /metrics
    version.py   /version
    openapi.py   /api/openapi.json
    replica.py   the release headers for every answer, /api/whereami
    faults.py    /api/faults and its hooks, put in place by faults.install(app)
                 (inactive unless YELB_FAULT_INJECTION=true)
    ui.py        the static page at / (only with YELB_UI_DIR)
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import Config, ConfigError
from .options import Option

if TYPE_CHECKING:
    from flask import Flask

    from .stores import PageViewStore, VoteStore

# Votes carry no body worth more than this; anything bigger is refused with 413.
MAX_BODY_BYTES = 16 * 1024
# An oversized body up to this size is read and dropped before the 413, so the
# client, still sending, gets the answer instead of a connection reset.
DRAIN_BODY_BYTES = 1024 * 1024


@dataclass
class Yelb:
    """What the blueprints share, kept in app.extensions["yelb"]."""

    config: Config
    votes: "VoteStore"
    pageviews: "PageViewStore"
    version: dict
    metrics_registry: object
    hostname: str
    # /api/ paths that get no CORS grant (middleware.py), so no cross-site page reaches them.
    private_paths: set[str] = field(default_factory=set)

    @property
    def options(self) -> tuple[Option, ...]:
        return self.config.options

    @property
    def option_names(self) -> list[str]:
        return [option.name for option in self.options]


def create_app(config: Config | None = None) -> "Flask":
    # Imported here, not at the top: the `yelb-appserver` command imports this
    # package before it sets PROMETHEUS_MULTIPROC_DIR, and prometheus-client
    # fixes its storage mode when first imported.
    from flask import Flask, request

    from . import (api, errors, faults, health, metrics, middleware, openapi, read_cache, replica,
                   request_log, room, tracing, ui, version)
    from .json_provider import OrjsonProvider
    from .stores import open_stores

    config = config or Config.from_env()
    request_log.configure_logging(config.log_level)
    tracing.instrument_clients(config)  # before the stores connect, so every connection is traced
    try:
        votes, pageviews = open_stores(config)
    except OSError as exc:
        raise ConfigError(f"YELB_SQLITE_PATH: cannot open {config.sqlite_path!r}: {exc}") from None
    votes = read_cache.cache_counts(votes, config.read_cache_seconds, config.metrics_dir)
    release = replica.Release.from_config(config)
    described = version.describe(config.git_revision, release.version)
    # Read once: a replica's host name does not change while it runs.
    hostname = socket.gethostname()
    yelb = Yelb(config=config, votes=votes, pageviews=pageviews, version=described,
                metrics_registry=metrics.build_registry(metrics.ReplicaCollector(described)),
                hostname=hostname)

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, UI_ASSET_MAX_AGE=3600)
    app.json = OrjsonProvider(app)
    app.extensions["yelb"] = yelb

    tracing.instrument_app(app)
    middleware.install(app, release.headers(hostname), yelb.private_paths)
    errors.install(app)
    release.install(app, config, hostname)

    @app.before_request
    def guard_request():
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            length = request.content_length or 0
            if MAX_BODY_BYTES < length <= DRAIN_BODY_BYTES:
                request.environ["wsgi.input"].read(length)
            request.get_data(cache=True)  # enforces MAX_CONTENT_LENGTH (413)

    faults.install(app)
    for blueprint in (api.blueprint, room.blueprint, health.blueprint, metrics.blueprint,
                      version.blueprint, openapi.blueprint):
        app.register_blueprint(blueprint)
    if config.ui_dir:
        app.register_blueprint(ui.create_blueprint(config.ui_dir))
    metrics.create_known_series(app)
    return app


__all__ = ["create_app", "Config", "ConfigError"]
