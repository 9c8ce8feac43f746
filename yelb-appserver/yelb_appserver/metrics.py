"""Prometheus metrics and the /metrics endpoint.

Under gunicorn each worker is its own process, so the counters are kept with
prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, which the
yelb-appserver command sets up) and summed over all workers at scrape time.
Values that describe the replica rather than a worker (build info) are
computed when scraped.
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, current_app
from prometheus_client import (
    CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY

REQUESTS = Counter("yelb_http_requests_total", "HTTP requests answered, by route template.",
                   ["method", "route", "status"])
REQUEST_LATENCY = Histogram(
    "yelb_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
VOTES = Counter("yelb_votes_total", "Votes cast through this replica.", ["option"])
PAGEVIEWS = Counter("yelb_pageviews_total", "Page views counted through this replica.")
DEPENDENCY_UP = Gauge("yelb_dependency_up", "1 when the last call to the dependency worked.",
                      ["dependency"], multiprocess_mode="mostrecent")
DEPENDENCY_ERRORS = Counter("yelb_dependency_errors_total", "Failed calls to a dependency.",
                            ["dependency"])
DEPENDENCY_LATENCY = Histogram(
    "yelb_dependency_latency_seconds", "Time of calls to a dependency.", ["dependency", "operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

# Any other method a client invents is counted as "other": a label value per
# invented method would let anyone grow /metrics without limit.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
# Methods Flask answers on every route by itself; their series appear when used.
AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})

blueprint = Blueprint("metrics", __name__)


def method_label(method: str) -> str:
    return method if method in METHODS else "other"


# Each request's two series, looked up once per label set instead of on every request
# (labels() takes a lock and builds its key anew). Bounded: methods are folded into
# METHODS, routes are the app's templates, statuses the few the app answers with.
_request_series: dict[tuple[str, str, int], tuple] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method_label(method), route, status)
    series = _request_series.get(key)
    if series is None:
        series = _request_series.setdefault(key, (REQUESTS.labels(*key), REQUEST_LATENCY.labels(*key[:2])))
    series[0].inc()
    series[1].observe(seconds)


def create_known_series(app) -> None:
    """Create every label set known at start, at 0, so that dashboards show 0, not "No data".

    Routes with the methods they declare, votes per option, and errors per dependency in use.
    yelb_dependency_up is left out: it says nothing true until the first call.
    """
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - AUTOMATIC_METHODS):
            REQUEST_LATENCY.labels(method, rule.rule)
    yelb = app.extensions["yelb"]
    for option in yelb.option_names:
        VOTES.labels(option)
    for store in (yelb.votes, yelb.pageviews):
        DEPENDENCY_ERRORS.labels(store.dependency)


class ReplicaCollector:
    """Gauges computed at scrape time from the replica's state."""

    def __init__(self, version: dict):
        self._version = version

    def collect(self):
        info = GaugeMetricFamily("yelb_build_info", "Version of the running appserver.",
                                 labels=["version", "revision", "python"])
        info.add_metric([self._version["version"], self._version["revision"],
                         self._version["python"]], 1)
        yield info


def build_registry(replica_collector: ReplicaCollector) -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_DefaultMetrics())
    registry.register(replica_collector)
    return registry


class _DefaultMetrics:
    """The in-process metrics, for runs without gunicorn (tests, flask run)."""

    def collect(self):
        for metric in REGISTRY.collect():
            if metric.name.startswith("yelb_"):
                yield metric


@blueprint.get("/metrics")
def scrape():
    registry = current_app.extensions["yelb"].metrics_registry
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
