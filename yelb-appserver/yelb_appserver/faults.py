"""Fault injection, for people testing a platform with Yelb: the one module that knows about it.

Off unless YELB_FAULT_INJECTION=true, and then only for requests that carry
YELB_FAULT_TOKEN as `Authorization: Bearer <token>` (the nginx front never
proxies /api/faults, and no CORS header is sent for it, so neither a visitor
nor a cross-site page can reach it). The faults are scoped to one replica:
PUT /api/faults changes the replica that receives the request, and all the
workers of that replica see the change (it is kept in a small JSON file next
to the metrics files; a run without a metrics folder keeps it in memory).

install(app) puts it in place from outside: a request hook (latency, error
rate), a wrapper around each store (dependency latency), readiness adjusted,
/api/faults kept out of the CORS grant, and a gauge per fault in /metrics.
"""

from __future__ import annotations

import hmac
import json
import os
import random
import socket
import threading
import time

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from prometheus_client.core import GaugeMetricFamily
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from .config import NO_FAULTS, parse_faults

# Which latency fault applies to which store.
DEPENDENCY_LATENCY_FAULT = {"postgresql": "db_latency_ms", "sqlite": "db_latency_ms",
                            "redis": "redis_latency_ms"}
FAULTS_PATH = "/api/faults"
READINESS_ENDPOINT = "health.readyz"


class FaultState:
    def __init__(self, enabled: bool, folder: str, initial: dict | None = None):
        self.enabled = enabled
        self._path = os.path.join(folder, "faults.json") if folder else ""
        self._lock = threading.Lock()
        self._faults = dict(NO_FAULTS)
        self._mtime = 0.0
        if initial:  # YELB_FAULTS, already checked by config.py
            self.set(initial)

    def current(self) -> dict:
        if not self.enabled:
            return dict(NO_FAULTS)
        if self._path:
            self._reload()
        return dict(self._faults)

    def _reload(self) -> None:
        try:
            mtime = os.stat(self._path).st_mtime_ns
        except FileNotFoundError:
            mtime = 0
        if mtime == self._mtime:
            return
        with self._lock:
            try:
                with open(self._path) as file:
                    self._faults = {**NO_FAULTS, **json.load(file)}
            except (FileNotFoundError, ValueError):
                self._faults = dict(NO_FAULTS)
            self._mtime = mtime

    def set(self, changes: dict) -> dict:
        faults = {**self.current(), **changes}
        with self._lock:
            self._faults = faults
            if self._path:
                # Write then rename, so a worker never reads half a file.
                temporary = f"{self._path}.{os.getpid()}.tmp"
                with open(temporary, "w") as file:
                    json.dump(faults, file)
                os.replace(temporary, self._path)
        return faults

    def clear(self) -> dict:
        return self.set(dict(NO_FAULTS))


class DelayedStore:
    """A store whose every call first waits the latency injected for its dependency."""

    def __init__(self, store, state: FaultState):
        self._store = store
        self._state = state
        self._fault = DEPENDENCY_LATENCY_FAULT[store.dependency]
        self.dependency = store.dependency

    def __getattr__(self, name: str):
        method = getattr(self._store, name)

        def delayed(*args, **kwargs):
            delay_ms = self._state.current()[self._fault]
            if delay_ms:
                time.sleep(delay_ms / 1000)
            return method(*args, **kwargs)

        return delayed


class FaultCollector:
    """yelb_fault_injection_active, computed when /metrics is scraped."""

    def __init__(self, state: FaultState):
        self._state = state

    def collect(self):
        active = GaugeMetricFamily("yelb_fault_injection_active",
                                   "1 for each injected fault active on this replica.", labels=["fault"])
        for fault, value in self._state.current().items():
            active.add_metric([fault], 1 if value else 0)
        yield active


def install(app: Flask) -> None:
    """Put fault injection in place; the faults stay inactive unless YELB_FAULT_INJECTION=true."""
    yelb = app.extensions["yelb"]
    state = FaultState(yelb.config.fault_injection, yelb.config.metrics_dir, yelb.config.initial_faults)
    app.extensions["yelb_faults"] = state
    yelb.metrics_registry.register(FaultCollector(state))
    app.register_blueprint(blueprint)
    # A cross-site page must not be allowed to read or send /api/faults: no CORS grant.
    yelb.private_paths.add(FAULTS_PATH)
    if not state.enabled:
        return
    yelb.votes = DelayedStore(yelb.votes, state)
    yelb.pageviews = DelayedStore(yelb.pageviews, state)

    @app.before_request
    def slow_down_or_fail():
        if request.path.startswith("/api/") and request.path != FAULTS_PATH:
            faults = state.current()
            if faults["latency_ms"]:
                time.sleep(faults["latency_ms"] / 1000)
            if faults["error_rate"] and random.random() < faults["error_rate"]:
                abort(500, description="injected fault: error_rate")

    @app.after_request
    def report_in_readiness(response: Response) -> Response:
        if request.endpoint != READINESS_ENDPOINT or not response.is_json:
            return response
        faults = state.current()
        body = response.get_json()
        if faults["readiness_fail"]:
            body["status"] = "unavailable"
            body["reasons"] = [*body.get("reasons", []), "readiness fault injected"]
            response.status_code = 503
        body["faults"] = faults
        response.set_data(json.dumps(body))
        return response


blueprint = Blueprint("faults", __name__)


def _state() -> FaultState:
    state = current_app.extensions["yelb_faults"]
    if not state.enabled:
        abort(404, description="fault injection is disabled; start the appserver with "
                               "YELB_FAULT_INJECTION=true to enable it")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # Constant time: the answer's timing must not tell how much of a guess was right.
    expected = current_app.extensions["yelb"].config.fault_token
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise Unauthorized("fault injection needs the header Authorization: Bearer <YELB_FAULT_TOKEN>",
                           www_authenticate=WWWAuthenticate("bearer", {"realm": "yelb-faults"}))
    return state


def _answer(faults: dict):
    return jsonify(faults=faults, hostname=socket.gethostname())


@blueprint.get(FAULTS_PATH)
def show():
    return _answer(_state().current())


@blueprint.put(FAULTS_PATH)
def change():
    state = _state()
    body = request.get_json(silent=True)
    if body is None:
        abort(400, description="body must be JSON, e.g. {\"latency_ms\": 200}")
    try:
        changes = parse_faults(body)
    except ValueError as exc:
        abort(400, description=str(exc))
    return _answer(state.set(changes))


@blueprint.delete(FAULTS_PATH)
def clear():
    return _answer(_state().clear())
